"""Storing shipments once, finding their order, and moving the order (SPEC §4).

A shipment is stored once per refurbisher under its key (the tracking code, else a
hash of its facts); a second report of the same parcel only adds what is new (a
``delivered`` status, a missing URL) and never goes back from ``delivered``.

It is matched to an order by our ``order_id`` (it wins when both are given), else by
the refurbisher's ``external_reference``. A matched shipment moves the order:

- ``submitted`` or ``uncertain`` -> ``shipped`` (a shipment proves the order exists:
  an uncertain order keeps the reference the shipment carries), with the parcel's
  carrier and tracking on the order;
- ``shipped`` -> ``delivered`` once every known parcel is delivered (and, where the
  parcels list their lines, every ordered quantity is covered);
- a further parcel of a shipped order is an ``order.shipment`` event.

A shipment whose order is unknown is stored unmatched; when that order is accepted,
submitted or becomes uncertain, :func:`apply_waiting_shipments` (called from the
outbox, in that same transaction) links and applies it. An order in another state
(pending, failed, cancelled...) is linked but not moved.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from irp.events.outbox import iso_utc, record_event
from irp.orders.states import OrderStatus, transition
from irp.shipments.parse import ShipmentFacts
from irp.store.db import database_now, insert_id
from irp.store.tables import order_lines, orders, shipments

__all__ = ["Stored", "apply_waiting_shipments", "as_stored", "store_shipment"]

S = OrderStatus
_SHIPPABLE = (S.SUBMITTED, S.UNCERTAIN)


@dataclass(frozen=True)
class Stored:
    """What storing one shipment did: its row, its order (if matched) and that order's
    state afterwards; ``changed`` is False for a repeat that added nothing."""

    shipment_id: int
    order_id: str | None
    order_status: str | None
    changed: bool


def store_shipment(
    conn: sa.Connection,
    refurbisher: str,
    facts: ShipmentFacts,
    *,
    source: str,
    raw: Any,
    delivery_id: int | None = None,
    order_id: str | None = None,
) -> Stored:
    """Store (or complete) one shipment, match it and apply it to its order.

    ``order_id`` is given by a poll, which knows the order it asked about.
    """
    now = database_now(conn)
    existing = _existing(conn, refurbisher, facts)
    if existing is None:
        try:
            with conn.begin_nested():
                shipment_id = _insert(conn, refurbisher, facts, source, raw, delivery_id, now)
        except sa.exc.IntegrityError:  # a concurrent delivery of the same parcel won
            existing = _existing(conn, refurbisher, facts)
            assert existing is not None
    if existing is None:
        created, changed, matched = True, True, None
    else:
        shipment_id, created = int(existing["id"]), False
        changed = _complete(conn, existing, facts, now)
        matched = existing["order_id"]
    target = matched or order_id or _find_order(conn, refurbisher, facts)
    if target is None:
        return Stored(shipment_id, None, None, changed)
    if matched is None:
        conn.execute(
            sa.update(shipments)
            .where(shipments.c.id == shipment_id)
            .values(order_id=target, matched_at=now, updated_at=now)
        )
        changed = True
    status = _apply(conn, target, shipment_id, new_parcel=created or matched is None)
    return Stored(shipment_id, target, status, changed)


def _existing(conn: sa.Connection, refurbisher: str, facts: ShipmentFacts) -> sa.RowMapping | None:
    query = sa.select(shipments).where(
        shipments.c.refurbisher == refurbisher, shipments.c.shipment_key == facts.key
    )
    return conn.execute(query).mappings().first()


def as_stored(conn: sa.Connection, refurbisher: str, facts: ShipmentFacts) -> Stored:
    """What storing ``facts`` did before, read only (the answer to a repeat)."""
    row = conn.execute(
        sa.select(shipments.c.id, shipments.c.order_id, orders.c.status)
        .select_from(shipments.outerjoin(orders, orders.c.id == shipments.c.order_id))
        .where(shipments.c.refurbisher == refurbisher, shipments.c.shipment_key == facts.key)
    ).first()
    if row is None:
        return Stored(0, None, None, False)
    return Stored(int(row.id), row.order_id, row.status, False)


def apply_waiting_shipments(conn: sa.Connection, order_id: str) -> None:
    """Link the unmatched shipments that name ``order_id`` or its reference, and apply
    the order's shipments if it can move (see the module docstring)."""
    order = _order(conn, order_id)
    names = shipments.c.given_order_id == order_id
    if order["external_reference"]:
        names = sa.or_(names, shipments.c.external_reference == order["external_reference"])
    now = database_now(conn)
    conn.execute(
        sa.update(shipments)
        .where(
            shipments.c.order_id.is_(None),
            shipments.c.refurbisher == order["refurbisher"],
            names,
        )
        .values(order_id=order_id, matched_at=now, updated_at=now)
    )
    if S(order["status"]) not in _SHIPPABLE:
        return
    parcels = conn.execute(
        sa.select(shipments.c.id)
        .where(shipments.c.order_id == order_id)
        .order_by(shipments.c.received_at, shipments.c.id)
    ).scalars()
    for index, parcel_id in enumerate(list(parcels)):
        _apply(conn, order_id, int(parcel_id), new_parcel=index > 0)


