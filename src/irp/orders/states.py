"""Order states, the transitions between them, and the one function that moves them.

Every transition — worker, scheduler, webhook or operator — is a compare-and-set on
the stored state: ``UPDATE orders SET status = :to ... WHERE id = :id AND status IN
(:from...)``. Whoever loses the race changes nothing and is told so, which is how two
workers never send the same order and an operator action never races a send.

:func:`transition` is the only code that writes ``orders.status`` (and the other
columns of a state change), so a hook placed in it — an outbox event written in the
same transaction — sees every change. Two self-transitions exist and are changes too:
``pending -> pending`` (an operator's retry makes a backed-off order due now) and
``uncertain -> uncertain`` (a lookup claims the order, or records what it learnt).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from irp.events.outbox import record_transition
from irp.store.tables import orders as orders_table


class OrderStatus(StrEnum):
    """Where an order stands. The rule: resend only what the refurbisher surely never saw."""

    PENDING = "pending"  # accepted; due at next_attempt_at (now, or after a backoff)
    SUBMITTING = "submitting"  # a worker holds the lease and the request may be in flight
    SUBMITTED = "submitted"  # the refurbisher accepted it; external_reference is stored
    SHIPPED = "shipped"  # a shipment (webhook or poll) proves it left the warehouse
    DELIVERED = "delivered"  # the refurbisher or carrier says every parcel arrived
    FAILED = "failed"  # attempts exhausted or misconfigured; never sent successfully
    REJECTED = "rejected"  # the refurbisher refused it (400/422); the response is kept
    UNCERTAIN = "uncertain"  # maybe acted on: looked up, or left to an operator
    CANCELLED = "cancelled"  # an operator cancelled it locally (the refurbisher may still ship)


S = OrderStatus

#: Allowed transitions: from -> the states it may move to.
TRANSITIONS: Mapping[OrderStatus, frozenset[OrderStatus]] = {
    # pending -> pending: an operator's retry makes a backed-off order due now.
    S.PENDING: frozenset({S.PENDING, S.SUBMITTING, S.CANCELLED, S.FAILED}),
    S.SUBMITTING: frozenset({S.SUBMITTED, S.PENDING, S.FAILED, S.REJECTED, S.UNCERTAIN}),
    S.SUBMITTED: frozenset({S.SHIPPED}),
    S.SHIPPED: frozenset({S.DELIVERED}),
    S.DELIVERED: frozenset(),
    S.FAILED: frozenset({S.PENDING, S.CANCELLED}),
    S.REJECTED: frozenset({S.PENDING, S.CANCELLED}),
    # uncertain -> uncertain: a lookup claims it (pushing lookup_next_at) or records an answer.
    S.UNCERTAIN: frozenset({S.UNCERTAIN, S.SUBMITTED, S.PENDING, S.SHIPPED, S.CANCELLED}),
    S.CANCELLED: frozenset(),
}

#: States an order never leaves on its own.
FINAL: frozenset[OrderStatus] = frozenset({S.DELIVERED, S.CANCELLED})

#: States only an operator moves an order out of (retry, resolve, resend, cancel).
NEEDS_OPERATOR: frozenset[OrderStatus] = frozenset({S.UNCERTAIN, S.FAILED, S.REJECTED})


def can_move(from_status: OrderStatus, to_status: OrderStatus) -> bool:
    """Whether :data:`TRANSITIONS` allows ``from_status -> to_status``."""
    return to_status in TRANSITIONS[from_status]


def transition(
    conn: Connection,
    order_id: str,
    from_statuses: Iterable[OrderStatus],
    to_status: OrderStatus,
    *,
    values: Mapping[str, Any] | None = None,
    where: sa.ColumnElement[bool] | None = None,
) -> bool:
    """Move ``order_id`` to ``to_status`` if it is in one of ``from_statuses``.

    Returns False when another process got there first (nothing changed). ``values``
    are set in the same statement; ``where`` adds a condition (a lease owner, say).
    A move is reported to the marketplace by an event written in the same transaction
    (the outbox, :mod:`irp.events.outbox`).
    Raises ValueError for a transition :data:`TRANSITIONS` does not allow: that is a
    bug, not a race.
    """
    sources = [S(s) for s in from_statuses]
    for source in sources:
        if not can_move(source, to_status):
            raise ValueError(f"order transition {source} -> {to_status} is not allowed")
    condition = sa.and_(
        orders_table.c.id == order_id,
        orders_table.c.status.in_([str(s) for s in sources]),
    )
    if where is not None:
        condition = sa.and_(condition, where)
    stmt = (
        sa.update(orders_table)
        .where(condition)
        .values(
            status=str(to_status),
            version=orders_table.c.version + 1,
            **{"updated_at": datetime.now(UTC), **dict(values or {})},
        )
    )
    moved = conn.execute(stmt).rowcount == 1
    if moved:
        record_transition(conn, order_id, sources, to_status)
    return moved
