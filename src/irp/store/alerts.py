"""The alerts table: at most one open alert per (refurbisher, check), raised and resolved once.

Whoever notices a problem — a monitoring check, the orders circuit breaker — opens an
alert here and resolves it here; :mod:`irp.monitoring.notify` tells the sinks about
every alert raised or resolved, whoever wrote it. A partial unique index keeps one
open alert per (refurbisher, check) even when two processes notice at once.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from irp.store.tables import alerts

__all__ = ["open_alert", "resolve_alert"]


def _open(refurbisher: str, check: str) -> sa.ColumnElement[bool]:
    return sa.and_(
        alerts.c.refurbisher == refurbisher,
        alerts.c.check == check,
        alerts.c.resolved_at.is_(None),
    )


def open_alert(
    conn: sa.Connection,
    refurbisher: str,
    check: str,
    detail: str,
    now: datetime,
    *,
    value: float | None = None,
    threshold: float | None = None,
) -> bool:
    """Raise the alert unless it is open already; True when this call raised it."""
    if conn.execute(sa.select(alerts.c.id).where(_open(refurbisher, check))).first():
        return False
    try:
        with conn.begin_nested():
            conn.execute(
                sa.insert(alerts).values(
                    refurbisher=refurbisher,
                    check=check,
                    raised_at=now,
                    detail=detail,
                    value=value,
                    threshold=threshold,
                )
            )
    except sa.exc.IntegrityError:
        return False  # another process raised it at the same moment
    return True


def resolve_alert(
    conn: sa.Connection, refurbisher: str, check: str, detail: str, now: datetime
) -> bool:
    """Resolve the open alert, if any; True when this call resolved it."""
    changed = conn.execute(
        sa.update(alerts)
        .where(_open(refurbisher, check))
        .values(resolved_at=now, resolved_detail=detail)
    ).rowcount
    return bool(changed)
