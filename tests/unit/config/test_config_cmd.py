"""``irp config check [NAME] [--json]`` through the real Typer app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from irp.cli.app import app

from .conftest import EXAMPLE, SECRETS, WriteConfig


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.delenv("IRP_CONFIG", raising=False)
    monkeypatch.delenv("IRP_ENV", raising=False)
    return CliRunner()


def test_clean_config_exits_0_with_a_summary(runner: CliRunner, flexit_env: dict[str, str]) -> None:
    result = runner.invoke(app, ["--config", str(EXAMPLE), "config", "check"])

    assert result.exit_code == 0, result.output
    assert result.stdout == "config OK: 1 refurbisher(s) (flexit) in environment acceptance\n"


def test_errors_are_listed_one_per_line_and_exit_1(
    runner: CliRunner,
    flexit_env: dict[str, str],
    flexit_raw: dict[str, Any],
    write_config: WriteConfig,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FLEXIT_CLIENT_SECRET", "XXXXXXXXXXXX")
    flexit_raw["flexit"]["settings"]["default_margin"] = "abc"
    path = write_config(flexit_raw)

    result = runner.invoke(app, ["--config", str(path), "--env", "production", "config", "check"])

    assert result.exit_code == 1
    assert result.stdout == (
        "flexit.order.auth.client_secret: ${FLEXIT_CLIENT_SECRET} is still the placeholder "
        "XXXX…; set it with the real secret or op://vault/item/field\n"
        "flexit.settings.default_margin: expected a decimal number, got 'abc'\n"
        "2 configuration error(s) in environment production\n"
    )


def test_json_output_lists_errors_without_secrets(
    runner: CliRunner, flexit_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FLEXIT_CLIENT_ID")
    monkeypatch.setenv("IRP_ENV", "production")

    result = runner.invoke(app, ["--config", str(EXAMPLE), "config", "check", "flexit", "--json"])

    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "ok": False,
        "env": "production",
        "errors": [
            {"path": "flexit.order.auth.client_id", "message": "${FLEXIT_CLIENT_ID} is not set"}
        ],
        "warnings": [],
    }
    assert not any(secret in result.stdout for secret in SECRETS.values())


def test_json_output_when_clean(runner: CliRunner, flexit_env: dict[str, str]) -> None:
    result = runner.invoke(app, ["--config", str(EXAMPLE), "config", "check", "--json"])

    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "ok": True,
        "env": "acceptance",
        "errors": [],
        "warnings": [],
    }


def test_unreadable_config_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "irp.json"
    path.write_text("{not json")

    result = runner.invoke(app, ["--config", str(path), "config", "check", "--json"])

    assert result.exit_code == 2
    assert json.loads(result.stdout) == {
        "ok": False,
        "env": "acceptance",
        "errors": [
            {
                "path": str(path),
                "message": "not valid JSON at line 1, column 2: Expecting property name "
                "enclosed in double quotes",
            }
        ],
        "warnings": [],
    }


def test_missing_config_exits_2_naming_the_file(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "absent.json"

    result = runner.invoke(app, ["--config", str(path), "config", "check"])

    assert result.exit_code == 2
    assert result.stdout == (
        f"{path}: file not found; pass --config PATH or set IRP_CONFIG\n"
        "1 configuration error(s) in environment acceptance\n"
    )
