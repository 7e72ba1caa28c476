"""``examples/orders.json``, the inbound order format shown in docs, is accepted as is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from irp.cli.app import app
from irp.store.db import open_database
from tests.integration.orders.intake_support import store_offers, write_config

EXAMPLE_ORDERS = Path(__file__).resolve().parents[3] / "examples" / "orders.json"


def test_the_example_order_file_is_accepted_by_orders_add(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path, monkeypatch)
    db = open_database(db_url, "acceptance")
    store_offers(db)
    db.close()
    base = ["--config", str(config), "--db", db_url, "orders", "add", str(EXAMPLE_ORDERS)]

    first = CliRunner().invoke(app, [*base, "--json"])
    again = CliRunner().invoke(app, [*base, "--json"])

    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout) == [
        {"id": "5001", "result": "accepted", "message": "5001: accepted"},
        {"id": "5002", "result": "accepted", "message": "5002: accepted"},
    ]
    assert [r["result"] for r in json.loads(again.stdout)] == ["unchanged", "unchanged"]
