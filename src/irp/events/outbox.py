"""The outbox: every change of an order's state is an event, written in its transaction.

SPEC §4: accepted, submitted (with the reference), rejected, failed, uncertain,
shipped (with tracking), delivered and cancelled are each an event in ``order_events``,
inserted on the connection (and so in the transaction) that made the change — the
event exists exactly when the change does. :func:`irp.orders.states.transition` calls
:func:`record_transition` after every successful compare-and-set, intake calls
:func:`record_accepted_many` for the orders it stored (:func:`record_accepted` for
one), and a further parcel of an order that already shipped is an
``order.shipment`` event (its state does not change).

Internal steps are not events: ``pending -> submitting``, a retriable attempt's
``submitting -> pending`` and a state kept (``uncertain -> uncertain`` while lookups go
on) are the pipeline at work, not news for the marketplace. An
order that comes back to ``pending`` from ``failed``, ``rejected`` or ``uncertain`` (an
operator's retry, a confirmed not-found) is ``order.pending``.

**Order of ids.** ``GET /api/events?after=ID`` must never skip an event, so ids have to
become visible in the order they were given. SQLite has one writer at a time, so they
do. On PostgreSQL two transactions may take ids 10 and 11 and commit 11 first; every
event writer therefore takes one transaction-scoped advisory lock before its insert,
which serialises the id allocation and the commit of event-writing transactions (the
lock is held only from the insert to the commit of short transactions).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from irp.store.db import database_now, insert_id
from irp.store.tables import order_events, orders, shipments

__all__ = [
    "EVENT_TYPES",
    "event_document",
    "iso_utc",
    "record_accepted",
    "record_accepted_many",
    "record_event",
    "record_transition",
]

EVENT_TYPES = (
    "order.accepted",
    "order.submitted",
    "order.rejected",
    "order.failed",
    "order.uncertain",
    "order.pending",
    "order.shipped",
    "order.shipment",
    "order.delivered",
    "order.cancelled",
)
"""Every event type, in the order an order usually meets them."""

_EVENT_LOCK_KEY = 0x1A9_E7E5  # pg_advisory_xact_lock key: "irp events"
_INTERNAL = frozenset({"pending", "submitting"})
_WITH_REASON = frozenset({"order.rejected", "order.failed", "order.uncertain"})
_WITH_SHIPMENT = frozenset({"order.shipped", "order.shipment", "order.delivered"})


def record_transition(
    conn: sa.Connection, order_id: str, sources: Iterable[str], to_status: str
) -> int | None:
    """The event for a state change just made on ``conn``; None for an internal step.

    When the order has just become known to the refurbisher's side (submitted,
    uncertain), shipments that arrived before it are applied too.
    """
    target = str(to_status)
    before = {str(source) for source in sources}
    if before == {target}:
        return None  # a state kept (a lookup that asks again later): no change to report
    event_id = None
    if target != "submitting" and not (target == "pending" and before <= _INTERNAL):
        event_id = record_event(conn, order_id, f"order.{target}")
    if target in ("submitted", "uncertain"):
        _apply_waiting_shipments(conn, order_id)
    return event_id


def record_accepted(conn: sa.Connection, order_id: str) -> int:
    """``order.accepted`` for an order intake has just stored on ``conn``.

    Shipments that named this order id before it existed are linked to it (they are
    applied once it is submitted).
    """
    event_id = record_event(conn, order_id, "order.accepted")
    _apply_waiting_shipments(conn, order_id)
    return event_id


def _apply_waiting_shipments(conn: sa.Connection, order_id: str) -> None:
    # Shipments sit above orders (they move them); imported when used to keep that order.
    from irp.shipments.matching import apply_waiting_shipments

    apply_waiting_shipments(conn, order_id)


def record_event(
    conn: sa.Connection,
    order_id: str,
    event_type: str,
    *,
    shipment: Mapping[str, Any] | None = None,
) -> int:
    """Insert one event about ``order_id`` as it stands on ``conn``; its id (the cursor).

    ``shipment`` adds the parcel the event is about (``order.shipment``); otherwise a
    shipping event carries the order's own tracking columns.
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    _lock_event_ids(conn)
    order = conn.execute(sa.select(orders).where(orders.c.id == order_id)).mappings().one()
    now = database_now(conn)
    return insert_id(
        conn, sa.insert(order_events).values(**_event_row(order, event_type, shipment, now))
    )


