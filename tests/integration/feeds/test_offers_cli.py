"""``irp offers ...`` through the real CLI: JSON shapes, exit codes, safe CSV."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from irp.cli.app import app
from tests.integration.feeds.helpers import BASE_ROWS, feed_bytes, write_config

SECRETS = {
    "FLEXIT_SFTP_PASSWORD": "sftp-secret-4c1d",
    "FLEXIT_CLIENT_ID": "client-id-77aa",
    "FLEXIT_CLIENT_SECRET": "client-secret-0b9e",
}


@pytest.fixture
def cli(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    for key, value in SECRETS.items():
        monkeypatch.setenv(key, value)
    config = write_config(tmp_path)
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(app, ["--config", str(config), "--db", db_url, *args])
        return result.exit_code, result.stdout, result.stderr

    return run


def test_sync_json_has_the_spec_shape_and_exit_zero(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    feed = tmp_path / "feed.csv"
    feed.write_bytes(feed_bytes([*BASE_ROWS, ("FLX-9", "Broken", "", "x", "1,00", "")]))

    code, out, _ = cli("offers", "sync", "flexit", "--file", str(feed), "--json")

    assert code == 0
    report = json.loads(out)
    assert {k: report[k] for k in ("refurbisher", "status", "rows", "valid", "invalid")} == {
        "refurbisher": "flexit",
        "status": "ok",
        "rows": 6,
        "valid": 5,
        "invalid": 1,
    }
    assert (report["created"], report["updated"], report["unchanged"], report["unlisted"]) == (
        5,
        0,
        0,
        0,
    )
    assert report["errors"] == [
        {"line": 7, "column": "Stock Quantity", "message": report["errors"][0]["message"]}
    ]
    assert "'x'" in report["errors"][0]["message"]


def test_refused_sync_exits_one(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")

    code, out, _ = cli("offers", "sync", "flexit", "--file", str(empty), "--json")

    assert code == 1
    assert json.loads(out)["status"] == "refused"


def test_unknown_refurbisher_is_a_usage_error_naming_the_known_ones(cli) -> None:  # type: ignore[no-untyped-def]
    code, _, err = cli("offers", "sync", "flexi", "--json")

    assert code == 2
    assert "unknown refurbisher 'flexi'; the config defines: flexit" in err


def test_config_that_cannot_load_exits_two(tmp_path: Path, db_url: str) -> None:
    bad = tmp_path / "irp.json"
    bad.write_text("{not json")

    result = CliRunner().invoke(app, ["--config", str(bad), "--db", db_url, "offers", "list", "x"])

    assert result.exit_code == 2


def test_export_csv_is_safe_from_formula_injection(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    feed = tmp_path / "feed.csv"
    rows = [*BASE_ROWS, ("FLX-6", '=HYPERLINK("http://evil.example","x")', "", "4", "10,00", "")]
    feed.write_bytes(feed_bytes(rows))
    cli("offers", "sync", "flexit", "--file", str(feed))

    code, out, _ = cli("offers", "export", "flexit", "--format", "csv")

    assert code == 0
    table = list(csv.DictReader(io.StringIO(out)))
    assert [r["sku"] for r in table] == ["FLX-1", "FLX-3", "FLX-4", "FLX-5", "FLX-6"]
    evil = table[-1]
    assert evil["name"] == '\'=HYPERLINK("http://evil.example","x")'
    assert table[0]["price_selling_amount"] == "306.75"
    assert table[0]["ean"] == "0194252707319"


def test_export_json_lists_only_listed_offers_with_decimal_strings(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    feed = tmp_path / "feed.csv"
    feed.write_bytes(feed_bytes(BASE_ROWS))
    cli("offers", "sync", "flexit", "--file", str(feed))

    code, out, _ = cli("offers", "export", "--format", "json")

    assert code == 0
    rows = json.loads(out)
    assert [(r["sku"], r["price_selling_amount"]) for r in rows] == [
        ("FLX-1", "306.75"),
        ("FLX-3", "132.36"),
        ("FLX-4", "27.71"),
        ("FLX-5", "600.42"),
    ]


def test_errors_command_gives_the_row_errors_as_csv(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    feed = tmp_path / "feed.csv"
    feed.write_bytes(feed_bytes([*BASE_ROWS, ("FLX-9", "Broken", "", "1", "12.5", "")]))
    cli("offers", "sync", "flexit", "--file", str(feed))

    code, out, _ = cli("offers", "errors", "flexit", "--format", "csv")

    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "line,column,message,sku"
    assert lines[1].startswith("7,Sales Price,")
    assert "'12.5'" in lines[1]
    assert len(lines) == 2


def test_no_secret_reaches_the_output(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    feed = tmp_path / "feed.csv"
    feed.write_bytes(feed_bytes(BASE_ROWS))
    outputs = [
        cli("offers", "sync", "flexit", "--file", str(feed), "--json"),
        cli("offers", "list", "flexit", "--json"),
        cli("config", "check", "--json"),
        cli("offers", "sync", "flexit", "--json"),  # the SFTP host is not running: fails
    ]
    for _, out, err in outputs:
        for secret in SECRETS.values():
            assert secret not in out
            assert secret not in err
