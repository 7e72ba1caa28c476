"""One complete pass of the order pipeline, as cron, ``irp serve`` and the demo run it.

In this order: expire dead submitters' leases (-> ``uncertain``), run due lookups
(found -> ``submitted``; confirmed not-found -> due again), then send every due order.
Lookups and submissions are two kinds of work of one engine (:mod:`irp.orders.engine`).
"""

from __future__ import annotations

import threading
from datetime import datetime

import sqlalchemy as sa

from irp.config import Config
from irp.errors import OrderError
from irp.orders.leases import expire_leases
from irp.orders.lookup import run_due_lookups
from irp.orders.results import SubmitResult, order_result
from irp.orders.sender import HttpSender, SenderFactory
from irp.orders.states import OrderStatus
from irp.orders.submit import _due_condition, submit_due
from irp.store.db import Database
from irp.store.tables import orders


def submit_pass(
    db: Database,
    config: Config,
    refurbisher: str | None,
    *,
    stop: threading.Event | None = None,
    now: datetime | None = None,
    open_sender: SenderFactory = HttpSender,
) -> list[SubmitResult]:
    """Expire leases, run due lookups, submit due orders; the last word on each order.

    ``stop`` is checked before every claim: once it is set, nothing new is claimed and
    the requests in flight finish (SIGTERM in ``irp serve``). ``now`` and
    ``open_sender`` are for tests and replays (a fixed clock, a
    :class:`~irp.orders.mock.MockSender`).
    """
    if refurbisher is not None:
        refusal = config.refurbisher(refurbisher).order_endpoint_refusal  # ConfigError if none
        if refusal:
            raise OrderError(f"{refurbisher}: no order is sent or looked up: {refusal}")
    merged: dict[str, SubmitResult] = {}
    expired = expire_leases(db, config, now=now)
    config = config.for_sending()  # outside production: only endpoints chosen for env
    with db.connect() as conn:
        for order_id in expired:
            result = order_result(conn, order_id)
            if refurbisher is None or result.refurbisher == refurbisher:
                merged[order_id] = result
    for result in run_due_lookups(
        db, config, refurbisher=refurbisher, now=now, stop=stop, open_sender=open_sender
    ):
        merged[result.order_id] = result
    for result in submit_due(
        db, config, refurbisher=refurbisher, now=now, stop=stop, open_sender=open_sender
    ):
        merged[result.order_id] = result
    return list(merged.values())


def refurbishers_with_due_work(conn: sa.Connection, now: datetime) -> list[str]:
    """Refurbishers :func:`submit_pass` has work for at ``now`` (the service's sweep).

    Due orders, due lookups of uncertain orders, and expired leases of ``submitting``
    orders — read only; the pass itself decides, order by order, with compare-and-set.
    """
    S = OrderStatus
    due = sa.or_(
        _due_condition(now),
        sa.and_(orders.c.status == str(S.UNCERTAIN), orders.c.lookup_next_at <= now),
        sa.and_(orders.c.status == str(S.SUBMITTING), orders.c.lease_until < now),
    )
    query = sa.select(orders.c.refurbisher).where(due).distinct().order_by(orders.c.refurbisher)
    return list(conn.execute(query).scalars())
