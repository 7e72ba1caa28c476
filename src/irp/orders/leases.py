"""Expiring dead submitters' leases: ``submitting`` past ``lease_until`` -> ``uncertain``.

A submitter commits ``submitting`` with a lease before its request leaves. If it dies
(kill -9, a lost machine) the order keeps that state until the lease runs out on the
database's clock; then it may or may not have reached the refurbisher, so it becomes
``uncertain`` — looked up where the refurbisher has ``order.lookup``, never resent by
itself. Only an expired lease does this: a live submitter's order is never touched.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa

from irp.config import Config
from irp.orders.attempts import SENDING
from irp.orders.states import OrderStatus, transition
from irp.store.db import Database, database_now
from irp.store.tables import order_attempts, orders

__all__ = ["expire_leases"]

log = logging.getLogger(__name__)
S = OrderStatus


def expire_leases(db: Database, config: Config | None = None) -> list[str]:
    """Mark every ``submitting`` order whose lease has expired ``uncertain``; their ids.

    With ``config``, an order whose refurbisher has ``order.lookup`` gets its first
    lookup ``delay_seconds`` after now; without, lookups are not scheduled.
    """
    with db.begin() as conn:
        now = database_now(conn)
        expired = conn.execute(
            sa.select(orders.c.id, orders.c.refurbisher, orders.c.lease_until).where(
                orders.c.status == str(S.SUBMITTING), orders.c.lease_until < now
            )
        ).all()
    moved: list[str] = []
    for order_id, key, lease_until in expired:
        if _expire(db, config, order_id, key, lease_until):
            moved.append(order_id)
    return moved


def _expire(
    db: Database, config: Config | None, order_id: str, key: str, lease_until: datetime
) -> bool:
    lookup = None
    if config is not None and key in config.refurbishers:
        order = config.refurbishers[key].order
        lookup = order.lookup if order is not None else None
    with db.write_transaction() as conn:
        now = database_now(conn)
        first_lookup = now + timedelta(seconds=lookup.delay_seconds) if lookup is not None else None
        if first_lookup is not None:
            follow_up = f"; it will be looked up at {first_lookup.isoformat(timespec='seconds')}"
        else:
            follow_up = f"; check with the refurbisher, then `irp orders resolve {order_id}`"
        message = (
            f"the submitter stopped while sending (lease expired at "
            f"{lease_until.isoformat(timespec='seconds')}); the refurbisher may have the order"
        )
        moved = transition(
            conn,
            order_id,
            [S.SUBMITTING],
            S.UNCERTAIN,
            values={
                "last_error": message + follow_up,
                "lease_until": None,
                "lease_owner": None,
                "lookup_next_at": first_lookup,
                "lookup_not_found_count": 0,
                "resend_allowed": False,
            },
            where=orders.c.lease_until < now,
        )
        if moved:
            conn.execute(
                sa.update(order_attempts)
                .where(order_attempts.c.order_id == order_id, order_attempts.c.outcome == SENDING)
                .values(outcome="uncertain", error=message)
            )
            log.warning("order %s: %s", order_id, message)
        return moved
