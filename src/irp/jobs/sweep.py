"""The sweep: ask the database what is due and send the wake-ups for it (SPEC §8).

Every ``platform.service.sweep_seconds`` (15 s by default):

- **orders** — every refurbisher with a due order, a due lookup or an expired lease
  gets an ``orders`` wake-up (:func:`irp.orders.cycle.refurbishers_with_due_work`);
  the pass claims order by order with compare-and-set, so a second wake-up finds
  nothing left to do.
- **feed syncs** — a refurbisher whose latest ``offers.schedule`` slot has no sync
  started since gets a ``sync`` wake-up, once: the slot is claimed in the
  ``schedules`` table first (:func:`irp.store.schedules.claim_slot`), and sent again
  only if no sync has started :data:`SYNC_RESEND_AFTER` later (the message was lost).
  A first start, or one after downtime, runs the missed slot once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from irp.cron import parse_cron
from irp.orders.cycle import refurbishers_with_due_work
from irp.store.db import database_now
from irp.store.schedules import claim_slot, sync_started_since

if TYPE_CHECKING:
    from irp.config import Refurbisher
    from irp.jobs.service import Service

__all__ = ["SYNC_RESEND_AFTER", "sweep"]

log = logging.getLogger(__name__)

SYNC_RESEND_AFTER = timedelta(minutes=5)


def sweep(service: Service) -> None:
    """One sweep: wake-ups for due order work and for due scheduled syncs."""
    config = service.config()
    with service.db.connect() as conn:
        now = database_now(conn)
        due = refurbishers_with_due_work(conn, now)
    for key in due:
        ref = config.refurbishers.get(key)
        if ref is not None and ref.order is not None:
            service.tasks.wake_orders(key)
    for ref in config.refurbishers.values():
        if ref.offers is not None and ref.offers.schedule is not None:
            _schedule_sync(service, ref, now)


def _schedule_sync(service: Service, ref: Refurbisher, now: datetime) -> None:
    assert ref.offers is not None and ref.offers.schedule is not None
    slot = parse_cron(ref.offers.schedule).latest(now)
    if slot is None:
        return
    with service.db.write_transaction() as conn:
        if sync_started_since(conn, ref.key, slot):
            return
        if not claim_slot(conn, f"sync:{ref.key}", slot, now, SYNC_RESEND_AFTER):
            return
    log.info("%s: scheduled sync for %s (%s)", ref.key, slot.isoformat(), ref.offers.schedule)
    service.tasks.sync(ref.key, slot)
