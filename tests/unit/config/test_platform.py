"""The reserved ``platform`` section (SPEC §10): defaults, environments, errors."""

from __future__ import annotations

from typing import Any

import pytest

from irp.config import load_config
from irp.errors import ConfigErrors

from .conftest import WriteConfig


def test_platform_defaults_when_absent(
    flexit_env: dict[str, str], flexit_raw: dict[str, Any], write_config: WriteConfig
) -> None:
    config = load_config(write_config(flexit_raw), "acceptance")

    assert config.platform.monitor_every_seconds == 300.0
    assert list(config.refurbishers) == ["flexit"]


def test_platform_is_not_a_refurbisher_and_takes_environment_overrides(
    flexit_env: dict[str, str], flexit_raw: dict[str, Any], write_config: WriteConfig
) -> None:
    flexit_raw["platform"] = {
        "monitor_every_seconds": 120,
        "environments": {"production": {"monitor_every_seconds": 60}},
    }
    path = write_config(flexit_raw)

    acceptance = load_config(path, "acceptance")
    production = load_config(path, "production")

    assert list(acceptance.refurbishers) == ["flexit"]
    assert acceptance.platform.monitor_every_seconds == 120.0
    assert production.platform.monitor_every_seconds == 60.0
    assert acceptance.hash != production.hash


def test_platform_errors_name_their_path(
    flexit_env: dict[str, str], flexit_raw: dict[str, Any], write_config: WriteConfig
) -> None:
    flexit_raw["platform"] = {"monitor_every_seconds": 1, "alert": {}}

    with pytest.raises(ConfigErrors) as raised:
        load_config(write_config(flexit_raw), "acceptance")

    paths = sorted(error.path for error in raised.value.errors)
    assert paths == ["platform.alert", "platform.monitor_every_seconds"]
