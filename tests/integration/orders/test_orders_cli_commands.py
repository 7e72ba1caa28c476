"""``irp orders add/preview/list/show/retry/resolve`` through the real CLI and database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from irp.cli.app import app
from irp.store.db import open_database
from tests.integration.orders.intake_support import (
    set_order,
    spec_order,
    store_offers,
    write_config,
)


class Cli:
    """Runs ``irp --config ... --db ... <args>``."""

    def __init__(self, config: Path, db_url: str, folder: Path) -> None:
        self.config, self.db_url, self.folder = config, db_url, folder

    def __call__(self, *args: str) -> Result:
        return CliRunner().invoke(app, ["--config", str(self.config), "--db", self.db_url, *args])

    def orders_file(self, orders: Any, name: str = "orders.json") -> str:
        path = self.folder / name
        path.write_text(json.dumps(orders))
        return str(path)


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    monkeypatch.setenv("USER", "opsuser")
    monkeypatch.setenv("LOGNAME", "opsuser")
    config = write_config(tmp_path, monkeypatch)
    db = open_database(db_url, "acceptance")
    store_offers(db)
    db.close()
    yield Cli(config, db_url, tmp_path)


def test_add_list_with_one_bad_order_accepts_the_others_and_exits_1(cli: Cli) -> None:
    bad = spec_order(
        id="5002", items=[{"sku": "FLX-1001", "quantity": 0, "unit_price_tax_excl": "1"}]
    )
    path = cli.orders_file([spec_order(), bad, spec_order(id="5003")])
    result = cli("orders", "add", path, "--json")
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout) == [
        {"id": "5001", "result": "accepted", "message": "5001: accepted"},
        {
            "id": "5002",
            "result": "refused",
            "message": "5002: items[0].quantity: Input should be greater than 0",
        },
        {"id": "5003", "result": "accepted", "message": "5003: accepted"},
    ]
    again = cli("orders", "add", cli.orders_file(spec_order(), "one.json"))
    assert again.exit_code == 0, again.output
    assert again.stdout == "unchanged 5001: already accepted, unchanged\n"


@pytest.fixture
def cli_without_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """For usage errors, which exit before any database is opened."""
    config = write_config(tmp_path, monkeypatch)
    return Cli(config, f"sqlite:///{tmp_path / 'never-opened.db'}", tmp_path)


def test_add_of_a_file_that_is_not_json_exits_2_naming_file_and_line(cli_without_db: Cli) -> None:
    cli = cli_without_db
    path = cli.folder / "broken.json"
    path.write_text('{"id": "5001",\n "refurbisher": }')
    result = cli("orders", "add", str(path))
    assert result.exit_code == 2
    assert f"{path} line 2, column 17: not valid JSON: Expecting value" in " ".join(
        result.stderr.split()
    )


def test_preview_prints_the_wire_payload_and_stores_nothing(cli: Cli) -> None:
    order = spec_order(items=[{"sku": "FLX-1001", "quantity": 1, "unit_price_tax_excl": "249.10"}])
    result = cli("orders", "preview", "flexit", cli.orders_file(order), "--json")
    assert result.exit_code == 0, result.output
    assert '"unitPrice": 249.10' in result.stdout
    assert '"customerNumber": 218535,' in result.stdout
    [preview] = json.loads(result.stdout)
    assert preview["ok"] is True
    assert preview["endpoint"] == "https://acc-api.example/order/api/order"
    assert preview["payload"]["shipping"]["address"]["countryCode"] == "NL"
    assert preview["payload"]["shipping"]["isBlindShip"] is True
    listing = cli("orders", "list", "--json")
    assert json.loads(listing.stdout) == []


def test_preview_text_shows_the_request_and_indented_payload(cli: Cli) -> None:
    result = cli("orders", "preview", "flexit", cli.orders_file(spec_order()))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "# 5001: POST https://acc-api.example/order/api/order (not sent)"
    assert lines[1:3] == ["{", '  "customerNumber": 218535,']
    assert '      "unitPrice": 249.00' in lines


def test_list_and_show_after_intake(cli: Cli) -> None:
    cli("orders", "add", cli.orders_file(spec_order()))
    listing = cli("orders", "list", "--status", "pending", "--json")
    [row] = json.loads(listing.stdout)
    assert (row["id"], row["refurbisher"], row["status"], row["attempts"]) == (
        "5001",
        "flexit",
        "pending",
        0,
    )
    assert json.loads(cli("orders", "list", "--status", "failed", "--json").stdout) == []
    typo = cli("orders", "list", "--status", "pendng")
    assert typo.exit_code == 1
    assert "--status 'pendng' is not an order state" in typo.stderr
    shown = json.loads(cli("orders", "show", "5001", "--json").stdout)
    assert {k: shown[k] for k in ("id", "refurbisher", "status", "external_reference")} == {
        "id": "5001",
        "refurbisher": "flexit",
        "status": "pending",
        "external_reference": None,
    }
    assert shown["lines"][0]["unit_price_tax_excl"] == "249.00"
    assert (shown["attempts"], shown["actions"]) == ([], [])
    missing = cli("orders", "show", "404")
    assert missing.exit_code == 1
    assert "order 404 not found" in missing.stderr


def test_show_explains_an_uncertain_order_and_the_resolve_records_the_os_user(cli: Cli) -> None:
    cli("orders", "add", cli.orders_file(spec_order()))
    db = open_database(cli.db_url, "acceptance")
    set_order(db, "5001", status="uncertain")
    db.close()
    text = cli("orders", "show", "5001").stdout
    assert (
        "The refurbisher may have this order: it must not be sent again blindly. Check their "
        "portal for document number 5001, then: irp orders resolve 5001 --external-ref REF | "
        "--resend --confirm-absent | --cancel"
    ) in text
    retry = cli("orders", "retry", "5001", "--json")
    assert retry.exit_code == 1
    assert json.loads(retry.stdout)["ok"] is False
    done = cli("orders", "resolve", "5001", "--external-ref", "SO-9", "--reason", "portal")
    assert done.exit_code == 0, done.output
    assert done.stdout == "5001: uncertain -> submitted with reference SO-9\n"
    [action] = json.loads(cli("orders", "show", "5001", "--json").stdout)["actions"]
    assert {k: action[k] for k in ("action", "actor", "reason", "from", "to")} == {
        "action": "resolve_external_ref",
        "actor": "opsuser",
        "reason": "portal",
        "from": "uncertain",
        "to": "submitted",
    }


def test_resolve_needs_exactly_one_choice(cli_without_db: Cli) -> None:
    cli = cli_without_db
    none = cli("orders", "resolve", "5001")
    assert none.exit_code == 2
    assert "give exactly one of --external-ref REF, --resend, --cancel" in none.stderr
    two = cli("orders", "resolve", "5001", "--resend", "--cancel")
    assert two.exit_code == 2
    lonely = cli("orders", "resolve", "5001", "--cancel", "--confirm-absent")
    assert lonely.exit_code == 2
    assert "--confirm-absent goes with --resend" in lonely.stderr
    assert not (cli.folder / "never-opened.db").exists()


def test_text_list_and_show_of_a_failed_order_with_an_attempt(cli: Cli) -> None:
    from datetime import UTC, datetime

    import sqlalchemy as sa

    from irp.store.tables import order_attempts

    cli("orders", "add", cli.orders_file(spec_order()))
    db = open_database(cli.db_url, "acceptance")
    error = "[401] authentication refused: check flexit.order.auth"
    set_order(db, "5001", status="failed", attempts=1, last_error=error)
    with db.begin() as conn:
        conn.execute(
            sa.insert(order_attempts).values(
                order_id="5001",
                kind="submit",
                started_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
                duration_ms=120,
                status_code=401,
                response_body='{"error": "unauthorized"}',
                error=error,
                outcome="failed",
                request_payload={"externalDocumentNumber": "5001"},
            )
        )
    db.close()
    listing = cli("orders", "list")
    assert listing.exit_code == 0, listing.output
    row = next(line for line in listing.stdout.splitlines() if "5001" in line)
    assert "flexit" in row and "failed" in row and "[401] authentication refused" in row
    shown = cli("orders", "show", "5001")
    assert shown.exit_code == 0, shown.output
    assert (
        f"Never accepted by the refurbisher: {error}. The refurbisher did not act on it. "
        "Fix the cause (credentials, endpoint, the refurbisher's outage), then: irp orders "
        "retry 5001 (or irp orders resolve 5001 --cancel)"
    ) in shown.stdout
    assert "2026-01-02T03:04:05+00:00" in shown.stdout
    assert 'last response body: {"error": "unauthorized"}' in shown.stdout
    [attempt] = json.loads(cli("orders", "show", "5001", "--json").stdout)["attempts"]
    assert attempt == {
        "at": "2026-01-02T03:04:05+00:00",
        "kind": "submit",
        "request_method": None,
        "request_url": None,
        "status_code": 401,
        "duration_ms": 120,
        "outcome": "failed",
        "error": error,
        "response_body": '{"error": "unauthorized"}',
        "request_payload": {"externalDocumentNumber": "5001"},
        "config_hash": None,
    }
    retried = cli("orders", "retry", "5001", "--reason", "rotated secret")
    assert retried.exit_code == 0, retried.output
    assert retried.stdout == "5001: failed -> pending, due now (attempts reset to 0)\n"
