"""The Odoo job's side of the orders table: what is due, claims, outcomes, attempts.

An order is **due** for Odoo when it reached ``submitted`` (or later: shipped,
delivered), has no purchase order yet, and its backoff (``odoo_next_at``) has passed.
A push **claims** it with one compare-and-set on ``odoo_attempts`` that also takes a
lease (``odoo_lease_until``, on the database's clock) — two processes never book the
same order at once, and a push that died leaves an order whose lease simply runs out
(the next push searches Odoo before creating, so nothing is booked twice). The claim
inserts the attempt row (outcome ``sending``) in the same committed transaction.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from irp.odoo.purchase import OrderToBook
from irp.orders import attempts
from irp.orders.intake import LineSnapshot
from irp.store.tables import order_attempts, order_lines, orders

#: Order states whose orders are booked in Odoo: the refurbisher accepted them.
BOOKABLE_STATES = ("submitted", "shipped", "delivered")
ATTEMPT_KIND = "odoo"


@dataclass(frozen=True)
class DueOrder:
    """An order the Odoo job may claim: ``attempts`` is the compare-and-set token."""

    order_id: str
    refurbisher: str
    attempts: int


def due_orders(
    conn: sa.Connection,
    refurbishers: Sequence[str],
    now: datetime,
    *,
    retry: bool = False,
    limit: int = 500,
) -> list[DueOrder]:
    """Orders of ``refurbishers`` to book now, oldest accepted first.

    ``retry`` also takes orders still waiting out a backoff (an operator fixed the cause).
    """
    o = orders.c
    condition = sa.and_(
        o.refurbisher.in_(list(refurbishers)),
        o.status.in_(BOOKABLE_STATES),
        o.odoo_po_id.is_(None),
        sa.or_(o.odoo_lease_until.is_(None), o.odoo_lease_until <= now),
    )
    if not retry:
        condition = sa.and_(condition, sa.or_(o.odoo_next_at.is_(None), o.odoo_next_at <= now))
    query = (
        sa.select(o.id, o.refurbisher, o.odoo_attempts)
        .where(condition)
        .order_by(o.submitted_at, o.created_at, o.id)
        .limit(limit)
    )
    return [DueOrder(row.id, row.refurbisher, row.odoo_attempts) for row in conn.execute(query)]


def claim(conn: sa.Connection, due: DueOrder, db_now: datetime, lease_until: datetime) -> bool:
    """Take ``due`` for one push (attempts + 1, lease); False when another push has it."""
    o = orders.c
    claimed = conn.execute(
        sa.update(orders)
        .where(
            o.id == due.order_id,
            o.odoo_attempts == due.attempts,
            o.odoo_po_id.is_(None),
            sa.or_(o.odoo_lease_until.is_(None), o.odoo_lease_until <= db_now),
        )
        .values(odoo_attempts=due.attempts + 1, odoo_lease_until=lease_until)
    )
    return claimed.rowcount == 1


def load_order(conn: sa.Connection, order_id: str) -> OrderToBook:
    """The stored order and its lines, as the purchase order needs them."""
    row = conn.execute(sa.select(orders).where(orders.c.id == order_id)).mappings().one()
    snapshot = [getattr(order_lines.c, name) for name in LineSnapshot.__dataclass_fields__]
    lines = conn.execute(
        sa.select(*snapshot)
        .where(order_lines.c.order_id == order_id)
        .order_by(order_lines.c.line_no)
    ).mappings()
    content = row["content"] or {}
    address = content.get("shipping_address") if isinstance(content, dict) else None
    return OrderToBook(
        order_id=row["id"],
        refurbisher=row["refurbisher"],
        order_number=row["order_number"],
        external_reference=row["external_reference"],
        address=address if isinstance(address, dict) else None,
        lines=[LineSnapshot(**line) for line in lines],
    )


def record_booked(
    conn: sa.Connection, order_id: str, po_id: int, po_name: str, now: datetime
) -> None:
    """The order is booked as PO ``po_name``: store it, clear the job's state."""
    conn.execute(
        sa.update(orders)
        .where(orders.c.id == order_id)
        .values(
            odoo_po_id=po_id,
            odoo_po_name=po_name,
            odoo_booked_at=now,
            odoo_error=None,
            odoo_next_at=None,
            odoo_lease_until=None,
            updated_at=now,
        )
    )


def record_failure(
    conn: sa.Connection, order_id: str, error: str, next_at: datetime | None
) -> None:
    """Booking failed this time: keep why, and when to try again."""
    conn.execute(
        sa.update(orders)
        .where(orders.c.id == order_id)
        .values(odoo_error=error, odoo_next_at=next_at, odoo_lease_until=None)
    )


def start_attempt(
    conn: sa.Connection, order_id: str, *, started_at: datetime, url: str, config_hash: str
) -> int:
    """The attempt row of one push (outcome ``sending``), written with the claim."""
    return attempts.start_attempt(
        conn,
        order_id,
        kind=ATTEMPT_KIND,
        started_at=started_at,
        method="POST",
        url=url,
        payload=None,
        config_hash=config_hash,
    )


def finish_attempt(
    conn: sa.Connection,
    attempt_id: int,
    *,
    outcome: str,
    duration_ms: int,
    request: str | None,
    answer: Any,
    error: str | None,
    secrets: Collection[str],
) -> None:
    """Complete the attempt: the values sent (``request``, the JSON text as sent, stored as
    JSON reads it), Odoo's answer, the error — every secret value scrubbed."""
    body = None if answer is None else json.dumps(attempts.redact(answer, secrets))
    attempts.finish_attempt(
        conn,
        attempt_id,
        outcome=outcome,
        duration_ms=duration_ms,
        response_body=body,
        error=None if error is None else attempts.redact(error, secrets),
    )
    if request is not None:
        payload = attempts.redact(json.loads(request), secrets)
        conn.execute(
            sa.update(order_attempts)
            .where(order_attempts.c.id == attempt_id)
            .values(request_payload=payload)
        )
