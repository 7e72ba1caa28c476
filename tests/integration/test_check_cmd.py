"""``irp check NAME`` against the whole FlexIT sandbox: feed side and order side."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from irp.cli.app import app
from irp.orders.breaker import pause_submissions, paused
from irp.sandbox.flexit import FlexitSandbox
from irp.store.db import open_database
from irp.store.refurbishers import ensure_refurbisher


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FlexitSandbox]:
    with FlexitSandbox(tmp_path, rows=20) as box:
        for key, value in box.secrets.items():
            monkeypatch.setenv(key, value)
        yield box


def _check(config: Path, db_url: str) -> tuple[int, dict[str, object]]:
    result = CliRunner().invoke(
        app, ["--config", str(config), "--db", db_url, "check", "flexit", "--json"]
    )
    return result.exit_code, json.loads(result.stdout)


def test_check_reaches_feed_and_order_endpoint_and_resumes_paused_submissions(
    sandbox: FlexitSandbox, tmp_path: Path, db_url: str
) -> None:
    config = sandbox.write_config(tmp_path / "irp.json")
    db = open_database(db_url, "acceptance")
    try:
        with db.begin() as conn:
            ensure_refurbisher(conn, "flexit", name="flexit", refurbisher_id=15, now=db.now())
            pause_submissions(conn, "flexit", "authentication refused (401)")

        code, report = _check(config, db_url)

        assert code == 0
        checks = report["checks"]
        assert isinstance(checks, list)
        assert [(c["check"], c["ok"]) for c in checks] == [("offers", True), ("order", True)]
        size = sandbox.feed_file.stat().st_size
        assert checks[0]["detail"].startswith(
            f"sftp://xmlorder_218535@127.0.0.1:{sandbox.sftp.port}/Outbound/FlexIT_Feed.csv, "
            f"{size} bytes, modified "
        )
        assert checks[1]["detail"].endswith("; paused submissions resumed")
        with db.connect() as conn:
            assert paused(conn, "flexit") is None
        assert sandbox.order_api.orders == []
    finally:
        db.close()


def test_check_fails_on_wrong_order_credentials_without_showing_them(
    sandbox: FlexitSandbox, tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = sandbox.write_config(tmp_path / "irp.json")
    monkeypatch.setenv("FLEXIT_CLIENT_SECRET", "not-the-secret-5e6f")

    result = CliRunner().invoke(
        app, ["--config", str(config), "--db", db_url, "check", "flexit", "--json"]
    )

    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [(c["check"], c["ok"]) for c in report["checks"]] == [("offers", True), ("order", False)]
    assert "401" in report["checks"][1]["detail"]
    assert "not-the-secret-5e6f" not in result.stdout + result.stderr


def test_verbose_logs_carry_no_secret(
    sandbox: FlexitSandbox, tmp_path: Path, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    config = sandbox.write_config(tmp_path / "irp.json")

    result = CliRunner().invoke(
        app, ["--config", str(config), "--db", db_url, "-v", "check", "flexit"]
    )

    assert result.exit_code == 0
    assert "asyncssh" in caplog.text  # the libraries did log, at debug level
    for secret in sandbox.secrets.values():
        assert secret not in caplog.text
        assert secret not in result.stdout + result.stderr
