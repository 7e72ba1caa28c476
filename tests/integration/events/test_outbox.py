"""The outbox: one event per state change, in its transaction; read back with a cursor."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from irp.events.read import CursorError, read_events
from irp.orders.intake import accept_orders
from irp.orders.states import OrderStatus, transition
from irp.store.db import Database
from irp.store.tables import order_events
from tests.integration.orders.intake_support import flexit_config, spec_order, store_offers
from tests.integration.orders.submit_support import add_order

S = OrderStatus


def kinds(db: Database) -> list[tuple[str, str, str]]:
    with db.connect() as conn:
        rows = conn.execute(
            sa.select(order_events.c.order_id, order_events.c.type, order_events.c.status).order_by(
                order_events.c.id
            )
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def test_intake_writes_accepted_once_and_a_refusal_writes_nothing(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = flexit_config(tmp_path, monkeypatch)
    store_offers(database)

    results = accept_orders(
        database,
        config,
        [
            spec_order(),
            spec_order(),  # the same again: unchanged
            spec_order(
                id="5002", items=[{"sku": "NOPE", "quantity": 1, "unit_price_tax_excl": "1"}]
            ),
        ],
    )

    assert [r.result for r in results] == ["accepted", "unchanged", "refused"]
    assert kinds(database) == [("5001", "order.accepted", "pending")]


def test_internal_steps_are_not_events_and_a_lost_race_writes_none(database: Database) -> None:
    add_order(database, "5001")
    with database.write_transaction() as conn:
        assert transition(conn, "5001", [S.PENDING], S.SUBMITTING)
        assert transition(conn, "5001", [S.SUBMITTING], S.PENDING)  # a retriable attempt
        assert transition(conn, "5001", [S.PENDING], S.SUBMITTING)
        assert transition(conn, "5001", [S.SUBMITTING], S.REJECTED, values={"last_error": "422"})
        assert not transition(conn, "5001", [S.SUBMITTING], S.SUBMITTED)  # lost: no event
        assert transition(conn, "5001", [S.REJECTED], S.PENDING)  # an operator's retry
        assert transition(conn, "5001", [S.PENDING], S.CANCELLED)

    assert kinds(database) == [
        ("5001", "order.rejected", "rejected"),
        ("5001", "order.pending", "pending"),
        ("5001", "order.cancelled", "cancelled"),
    ]
    with database.connect() as conn:
        rejected = read_events(conn).events[0]
    assert rejected["data"]["reason"] == "422"


def test_a_kept_state_is_not_an_event(database: Database) -> None:
    add_order(database, "5001")
    with database.write_transaction() as conn:
        assert transition(conn, "5001", [S.PENDING], S.SUBMITTING)
        assert transition(conn, "5001", [S.SUBMITTING], S.UNCERTAIN)
        assert transition(conn, "5001", [S.UNCERTAIN], S.UNCERTAIN)  # a lookup: ask later

    assert kinds(database) == [("5001", "order.uncertain", "uncertain")]


def test_an_event_is_rolled_back_with_its_change(database: Database) -> None:
    add_order(database, "5001")

    with pytest.raises(RuntimeError), database.write_transaction() as conn:
        assert transition(conn, "5001", [S.PENDING], S.CANCELLED)
        raise RuntimeError("the caller fails after the change")

    assert kinds(database) == []


def test_reading_with_a_cursor_pages_oldest_first(database: Database) -> None:
    for order_id in ("5001", "5002", "5003"):
        add_order(database, order_id)
        with database.write_transaction() as conn:
            transition(conn, order_id, [S.PENDING], S.CANCELLED)

    with database.connect() as conn:
        first = read_events(conn, limit=2)
        second = read_events(conn, after=first.next_cursor, limit=2)
        empty = read_events(conn, after=second.next_cursor, limit=2)

    assert [e["data"]["order_id"] for e in first.events] == ["5001", "5002"]
    assert first.has_more
    assert [e["data"]["order_id"] for e in second.events] == ["5003"]
    assert not second.has_more
    assert (empty.events, empty.next_cursor, empty.has_more) == ([], second.next_cursor, False)
    event = first.events[0]
    assert set(event) == {"id", "cursor", "type", "timestamp", "data"}
    assert event["id"].startswith("evt_") and len(event["id"]) == 36
    assert event["timestamp"].endswith("Z")


def test_a_cursor_that_irp_did_not_give_is_refused(database: Database) -> None:
    with database.connect() as conn, pytest.raises(CursorError) as bad:
        read_events(conn, after="abc")
    with database.connect() as conn, pytest.raises(CursorError) as big:
        read_events(conn, limit=5000)

    assert (
        str(bad.value) == "after='abc' is not a cursor; send the next_cursor of an earlier answer"
    )
    assert str(big.value) == "limit must be between 1 and 1000, got 5000"


def test_a_later_event_waits_for_an_earlier_uncommitted_one(database: Database) -> None:
    """Ids become visible in commit order, so a reader's cursor never skips an event.

    PostgreSQL: the event writers' advisory lock (seen waiting in pg_locks); SQLite: one
    writer at a time (BEGIN IMMEDIATE).
    """
    import threading
    import time

    from irp.events.outbox import record_event

    add_order(database, "5001")
    add_order(database, "5002")
    done = threading.Event()

    def second_writer() -> None:
        with database.write_transaction() as conn:
            record_event(conn, "5002", "order.accepted")
        done.set()

    with database.write_transaction() as first:
        record_event(first, "5001", "order.accepted")
        thread = threading.Thread(target=second_writer)
        thread.start()
        deadline = time.monotonic() + 30
        waiting = database.dialect == "sqlite" and not done.wait(0.5)
        while not waiting and time.monotonic() < deadline:
            with database.connect() as probe:
                waiting = bool(
                    probe.execute(
                        sa.text(
                            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                            "AND NOT granted"
                        )
                    ).scalar_one()
                )
            time.sleep(0.05)
        assert waiting, "the second writer never waited for the first"
        assert not done.is_set()
        with database.connect() as reader:  # a reader now sees neither event
            assert read_events(reader).events == []
    thread.join(timeout=30)

    with database.connect() as reader:
        assert [e["data"]["order_id"] for e in read_events(reader).events] == ["5001", "5002"]
