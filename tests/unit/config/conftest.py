"""Shared helpers for the config tests: the FlexIT example and its secrets."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "flexit.json"
SECRETS = {
    "FLEXIT_SFTP_PASSWORD": "sftp-pw-Secret1",
    "FLEXIT_CLIENT_ID": "client-id-Secret2",
    "FLEXIT_CLIENT_SECRET": "client-secret-Secret3",
}

WriteConfig = Callable[[dict[str, Any]], Path]


@pytest.fixture
def flexit_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The three FlexIT secrets set in the environment."""
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    return dict(SECRETS)


@pytest.fixture
def flexit_raw() -> dict[str, Any]:
    """A fresh, mutable copy of the FlexIT example (numbers as Decimal)."""
    return copy.deepcopy(json.loads(EXAMPLE.read_text(), parse_float=Decimal))


@pytest.fixture
def write_config(tmp_path: Path) -> WriteConfig:
    """Write a config object to irp.json in a temporary folder."""

    def write(data: dict[str, Any]) -> Path:
        path = tmp_path / "irp.json"
        path.write_text(json.dumps(data, default=str))
        return path

    return write
