"""Expiring dead submitters' leases: ``submitting`` past ``lease_until`` -> ``uncertain``.

A submitter commits ``submitting`` with a lease before its request leaves. If it dies
(kill -9, a lost machine) the order keeps that state until the lease runs out on the
database's clock; then it may or may not have reached the refurbisher, so it becomes
``uncertain`` (:func:`irp.orders.moves.mark_uncertain`, the same move a lost answer
makes) — looked up where the refurbisher has ``order.lookup``, never resent by itself.
Only an expired lease does this: a live submitter's order is never touched, because
``order.lease_seconds`` outlasts any request (:class:`irp.config.OrderConfig` refuses a
shorter one).
"""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa

from irp.config import Config, LookupConfig
from irp.orders.attempts import SENDING, close_unfinished
from irp.orders.moves import mark_uncertain
from irp.orders.states import OrderStatus
from irp.store.db import Database, database_now
from irp.store.tables import order_attempts, orders

__all__ = ["close_orphaned_lookups", "expire_leases"]

log = logging.getLogger(__name__)
S = OrderStatus


def expire_leases(
    db: Database, config: Config | None = None, *, now: datetime | None = None
) -> list[str]:
    """Mark every ``submitting`` order whose lease has expired ``uncertain``; their ids.

    With ``config``, an order whose refurbisher has ``order.lookup`` gets its first
    lookup ``delay_seconds`` after now. ``now`` replaces the database's clock (tests and
    replays only: a live submitter's lease must be judged by the database's clock).
    """
    close_orphaned_lookups(db)
    with db.begin() as conn:
        expired = conn.execute(
            sa.select(orders.c.id, orders.c.refurbisher, orders.c.lease_until).where(
                orders.c.status == str(S.SUBMITTING),
                orders.c.lease_until < (now or database_now(conn)),
            )
        ).all()
    return [
        order_id
        for order_id, key, lease_until in expired
        if _expire(db, config, order_id, key, lease_until, now)
    ]


ORPHANED_LOOKUP = (
    "no answer recorded: the process asking stopped, and the order left `uncertain` "
    "(an operator or a shipment settled it) before it was asked again"
)


def close_orphaned_lookups(db: Database) -> int:
    """Close lookup attempts left ``sending`` on orders that are no longer ``uncertain``.

    A lookup whose process died keeps its attempt ``sending`` until the next lookup of
    that order closes it; when an operator or a shipment settles the order first, no
    next lookup comes. A live lookup that still answers later overwrites this outcome
    with its own (its attempt is completed by id), so nothing true is hidden.
    """
    still_uncertain = sa.select(orders.c.id).where(orders.c.status == str(S.UNCERTAIN))
    with db.begin() as conn:
        closed = conn.execute(
            sa.update(order_attempts)
            .where(
                order_attempts.c.kind == "lookup",
                order_attempts.c.outcome == SENDING,
                order_attempts.c.order_id.not_in(still_uncertain),
            )
            .values(outcome="abandoned", error=ORPHANED_LOOKUP)
        ).rowcount
    return int(closed)


def _expire(
    db: Database,
    config: Config | None,
    order_id: str,
    key: str,
    lease_until: datetime,
    fixed_now: datetime | None,
) -> bool:
    lookup: LookupConfig | None = None
    name = key
    if config is not None and key in config.refurbishers:
        ref = config.refurbishers[key]
        name = ref.name
        lookup = ref.order.lookup if ref.order is not None else None
    message = (
        f"the submitter stopped while sending (lease expired at "
        f"{lease_until.isoformat(timespec='seconds')}); the refurbisher may have the order"
    )
    with db.write_transaction() as conn:
        now = fixed_now or database_now(conn)
        moved = mark_uncertain(
            conn,
            order_id,
            [S.SUBMITTING],
            reason=message,
            lookup=lookup,
            refurbisher_name=name,
            now=now,
            where=orders.c.lease_until < now,
        )
        if moved:
            close_unfinished(conn, order_id, kind="submit", outcome="uncertain", error=message)
            log.warning("order %s: %s", order_id, message)
        return moved
