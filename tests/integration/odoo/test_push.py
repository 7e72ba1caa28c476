"""Booking accepted orders in Odoo exactly once (SPEC §9), over real HTTP, both databases."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from irp.odoo import store
from irp.odoo.push import PushOutcome, PushResult, push_due
from irp.sandbox.odoo import DROPSHIP_PICKING_TYPE_ID, FLEXIT_VENDOR_ID, OdooSimulator
from irp.store.db import Database
from tests.fixtures.odoo import ODOO_API_KEY, MakeOdoo

from .support import add_accepted_order, odoo_attempts, odoo_config, order_row


@pytest.mark.parametrize("api", ["json2", "jsonrpc"])
def test_accepted_order_becomes_one_confirmed_purchase_order(
    api: str, database: Database, make_odoo: MakeOdoo, tmp_path: Path
) -> None:
    odoo = make_odoo(major_version=19 if api == "json2" else 17)
    config = odoo_config(tmp_path, odoo, api=api)
    add_accepted_order(
        database,
        "5001",
        lines=[
            {"sku": "FLX-1001", "ean": "8712345678906", "quantity": 2, "price": "200.10"},
            {"sku": "FLX-1002", "ean": "8712345678913", "quantity": 1, "price": "0.125"},
        ],
    )
    odoo.add_product("OTHER-CODE", barcode="8712345678913", name="Pixel 7")  # by EAN

    results = push_due(database, config)

    assert results == [
        PushResult("5001", "flexit", PushOutcome.CREATED, po_id=1, po_name="P00001", attempts=1)
    ]
    [po] = odoo.purchase_orders()
    assert {k: po[k] for k in ("partner_id", "partner_ref", "origin", "state", "name")} == {
        "partner_id": FLEXIT_VENDOR_ID,
        "partner_ref": "SO-000001",
        "origin": "IU-5001",
        "state": "purchase",
        "name": "P00001",
    }
    assert [
        (line["product_id"], line["name"], line["product_qty"], line["price_unit"])
        for line in po["lines"]
    ] == [
        (1, "[FLX-1001] iPhone 13 128GB", 2, Decimal("200.10")),
        (2, "[FLX-1002] iPhone 13 128GB", 1, Decimal("0.125")),
    ]
    [create] = [r for r in odoo.requests if r.method == "create"]
    assert '"price_unit":200.10}' in create.body  # the exact digits went on the wire
    row = order_row(database, "5001")
    assert (row["odoo_po_id"], row["odoo_po_name"], row["odoo_error"]) == (1, "P00001", None)
    assert row["odoo_booked_at"] is not None
    assert push_due(database, config) == []  # booked: never due again
    assert odoo.calls("create") == 1


def test_only_orders_the_refurbisher_accepted_are_booked(
    database: Database, odoo_sim: OdooSimulator, tmp_path: Path
) -> None:
    config = odoo_config(tmp_path, odoo_sim)
    for order_id, status in [("p", "pending"), ("u", "uncertain"), ("r", "rejected")]:
        add_accepted_order(database, order_id, status=status, reference=None)
    add_accepted_order(database, "s", status="shipped")

    results = push_due(database, config)

    assert [(r.order_id, r.outcome) for r in results] == [("s", PushOutcome.CREATED)]


def test_missing_product_books_nothing_names_it_and_is_booked_once_it_exists(
    database: Database, make_odoo: MakeOdoo, tmp_path: Path
) -> None:
    odoo = make_odoo(products=False)
    odoo.add_product("FLX-1002", barcode="8712345678913", name="Pixel 7")
    config = odoo_config(tmp_path, odoo)
    add_accepted_order(
        database,
        "5001",
        lines=[
            {"sku": "FLX-1002", "ean": "8712345678913", "price": "99.00"},
            {"sku": "FLX-1001", "ean": None, "price": "200.00"},
        ],
    )
    now = database.now()

    [failed] = push_due(database, config, now=now)

    error = (
        "odoo: no product with default_code FLX-1001 — fix the products in Odoo (Internal "
        "Reference = SKU, Barcode = EAN); the order is booked on the next try"
    )
    assert failed == PushResult(
        "5001",
        "flexit",
        PushOutcome.FAILED,
        attempts=1,
        error=error,
        next_at=now + timedelta(seconds=30),
    )
    assert odoo.calls("create") == 0
    assert odoo.purchase_orders() == []  # never a half-made PO
    row = order_row(database, "5001")
    assert (row["odoo_po_id"], row["odoo_error"], row["odoo_next_at"]) == (
        None,
        error,
        failed.next_at,
    )
    [attempt] = odoo_attempts(database, "5001")
    assert (attempt["outcome"], attempt["error"], attempt["request_payload"]) == (
        "failed",
        error,
        None,
    )
    assert push_due(database, config, now=now + timedelta(seconds=29)) == []  # backing off

    odoo.add_product("FLX-1001", name="iPhone 13 128GB")
    [booked] = push_due(database, config, now=now + timedelta(seconds=30))

    assert (booked.outcome, booked.po_name, booked.attempts) == (PushOutcome.CREATED, "P00001", 2)
    assert [line["product_id"] for line in odoo.purchase_orders()[0]["lines"]] == [1, 2]
    assert order_row(database, "5001")["odoo_error"] is None


def test_timeout_after_create_is_settled_by_search_exactly_one_po(
    database: Database, odoo_sim: OdooSimulator, tmp_path: Path
) -> None:
    config = odoo_config(tmp_path, odoo_sim, read_timeout=0.5)
    add_accepted_order(database, "5001")
    odoo_sim.inject("timeout_after_create", seconds=3)
    now = database.now()

    [lost] = push_due(database, config, now=now)

    assert lost.outcome is PushOutcome.FAILED
    assert lost.error == (
        "odoo: no answer from Odoo within 0.5 s (purchase.order.create); Odoo may still have "
        "acted on it (platform.odoo.read_timeout)"
    )
    assert len(odoo_sim.purchase_orders()) == 1  # created, the answer lost
    assert odoo_sim.purchase_orders()[0]["state"] == "draft"

    [settled] = push_due(database, config, now=now + timedelta(hours=1))

    assert (settled.outcome, settled.po_id, settled.po_name) == (PushOutcome.LINKED, 1, "P00001")
    assert odoo_sim.calls("create") == 1  # never a blind second create
    [po] = odoo_sim.purchase_orders()
    assert po["state"] == "purchase"  # confirmed by the settling push
    attempts = odoo_attempts(database, "5001")
    assert [a["outcome"] for a in attempts] == ["failed", "linked"]
    assert attempts[1]["response_body"] == '{"id": 1, "name": "P00001", "state": "purchase"}'


def test_purchase_order_made_by_hand_is_linked_not_duplicated(
    database: Database, odoo_sim: OdooSimulator, tmp_path: Path
) -> None:
    config = odoo_config(tmp_path, odoo_sim)
    odoo_sim.orm.insert(
        "purchase.order",
        {
            "name": "P00042",
            "partner_id": FLEXIT_VENDOR_ID,
            "origin": "IU-5001",
            "state": "purchase",
        },
        42,
    )
    add_accepted_order(database, "5001")

    [result] = push_due(database, config)

    assert (result.outcome, result.po_id, result.po_name) == (PushOutcome.LINKED, 42, "P00042")
    assert odoo_sim.calls("create") == 0
    assert odoo_sim.calls("button_confirm") == 0  # already confirmed


def test_refused_key_stops_the_pass_and_never_shows_the_key(
    database: Database, odoo_sim: OdooSimulator, tmp_path: Path
) -> None:
    config = odoo_config(tmp_path, odoo_sim)
    odoo_sim.api_key = "a-rotated-key-0123456789"  # the configured key is now refused
    add_accepted_order(database, "5001")
    add_accepted_order(database, "5002")

    results = push_due(database, config)

    refused = (
        "odoo: purchase.order.search_read: Odoo answered 401 (Invalid apikey): the API key "
        "was refused; check platform.odoo.api_key (keys expire: at most three months in "
        "Odoo 19)"
    )
    assert [(r.order_id, r.outcome, r.error) for r in results] == [
        ("5001", PushOutcome.FAILED, refused),
        (
            "5002",
            PushOutcome.SKIPPED,
            "not tried: Odoo is unavailable (see order 5001)",
        ),
    ]
    assert odoo_sim.calls("search_read") == 1  # one request, not one per order
    assert order_row(database, "5002")["odoo_attempts"] == 0
    stored = repr(order_row(database, "5001")) + repr(odoo_attempts(database, "5001"))
    assert ODOO_API_KEY not in stored


def test_jsonrpc_key_travels_in_the_body_but_is_never_stored(
    database: Database, make_odoo: MakeOdoo, tmp_path: Path
) -> None:
    odoo = make_odoo(major_version=17)
    config = odoo_config(tmp_path, odoo, api="jsonrpc")
    add_accepted_order(database, "5001")

    [result] = push_due(database, config)

    assert result.outcome is PushOutcome.CREATED
    [attempt] = odoo_attempts(database, "5001")
    assert attempt["request_url"] == f"{odoo.url}/jsonrpc"
    assert attempt["request_payload"] == {
        "partner_id": FLEXIT_VENDOR_ID,
        "origin": "IU-5001",
        "partner_ref": "SO-000001",
        "order_line": [
            [
                0,
                0,
                {
                    "product_id": 1,
                    "name": "[FLX-1001] iPhone 13 128GB",
                    "product_qty": 1,
                    "price_unit": 200.0,
                },
            ]
        ],
    }
    assert ODOO_API_KEY not in repr(attempt)
    assert all(ODOO_API_KEY not in r.body for r in odoo.requests)  # the simulator masks it


def test_drop_ship_address_is_found_or_created_once(
    database: Database, odoo_sim: OdooSimulator, tmp_path: Path
) -> None:
    config = odoo_config(tmp_path, odoo_sim, picking_type=DROPSHIP_PICKING_TYPE_ID, company_id=1)
    add_accepted_order(database, "5001")
    add_accepted_order(database, "5002")  # the same customer address

    results = push_due(database, config)

    assert [r.outcome for r in results] == [PushOutcome.CREATED, PushOutcome.CREATED]
    delivery = [p for p in odoo_sim.orm.records("res.partner") if p["type"] == "delivery"]
    assert [(p["name"], p["street"], p["zip"], p["city"], p["country_id"]) for p in delivery] == [
        ("Jan Jansen", "Damrak 1", "1012 AB", "Amsterdam", 1)
    ]
    pos = odoo_sim.purchase_orders()
    assert {(po["dest_address_id"], po["picking_type_id"], po["company_id"]) for po in pos} == {
        (delivery[0]["id"], DROPSHIP_PICKING_TYPE_ID, 1)
    }


def test_without_confirm_the_purchase_order_stays_a_draft(
    database: Database, odoo_sim: OdooSimulator, tmp_path: Path
) -> None:
    config = odoo_config(tmp_path, odoo_sim, confirm=False)
    add_accepted_order(database, "5001")

    [result] = push_due(database, config)

    assert result.outcome is PushOutcome.CREATED
    assert [po["state"] for po in odoo_sim.purchase_orders()] == ["draft"]
    assert odoo_sim.calls("button_confirm") == 0


def test_refurbisher_without_vendor_id_is_an_error_on_its_orders(
    database: Database, odoo_sim: OdooSimulator, tmp_path: Path
) -> None:
    config = odoo_config(tmp_path, odoo_sim, settings={"odoo_vendor_id": None})
    add_accepted_order(database, "5001")

    [result] = push_due(database, config)

    assert result.error == (
        "odoo: flexit.settings.odoo_vendor_id is not set: set it to the refurbisher's "
        "partner id (res.partner) in Odoo"
    )
    assert odoo_sim.requests == []


def test_odoo_server_errors_are_retried_with_growing_backoff(
    database: Database, odoo_sim: OdooSimulator, tmp_path: Path
) -> None:
    config = odoo_config(tmp_path, odoo_sim)
    add_accepted_order(database, "5001")
    odoo_sim.inject("503", on="*")
    odoo_sim.inject("500", on="*")
    now = database.now()

    first = push_due(database, config, now=now)
    second = push_due(database, config, now=now + timedelta(seconds=30))
    third = push_due(database, config, now=now + timedelta(seconds=90))

    assert [r.error for r in first + second] == [
        "odoo: purchase.order.search_read: Odoo answered 503: an HTML page titled "
        "'503 Service Temporarily Unavailable'",
        "odoo: purchase.order.search_read: Odoo answered 500: internal server error",
    ]
    assert [r.next_at for r in first + second] == [
        now + timedelta(seconds=30),
        now + timedelta(seconds=90),
    ]
    assert [(r.outcome, r.attempts) for r in third] == [(PushOutcome.CREATED, 3)]


def test_retry_takes_orders_still_backing_off(
    database: Database, make_odoo: MakeOdoo, tmp_path: Path
) -> None:
    odoo = make_odoo(products=False)
    config = odoo_config(tmp_path, odoo)
    add_accepted_order(database, "5001")
    assert [r.outcome for r in push_due(database, config)] == [PushOutcome.FAILED]
    odoo.add_product("FLX-1001", name="iPhone 13 128GB")

    assert push_due(database, config) == []
    assert [r.outcome for r in push_due(database, config, retry=True)] == [PushOutcome.CREATED]


def test_a_push_that_died_holds_the_order_until_its_lease_ends_then_search_links_it(
    database: Database, odoo_sim: OdooSimulator, tmp_path: Path
) -> None:
    config = odoo_config(tmp_path, odoo_sim)
    add_accepted_order(database, "5001")
    with database.write_transaction() as conn:
        [due] = store.due_orders(conn, ["flexit"], database.now())
        db_now = database.now()
        assert store.claim(conn, due, db_now, db_now + timedelta(minutes=5)) is True
        assert store.claim(conn, due, db_now, db_now + timedelta(minutes=5)) is False
    # The dead push had created the PO before it died.
    odoo_sim.orm.insert(
        "purchase.order",
        {"name": "P00001", "partner_id": FLEXIT_VENDOR_ID, "origin": "IU-5001", "state": "draft"},
    )

    assert push_due(database, config) == []  # leased: nobody else touches it
    assert push_due(database, config, retry=True) == []

    with database.begin() as conn:
        conn.execute(
            store.orders.update()
            .where(store.orders.c.id == "5001")
            .values(odoo_lease_until=database.now() - timedelta(seconds=1))
        )
    [result] = push_due(database, config)

    assert (result.outcome, result.po_name, result.attempts) == (PushOutcome.LINKED, "P00001", 2)
    assert odoo_sim.calls("create") == 0
    assert [po["state"] for po in odoo_sim.purchase_orders()] == ["purchase"]


def test_a_pass_takes_at_most_limit_orders_longest_waiting_first(
    database: Database, odoo_sim: OdooSimulator, tmp_path: Path
) -> None:
    config = odoo_config(tmp_path, odoo_sim)
    for order_id in ("5001", "5002", "5003"):
        add_accepted_order(database, order_id)

    first = push_due(database, config, limit=2)
    second = push_due(database, config, limit=2)

    assert [r.order_id for r in first] == ["5001", "5002"]
    assert [r.order_id for r in second] == ["5003"]
