"""``irp shipments list`` and the shipped/delivered states in ``irp orders show``/``list``."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from irp.cli.app import app
from irp.shipments.webhook import receive_shipment_webhook
from irp.store.db import Database
from tests.integration.shipments.support import (
    body_of,
    parcel,
    signed,
    submitted_order,
    webhook_config,
)


def cli(config_path: Path, database: Database, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, ["--config", str(config_path), "--db", database.url, *args], terminal_width=300
    )
    return result.exit_code, result.stdout


def test_shipments_list_shows_matched_and_unmatched(database: Database, tmp_path: Path) -> None:
    config = webhook_config(tmp_path, "token")
    submitted_order(database, "5001", "SO-000001")
    for reference, code in (("SO-000001", "3SA"), ("SO-000404", "3SB")):
        body = body_of(parcel(reference, code=code))
        receive_shipment_webhook(database, config, "flexit", body, signed("token", body))

    code, everything = cli(config.path, database, "shipments", "list", "--json")
    code_unmatched, unmatched = cli(
        config.path, database, "shipments", "list", "--unmatched", "--json"
    )
    code_text, text = cli(config.path, database, "shipments", "list")

    assert (code, code_unmatched, code_text) == (0, 0, 0)
    rows = json.loads(everything)
    assert [(r["tracking_code"], r["order_id"], r["external_reference"]) for r in rows] == [
        ("3SB", None, "SO-000404"),
        ("3SA", "5001", "SO-000001"),
    ]
    assert set(rows[0]) == {
        "id",
        "refurbisher",
        "order_id",
        "given_order_id",
        "external_reference",
        "status",
        "carrier",
        "tracking_code",
        "tracking_url",
        "shipped_at",
        "delivered_at",
        "lines",
        "source",
        "received_at",
        "matched_at",
    }
    assert [r["tracking_code"] for r in json.loads(unmatched)] == ["3SB"]
    assert "unmatched" in text and "SO-000404" in text and "3SA" in text


def test_orders_show_and_list_know_shipped_and_delivered(
    database: Database, tmp_path: Path
) -> None:
    config = webhook_config(tmp_path, "token")
    submitted_order(database, "5001", "SO-000001")
    for state in ("in_transit", "delivered"):
        body = body_of(parcel("SO-000001", state=state))
        receive_shipment_webhook(database, config, "flexit", body, signed("token", body))

    code, shown = cli(config.path, database, "orders", "show", "5001", "--json")
    _, text = cli(config.path, database, "orders", "show", "5001")
    _, listed = cli(config.path, database, "orders", "list", "--status", "delivered", "--json")

    assert code == 0
    order = json.loads(shown)
    assert (order["status"], order["carrier"], order["tracking_code"]) == (
        "delivered",
        "PostNL",
        "3SABCD000000001",
    )
    assert order["delivered_at"] is not None
    assert [(s["status"], s["tracking_code"]) for s in order["shipments"]] == [
        ("delivered", "3SABCD000000001")
    ]
    assert "Delivered " in text and "Nothing to do." in text and "shipments" in text
    assert [row["id"] for row in json.loads(listed)] == ["5001"]
