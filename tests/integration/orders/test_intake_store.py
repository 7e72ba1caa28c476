"""Intake against a real database (SQLite and PostgreSQL): accept, idempotency, refusals."""

from __future__ import annotations

import copy
import json
import sqlite3
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event

from irp.config import Config
from irp.errors import OrderError
from irp.orders import intake
from irp.orders.intake import IntakeResult, accept_order, accept_orders, content_hash
from irp.store.db import Database
from irp.store.tables import order_lines, orders
from tests.integration.orders.intake_support import (
    flexit_config,
    order_row,
    spec_order,
    store_offers,
)


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    return flexit_config(tmp_path, monkeypatch)


@pytest.fixture
def db(database: Database) -> Database:
    store_offers(database)
    return database


def _lines(db: Database, order_id: str) -> list[dict[str, object]]:
    with db.connect() as conn:
        query = sa.select(order_lines).where(order_lines.c.order_id == order_id)
        rows = conn.execute(query.order_by(order_lines.c.line_no)).all()
    return [{k: v for k, v in row._mapping.items() if k != "id"} for row in rows]


def _count(db: Database) -> int:
    with db.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(orders)).scalar_one())


def test_new_order_is_stored_pending_due_now_with_offer_snapshot(
    db: Database, config: Config
) -> None:
    order = spec_order(
        items=[
            {"sku": "FLX-1001", "quantity": 1, "unit_price_tax_excl": "249.10"},
            {"sku": "FLX-1002", "quantity": 3, "unit_price_tax_excl": Decimal("180.5")},
        ]
    )
    result = accept_order(db, config, order)
    assert result == IntakeResult("5001", "accepted", "5001: accepted")
    row = order_row(db, "5001")
    assert row["status"] == "pending"
    assert row["attempts"] == 0
    assert row["refurbisher"] == "flexit"
    assert row["order_number"] == "IU-100234"
    assert row["currency"] == "EUR"
    assert row["next_attempt_at"] is not None
    assert row["next_attempt_at"] == row["created_at"]
    assert row["content"]["items"][0]["unit_price_tax_excl"] == "249.10"
    assert row["content"]["items"][1]["unit_price_tax_excl"] == "180.50"
    assert row["content_hash"] == content_hash(row["content"])
    assert _lines(db, "5001") == [
        {
            "order_id": "5001",
            "line_no": 1,
            "sku": "FLX-1001",
            "ean": "8712345678906",
            "name": "iPhone 12 128GB",
            "quantity": 1,
            "unit_price_tax_excl": Decimal("249.1000"),
            "price_purchase_amount": Decimal("200.0000"),
            "price_selling_amount": Decimal("249.0000"),
        },
        {
            "order_id": "5001",
            "line_no": 2,
            "sku": "FLX-1002",
            "ean": None,
            "name": "Galaxy S21",
            "quantity": 3,
            "unit_price_tax_excl": Decimal("180.5000"),
            "price_purchase_amount": Decimal("150.5000"),
            "price_selling_amount": Decimal("195.7250"),
        },
    ]


def test_same_order_again_is_unchanged_even_with_other_key_order_and_number_forms(
    db: Database, config: Config
) -> None:
    assert accept_order(db, config, spec_order()).result == "accepted"
    again = dict(reversed(list(copy.deepcopy(spec_order()).items())))
    again["id"] = 5001
    again["currency"] = "eur"
    again["shipping_address"]["country"] = "Netherlands"
    again["items"] = [{"unit_price_tax_excl": Decimal("249.0"), "quantity": 1, "sku": "FLX-1001"}]
    assert accept_order(db, config, again) == IntakeResult(
        "5001", "unchanged", "5001: already accepted, unchanged"
    )
    assert _count(db) == 1


def test_same_id_with_different_content_is_refused_naming_what_differs(
    db: Database, config: Config
) -> None:
    accept_order(db, config, spec_order())
    changed = spec_order(order_number="IU-999")
    changed["items"] = [{"sku": "FLX-1001", "quantity": 2, "unit_price_tax_excl": "249.00"}]
    result = accept_order(db, config, changed)
    assert result == IntakeResult(
        "5001",
        "refused",
        "5001: already accepted with different content (items, order_number differ); an "
        "accepted order cannot be changed — send a correction as a new order id, and cancel "
        "this one with `irp orders resolve 5001 --cancel` if needed",
    )
    assert order_row(db, "5001")["order_number"] == "IU-100234"


def test_unknown_skus_are_refused_naming_them_and_nothing_is_stored(
    db: Database, config: Config
) -> None:
    order = spec_order(
        items=[
            {"sku": "FLX-9", "quantity": 1, "unit_price_tax_excl": "1.00"},
            {"sku": "FLX-1001", "quantity": 1, "unit_price_tax_excl": "1.00"},
            {"sku": "FLX-8", "quantity": 1, "unit_price_tax_excl": "1.00"},
        ]
    )
    assert accept_order(db, config, order).message == (
        "5001: SKUs FLX-9, FLX-8 are not offers of flexit; check the SKU or run "
        "`irp offers sync flexit` first"
    )
    single = spec_order(items=[{"sku": "NOPE", "quantity": 1, "unit_price_tax_excl": "1"}])
    assert accept_order(db, config, single).message == (
        "5001: SKU NOPE is not an offer of flexit; check the SKU or run "
        "`irp offers sync flexit` first"
    )
    assert _count(db) == 0