def record_accepted_many(conn: sa.Connection, order_ids: Sequence[str]) -> None:
    """:func:`record_accepted` for several orders intake has just stored on ``conn``.

    The same events, in the order of ``order_ids``, and the same linking of waiting
    shipments; but a few statements for the whole batch instead of several per order
    (one order read, one insert of every event, one look for waiting shipments).
    """
    if not order_ids:
        return
    _lock_event_ids(conn)
    rows = conn.execute(sa.select(orders).where(orders.c.id.in_(order_ids))).mappings()
    by_id = {row["id"]: row for row in rows}
    now = database_now(conn)
    conn.execute(
        sa.insert(order_events),
        [_event_row(by_id[order_id], "order.accepted", None, now) for order_id in order_ids],
    )
    waiting = set(
        conn.execute(
            sa.select(shipments.c.given_order_id).where(
                shipments.c.order_id.is_(None), shipments.c.given_order_id.in_(order_ids)
            )
        ).scalars()
    )
    for order_id in order_ids:  # only these can have a shipment to link
        if order_id in waiting:
            _apply_waiting_shipments(conn, order_id)


def _lock_event_ids(conn: sa.Connection) -> None:
    """Serialise event-writing transactions on PostgreSQL (see "Order of ids" above)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _EVENT_LOCK_KEY})


def _event_row(
    order: sa.RowMapping, event_type: str, shipment: Mapping[str, Any] | None, now: datetime
) -> dict[str, Any]:
    data = _data(order, event_type, shipment)
    return {
        "webhook_id": f"evt_{uuid.uuid4().hex}",
        "order_id": order["id"],
        "refurbisher": order["refurbisher"],
        "type": event_type,
        "status": order["status"],
        "occurred_at": now,
        "payload": {"type": event_type, "timestamp": iso_utc(now), "data": data},
        "push_attempts": 0,
        "next_push_at": now,
    }


def event_document(row: Mapping[str, Any] | sa.RowMapping) -> dict[str, Any]:
    """An ``order_events`` row as the marketplace reads it (API and push alike).

    ``{"id": webhook_id, "cursor", "type", "timestamp", "data"}``; ``id`` is the stable
    ``webhook-id`` a repeat is recognised by.
    """
    payload = row["payload"]
    return {
        "id": row["webhook_id"],
        "cursor": str(row["id"]),
        "type": payload["type"],
        "timestamp": payload["timestamp"],
        "data": payload["data"],
    }


def _data(
    order: sa.RowMapping, event_type: str, shipment: Mapping[str, Any] | None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "order_id": order["id"],
        "refurbisher": order["refurbisher"],
        "order_number": order["order_number"],
        "status": order["status"],
        "external_reference": order["external_reference"],
    }
    if event_type in _WITH_REASON:
        data["reason"] = order["last_error"]
    if event_type in _WITH_SHIPMENT:
        data["shipment"] = dict(shipment) if shipment is not None else _order_tracking(order)
    if event_type == "order.delivered":
        data["delivered_at"] = iso_utc(order["delivered_at"])
    return data


def _order_tracking(order: sa.RowMapping) -> dict[str, Any]:
    return {
        "carrier": order["carrier"],
        "tracking_code": order["tracking_code"],
        "tracking_url": order["tracking_url"],
        "shipped_at": iso_utc(order["shipped_at"]),
    }


def iso_utc(value: datetime | None) -> str | None:
    """An aware UTC time as ISO 8601 with ``Z`` (None stays None): how events show times."""
    return value.isoformat().replace("+00:00", "Z") if value is not None else None
