"""Named leases in the database: "a sync of one refurbisher never runs twice at once".

A lock is a row in ``locks`` (name, owner, expires_at). Taking it is an insert, or a
compare-and-set update that only succeeds when the holder's lease has expired (or the
owner is the same, which extends it). Expiry is judged on the database clock, so
machines with skewed clocks agree. Take and release a lock in their own short
transactions (commit right away) so other processes see them.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from irp.store.db import database_now
from irp.store.tables import locks


def try_lock(conn: sa.Connection, name: str, owner: str, ttl: timedelta) -> bool:
    """Take or extend lock ``name`` for ``owner`` until now + ``ttl``; False if held by another."""
    now = database_now(conn)
    values = {"name": name, "owner": owner, "expires_at": now + ttl}
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    inserted = conn.execute(dialect_insert(locks).values(values).on_conflict_do_nothing())
    if inserted.rowcount == 1:
        return True
    taken = conn.execute(
        sa.update(locks)
        .where(locks.c.name == name, sa.or_(locks.c.expires_at < now, locks.c.owner == owner))
        .values(owner=owner, expires_at=now + ttl)
    )
    return taken.rowcount == 1


def release_lock(conn: sa.Connection, name: str, owner: str) -> bool:
    """Release lock ``name`` if ``owner`` holds it; False when it was not (or no longer) theirs."""
    result = conn.execute(sa.delete(locks).where(locks.c.name == name, locks.c.owner == owner))
    return result.rowcount == 1


def try_lock_refurbisher(conn: sa.Connection, refurbisher: str, owner: str, ttl: timedelta) -> bool:
    """The feed-sync lock of ``refurbisher`` (see ``try_lock``)."""
    return try_lock(conn, f"sync:{refurbisher}", owner, ttl)


def release_refurbisher(conn: sa.Connection, refurbisher: str, owner: str) -> bool:
    """Release the feed-sync lock of ``refurbisher`` held by ``owner``."""
    return release_lock(conn, f"sync:{refurbisher}", owner)