def _insert(
    conn: sa.Connection,
    refurbisher: str,
    facts: ShipmentFacts,
    source: str,
    raw: Any,
    delivery_id: int | None,
    now: datetime,
) -> int:
    return insert_id(
        conn,
        sa.insert(shipments).values(
            refurbisher=refurbisher,
            shipment_key=facts.key,
            given_order_id=facts.order_id,
            external_reference=facts.external_reference,
            status=facts.status,
            carrier=facts.carrier,
            tracking_code=facts.tracking_code,
            tracking_url=facts.tracking_url,
            shipped_at=facts.shipped_at,
            delivered_at=facts.delivered_at or (now if facts.status == "delivered" else None),
            lines=facts.lines,
            source=source,
            delivery_id=delivery_id,
            raw=raw,
            received_at=now,
            updated_at=now,
        ),
    )


def _complete(
    conn: sa.Connection, existing: sa.RowMapping, facts: ShipmentFacts, now: datetime
) -> bool:
    """Add what a repeat report knows that the stored shipment does not."""
    values: dict[str, Any] = {}
    if facts.status == "delivered" and existing["status"] != "delivered":
        values["status"] = "delivered"
        values["delivered_at"] = facts.delivered_at or now
    for name in ("carrier", "tracking_url", "shipped_at", "external_reference", "lines"):
        given = getattr(facts, name)
        if given is not None and existing[name] is None:
            values[name] = given
    if not values:
        return False
    conn.execute(
        sa.update(shipments)
        .where(shipments.c.id == existing["id"])
        .values(updated_at=now, **values)
    )
    return True


def _find_order(conn: sa.Connection, refurbisher: str, facts: ShipmentFacts) -> str | None:
    mine = orders.c.refurbisher == refurbisher
    if facts.order_id is not None:
        found = conn.execute(
            sa.select(orders.c.id).where(mine, orders.c.id == facts.order_id)
        ).scalar()
        if found is not None:
            return str(found)
    if facts.external_reference is not None:
        found = conn.execute(
            sa.select(orders.c.id)
            .where(mine, orders.c.external_reference == facts.external_reference)
            .order_by(orders.c.created_at)
            .limit(1)
        ).scalar()
        if found is not None:
            return str(found)
    return None


def _order(conn: sa.Connection, order_id: str) -> sa.RowMapping:
    return conn.execute(sa.select(orders).where(orders.c.id == order_id)).mappings().one()


def _apply(conn: sa.Connection, order_id: str, shipment_id: int, *, new_parcel: bool) -> str:
    """Move the order for this shipment; its state afterwards."""
    order = _order(conn, order_id)
    status = S(order["status"])
    parcel = (
        conn.execute(sa.select(shipments).where(shipments.c.id == shipment_id)).mappings().one()
    )
    if status in _SHIPPABLE:
        values: dict[str, Any] = {
            "shipped_at": parcel["shipped_at"] or parcel["received_at"],
            "carrier": parcel["carrier"],
            "tracking_code": parcel["tracking_code"],
            "tracking_url": parcel["tracking_url"],
        }
        if status is S.UNCERTAIN:
            values |= {"lookup_next_at": None, "last_error": None}
            if order["external_reference"] is None and parcel["external_reference"]:
                values["external_reference"] = parcel["external_reference"]
        if transition(conn, order_id, [status], S.SHIPPED, values=values):
            status = S.SHIPPED
    elif status in (S.SHIPPED, S.DELIVERED) and new_parcel:
        record_event(conn, order_id, "order.shipment", shipment=_tracking(parcel))
    if status is S.SHIPPED and _all_delivered(conn, order_id):
        delivered = conn.execute(
            sa.select(sa.func.max(shipments.c.delivered_at)).where(shipments.c.order_id == order_id)
        ).scalar()
        if transition(
            conn,
            order_id,
            [S.SHIPPED],
            S.DELIVERED,
            values={"delivered_at": delivered or database_now(conn)},
        ):
            status = S.DELIVERED
    return str(status)


def _tracking(parcel: sa.RowMapping) -> dict[str, Any]:
    shipped = parcel["shipped_at"]
    return {
        "carrier": parcel["carrier"],
        "tracking_code": parcel["tracking_code"],
        "tracking_url": parcel["tracking_url"],
        "shipped_at": iso_utc(shipped),
        "status": parcel["status"],
    }


def _all_delivered(conn: sa.Connection, order_id: str) -> bool:
    """Every parcel delivered and, where parcels list lines, every quantity covered."""
    parcels = conn.execute(
        sa.select(shipments.c.status, shipments.c.lines).where(shipments.c.order_id == order_id)
    ).all()
    if not parcels or any(p.status != "delivered" for p in parcels):
        return False
    covered: Counter[str] = Counter()
    listed = False
    for parcel in parcels:
        for line in parcel.lines or []:
            if isinstance(line, Mapping) and isinstance(line.get("sku"), str):
                listed = True
                quantity = line.get("quantity", 1)
                covered[line["sku"]] += quantity if isinstance(quantity, int) else 1
    if not listed:
        return True
    ordered = conn.execute(
        sa.select(order_lines.c.sku, sa.func.sum(order_lines.c.quantity))
        .where(order_lines.c.order_id == order_id)
        .group_by(order_lines.c.sku)
    ).all()
    return all(covered[sku] >= int(quantity) for sku, quantity in ordered)
