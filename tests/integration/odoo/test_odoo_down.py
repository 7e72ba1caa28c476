"""Odoo being down never delays an order to the refurbisher; the PO follows (SPEC §9)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from irp.odoo.push import PushOutcome, push_due
from irp.orders.cycle import submit_pass
from irp.sandbox.odoo import FLEXIT_VENDOR_ID, OdooSimulator
from irp.sandbox.order_api import FlexitOrderApi
from irp.store.db import Database
from tests.integration.orders.submit_support import add_order

from .support import odoo_config, order_row


def test_orders_reach_flexit_while_odoo_is_down_and_are_booked_once_it_is_back(
    database: Database, odoo_sim: OdooSimulator, order_api: FlexitOrderApi, tmp_path: Path
) -> None:
    config = odoo_config(tmp_path, odoo_sim, order_api=order_api, connect_timeout=2)
    odoo_sim.stop()  # Odoo is down
    for order_id in ("5001", "5002", "5003"):
        add_order(database, order_id)

    submitted = submit_pass(database, config, "flexit")
    down = push_due(database, config)

    assert sorted((r.order_id, str(r.status)) for r in submitted) == [
        ("5001", "submitted"),
        ("5002", "submitted"),
        ("5003", "submitted"),
    ]
    assert sorted(o["external_document_number"] for o in order_api.orders) == [
        "5001",
        "5002",
        "5003",
    ]
    assert [r.outcome for r in down] == [
        PushOutcome.FAILED,
        PushOutcome.SKIPPED,
        PushOutcome.SKIPPED,
    ]
    assert down[0].error is not None
    assert down[0].error.startswith(f"odoo: cannot reach Odoo at {odoo_sim.url} (")
    assert down[0].error.endswith("check platform.odoo.url and that Odoo is running")

    add_order(database, "5004")  # a new order while Odoo is still down
    [late] = submit_pass(database, config, "flexit")
    assert (late.order_id, str(late.status)) == ("5004", "submitted")

    odoo_sim.start()  # Odoo is back, on the same address
    back = push_due(database, config, now=database.now() + timedelta(minutes=1))

    assert sorted((r.order_id, r.outcome) for r in back) == [
        ("5001", PushOutcome.CREATED),
        ("5002", PushOutcome.CREATED),
        ("5003", PushOutcome.CREATED),
        ("5004", PushOutcome.CREATED),
    ]
    references = {o["external_document_number"]: o["order_number"] for o in order_api.orders}
    pos = odoo_sim.purchase_orders()
    assert sorted(
        (po["origin"], po["partner_ref"], po["partner_id"], po["state"]) for po in pos
    ) == [
        (f"IU-{order_id}", references[order_id], FLEXIT_VENDOR_ID, "purchase")
        for order_id in ("5001", "5002", "5003", "5004")
    ]
    assert order_row(database, "5003")["status"] == "submitted"
    assert push_due(database, config, now=database.now() + timedelta(hours=2)) == []
