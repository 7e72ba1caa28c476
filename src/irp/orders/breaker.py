"""The orders circuit breaker: one bad setting pauses a refurbisher's submissions (SPEC §3).

A misconfigured answer (401/403 "authentication refused", 404/405/410/501 "the endpoint
is wrong") fails that order and pauses every other submission to the refurbisher, so a
wrong secret does not burn every order's attempts. The pause lives on the
``refurbishers`` row (``submissions_paused_at``, ``paused_reason``), so every process
and worker sees it; submitters claim orders only of unpaused refurbishers (in the same
compare-and-set). An operator — or a successful ``irp check`` — resumes them with
:func:`resume_submissions`. A pause opens an alert (check ``order_submissions``);
resuming resolves it.
"""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa

from irp.store.db import Database, database_now
from irp.store.tables import alerts, refurbishers

ALERT_CHECK = "order_submissions"

log = logging.getLogger(__name__)


def paused(conn: sa.Connection, key: str) -> tuple[datetime, str] | None:
    """When and why ``key``'s submissions are paused, or None when they run."""
    row = conn.execute(
        sa.select(refurbishers.c.submissions_paused_at, refurbishers.c.paused_reason).where(
            refurbishers.c.key == key, refurbishers.c.submissions_paused_at.is_not(None)
        )
    ).first()
    return None if row is None else (row[0], row[1] or "")


def not_paused(refurbisher_column: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
    """A condition for claims: the row's refurbisher has no pause set."""
    return ~sa.exists().where(
        refurbishers.c.key == refurbisher_column,
        refurbishers.c.submissions_paused_at.is_not(None),
    )


def pause_submissions(conn: sa.Connection, key: str, reason: str) -> bool:
    """Pause ``key`` in the caller's transaction; False when it was already paused.

    The first reason is kept (later orders that hit the same wall do not overwrite
    it). Opens the ``order_submissions`` alert unless one is open.
    """
    now = database_now(conn)
    changed = conn.execute(
        sa.update(refurbishers)
        .where(refurbishers.c.key == key, refurbishers.c.submissions_paused_at.is_(None))
        .values(submissions_paused_at=now, paused_reason=reason, updated_at=now)
    ).rowcount
    if not changed:  # already paused (the row exists: orders.refurbisher references it)
        return False
    _open_alert(conn, key, reason, now)
    log.warning("submissions to %s are paused: %s", key, reason)
    return True


def resume_submissions(db: Database, key: str, actor: str) -> bool:
    """Resume ``key``'s submissions; True when they were paused (and now run again).

    Called by an operator or by a successful ``irp check``; ``actor`` is recorded on
    the resolved alert. Orders that failed on the misconfiguration stay ``failed``:
    ``irp orders retry ID`` sends them again.
    """
    with db.write_transaction() as conn:
        now = database_now(conn)
        changed = conn.execute(
            sa.update(refurbishers)
            .where(refurbishers.c.key == key, refurbishers.c.submissions_paused_at.is_not(None))
            .values(submissions_paused_at=None, paused_reason=None, updated_at=now)
        ).rowcount
        if not changed:
            return False
        open_alert = sa.and_(
            alerts.c.refurbisher == key,
            alerts.c.check == ALERT_CHECK,
            alerts.c.resolved_at.is_(None),
        )
        detail = conn.execute(sa.select(alerts.c.detail).where(open_alert)).scalar_one_or_none()
        conn.execute(
            sa.update(alerts)
            .where(open_alert)
            .values(resolved_at=now, detail=f"{detail or ''} (resumed by {actor})".strip())
        )
    log.warning("submissions to %s resumed by %s", key, actor)
    return True


def _open_alert(conn: sa.Connection, key: str, reason: str, now: datetime) -> None:
    query = sa.select(alerts.c.id).where(
        alerts.c.refurbisher == key, alerts.c.check == ALERT_CHECK, alerts.c.resolved_at.is_(None)
    )
    if conn.execute(query).first() is not None:
        return
    try:
        with conn.begin_nested():
            conn.execute(
                sa.insert(alerts).values(
                    refurbisher=key,
                    check=ALERT_CHECK,
                    opened_at=now,
                    detail=f"submissions paused: {reason}",
                )
            )
    except sa.exc.IntegrityError:
        pass  # another process opened it at the same moment