def test_a_list_is_taken_order_by_order(db: Database, config: Config) -> None:
    bad = spec_order(id="5002")
    bad["shipping_address"] = {**bad["shipping_address"], "country": "Narnia"}
    results = accept_orders(db, config, [spec_order(), bad, spec_order(id="5003")])
    assert [(r.id, r.result) for r in results] == [
        ("5001", "accepted"),
        ("5002", "refused"),
        ("5003", "accepted"),
    ]
    assert _count(db) == 2


def test_losing_the_insert_race_reports_what_the_winner_stored(
    db: Database, config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The other intake's row lands between our check and our insert: the primary key
    # refuses the insert, and the result comes from re-reading the winner's row.
    accept_order(db, config, spec_order())
    reads: list[list[str]] = []

    def stale_first_read(conn: sa.Connection, order_ids: list[str]) -> dict[str, Any]:
        reads.append(order_ids)
        return {}  # as if the winner had not committed yet

    monkeypatch.setattr(intake, "_stored_hashes", stale_first_read)
    changed = spec_order(order_number="IU-OTHER")
    results = accept_orders(db, config, [spec_order(), changed, spec_order(id="5002")])
    assert reads == [["5001", "5001", "5002"]]
    assert results[0] == IntakeResult("5001", "unchanged", "5001: already accepted, unchanged")
    assert results[1].result == "refused" and results[1].conflict
    assert results[1].message.startswith("5001: already accepted with different content (")
    assert results[2] == IntakeResult("5002", "accepted", "5002: accepted")
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(orders)).scalar_one() == 2


def test_unknown_refurbisher_no_order_section_or_other_currency_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database: Database
) -> None:
    store_offers(database)
    config = flexit_config(
        tmp_path, monkeypatch, feedonly={"name": "feedonly", "refurbisher_id": 3}
    )
    assert accept_order(database, config, spec_order(refurbisher="acme")).message == (
        "5001: refurbisher 'acme' is not in the config (known: feedonly, flexit)"
    )
    assert accept_order(database, config, spec_order(refurbisher="feedonly")).message == (
        "5001: refurbisher 'feedonly' has no order section in the config (acceptance), so "
        "its orders cannot be sent; add feedonly.order first"
    )
    result = accept_order(database, config, spec_order(currency="USD"))
    assert result == IntakeResult(
        "5001",
        "refused",
        "5001: currency USD does not match flexit's currency EUR (settings.currency)",
    )
    assert _count(database) == 0


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_intake_queues_behind_another_sqlite_writer_instead_of_failing(
    db: Database, config: Config
) -> None:
    path = db.engine.url.database
    assert path is not None
    done: list[str] = []

    def other_writer() -> None:  # another process's short write (a sync, a submission)
        conn = sqlite3.connect(path, timeout=30, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO irp_meta (key, value) VALUES ('concurrent-writer', 'x')")
        conn.execute("COMMIT")
        conn.close()
        done.append("committed")

    writer = threading.Thread(target=other_writer)

    def interleave(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        # The other writer commits between intake's read of the id and its insert.
        if statement.startswith("INSERT INTO orders") and not writer.is_alive() and not done:
            writer.start()
            writer.join(timeout=1.0)  # with BEGIN IMMEDIATE it waits for us instead

    event.listen(db.engine, "before_cursor_execute", interleave)
    try:
        # Before, intake read in a deferred transaction and its insert then failed at
        # once with "database is locked" (a stale read snapshot cannot become a write).
        result = accept_order(db, config, spec_order())
    finally:
        event.remove(db.engine, "before_cursor_execute", interleave)
    writer.join(timeout=60)
    assert not writer.is_alive()
    assert result == IntakeResult("5001", "accepted", "5001: accepted")
    assert done == ["committed"]
    assert order_row(db, "5001")["status"] == "pending"


DOCUMENT_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)
DAMAGE = st.sampled_from(
    ["id", "refurbisher", "currency", "shipping_address", "items", "order_number", "extra"]
)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(damage=st.lists(st.tuples(DAMAGE, DOCUMENT_VALUES), max_size=3), many=st.booleans())
def test_any_document_is_accepted_or_refused_order_by_order(
    db: Database, config: Config, damage: list[tuple[str, object]], many: bool
) -> None:
    order = spec_order(id=str(len(damage)))
    for key, value in damage:
        order[key] = value
    data = json.dumps([order, spec_order(id="9999")] if many else order).encode()
    try:
        raws = intake.load_order_document(data, source="in.json")
    except OrderError as exc:
        assert str(exc).startswith("in.json: ")
        return
    with db.connect() as conn:
        before = conn.execute(sa.select(sa.func.count()).select_from(orders)).scalar_one()
    results = accept_orders(db, config, raws)
    assert len(results) == len(raws)
    assert all(r.result in ("accepted", "unchanged", "refused") and r.message for r in results)
    accepted = sum(r.result == "accepted" for r in results)
    with db.connect() as conn:
        after = conn.execute(sa.select(sa.func.count()).select_from(orders)).scalar_one()
    assert after == before + accepted  # a refusal stores nothing
