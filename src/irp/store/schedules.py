"""Scheduled wake-ups in the database: a cron slot is sent once, and again only if lost.

The scheduler works out the latest slot of a schedule (``offers.schedule``) and asks
here whether its wake-up still has to go out. :func:`claim_slot` is a compare-and-set
on the ``schedules`` row, so of several schedulers (one per ``irp serve``) one sends
it. Whether the job itself ran is not recorded here but where the job leaves its trace
(a feed sync's run in ``sync_runs``): the database, not the queue, says what is done.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from irp.store.tables import schedules, sync_runs

__all__ = ["claim_slot", "sync_started_since"]


def claim_slot(
    conn: sa.Connection, name: str, slot_at: datetime, now: datetime, resend_after: timedelta
) -> bool:
    """Take the sending of ``name``'s wake-up for ``slot_at``; False if someone has.

    True when the slot is newer than the one recorded, or it is the same slot but its
    wake-up went out more than ``resend_after`` ago (it was lost: the caller checked
    the job has not started). Run it in a write transaction.
    """
    row = conn.execute(
        sa.select(schedules.c.slot_at, schedules.c.sent_at).where(schedules.c.name == name)
    ).first()
    if row is None:
        insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        # RETURNING, not rowcount: psycopg reports -1 for INSERT ... ON CONFLICT.
        inserted = conn.execute(
            insert(schedules)
            .values(name=name, slot_at=slot_at, sent_at=now)
            .on_conflict_do_nothing()
            .returning(schedules.c.name)
        )
        return inserted.first() is not None
    if row.slot_at > slot_at or (row.slot_at == slot_at and row.sent_at > now - resend_after):
        return False
    done = conn.execute(
        sa.update(schedules)
        .where(
            schedules.c.name == name,
            schedules.c.slot_at == row.slot_at,
            schedules.c.sent_at == row.sent_at,
        )
        .values(slot_at=slot_at, sent_at=now)
    )
    return done.rowcount == 1


def sync_started_since(conn: sa.Connection, refurbisher: str, since: datetime) -> bool:
    """Whether a sync of ``refurbisher`` (any outcome, ``busy`` included) started at or
    after ``since`` — a scheduled slot is then done."""
    query = sa.select(sync_runs.c.id).where(
        sync_runs.c.refurbisher == refurbisher, sync_runs.c.started_at >= since
    )
    return conn.execute(query.limit(1)).first() is not None
