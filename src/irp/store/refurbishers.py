"""The refurbishers table: one row per configured refurbisher, created on first use.

It carries what belongs to a refurbisher rather than to its config: the order
circuit breaker (``submissions_paused_at``), which survives restarts.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from irp.store.tables import offers, refurbishers


def ensure_refurbisher(
    conn: sa.Connection, key: str, *, name: str, refurbisher_id: int | None, now: datetime
) -> None:
    """Create the row for ``key`` if missing, else refresh its name and id from the config."""
    updated = conn.execute(
        sa.update(refurbishers)
        .where(refurbishers.c.key == key)
        .where(
            sa.or_(
                refurbishers.c.name != name,
                refurbishers.c.refurbisher_id.is_distinct_from(refurbisher_id),
            )
        )
        .values(name=name, refurbisher_id=refurbisher_id, updated_at=now)
    )
    if updated.rowcount:
        return
    exists = conn.execute(
        sa.select(refurbishers.c.key).where(refurbishers.c.key == key)
    ).scalar_one_or_none()
    if exists is None:
        conn.execute(
            sa.insert(refurbishers).values(
                key=key, name=name, refurbisher_id=refurbisher_id, created_at=now, updated_at=now
            )
        )


def count_listed(conn: sa.Connection, key: str) -> int:
    """How many of ``key``'s offers are listed."""
    query = sa.select(sa.func.count()).where(offers.c.refurbisher == key, offers.c.listed)
    return int(conn.execute(query).scalar_one())
