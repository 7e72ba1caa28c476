"""Named leases in the database: "a sync of one refurbisher never runs twice at once".

A lock is a row in ``locks`` (name, owner, expires_at). Taking it is an insert, or a
compare-and-set update that only succeeds when the holder's lease has expired (or the
owner is the same, which extends it). Expiry is judged on the database clock, so
machines with skewed clocks agree. Take and release a lock in their own short
transactions (commit right away) so other processes see them.

An owner is ``host/pid/nonce`` (:func:`lock_owner`). A holder on this same host whose
process no longer exists (killed, out of memory) is taken over at once instead of
blocking every sync until its lease runs out; a holder on another host is trusted
until its lease expires. A holder renews its lease while it works
(:class:`LeaseKeeper`), so a long sync is never taken for a dead one.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING

import sqlalchemy as sa

from irp.errors import LockLostError
from irp.store.db import database_now
from irp.store.tables import locks

if TYPE_CHECKING:
    from irp.store.db import Database

log = logging.getLogger(__name__)


def lock_owner() -> str:
    """A new owner name for this process: ``host/pid/nonce``."""
    return f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:12]}"


def try_lock(conn: sa.Connection, name: str, owner: str, ttl: timedelta) -> bool:
    """Take or extend lock ``name`` for ``owner`` until now + ``ttl``; False if held by another.

    Each step says whether it took the lock by the row it returns (``RETURNING``), never
    by the driver's ``rowcount``: psycopg reports -1 for ``INSERT ... ON CONFLICT DO
    NOTHING`` once SQLAlchemy has closed the cursor.
    """
    now = database_now(conn)
    values = {"name": name, "owner": owner, "expires_at": now + ttl}
    # Each dialect module is imported when used: PostgreSQL's costs every SQLite run 50 ms.
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        statement: sa.Insert = pg_insert(locks).values(values).on_conflict_do_nothing()
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(locks).values(values).on_conflict_do_nothing()
    if _took(conn, statement):
        return True
    extended = (
        sa.update(locks)
        .where(locks.c.name == name, sa.or_(locks.c.expires_at < now, locks.c.owner == owner))
        .values(owner=owner, expires_at=now + ttl)
    )
    if _took(conn, extended):
        return True
    current = holder(conn, name)
    if current is None or not dead_here(current[0]):
        return False
    taken_over = (  # compare-and-set on the dead owner: one taker wins
        sa.update(locks)
        .where(locks.c.name == name, locks.c.owner == current[0])
        .values(owner=owner, expires_at=now + ttl)
    )
    return _took(conn, taken_over)


def _took(conn: sa.Connection, statement: sa.Insert | sa.Update | sa.Delete) -> bool:
    """Whether ``statement`` wrote the lock's row (it returns the row's name if so)."""
    return conn.execute(statement.returning(locks.c.name)).first() is not None


def holder(conn: sa.Connection, name: str) -> tuple[str, datetime] | None:
    """Who holds lock ``name`` and until when, or None."""
    row = conn.execute(
        sa.select(locks.c.owner, locks.c.expires_at).where(locks.c.name == name)
    ).first()
    return (row[0], row[1]) if row is not None else None


def describe_owner(owner: str) -> str:
    """``host/pid/nonce`` as words: "pid 1234 on host web-1"."""
    host, _, rest = owner.partition("/")
    pid, _, _ = rest.partition("/")
    return f"pid {pid} on host {host}" if pid.isdigit() else owner


def dead_here(owner: str) -> bool:
    """Whether ``owner`` was a process on this host that no longer exists."""
    host, _, rest = owner.partition("/")
    pid, _, _ = rest.partition("/")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, owned by another user
        return False
    return False


def release_lock(conn: sa.Connection, name: str, owner: str) -> bool:
    """Release lock ``name`` if ``owner`` holds it; False when it was not (or no longer) theirs."""
    return _took(conn, sa.delete(locks).where(locks.c.name == name, locks.c.owner == owner))


def try_lock_refurbisher(conn: sa.Connection, refurbisher: str, owner: str, ttl: timedelta) -> bool:
    """The feed-sync lock of ``refurbisher`` (see ``try_lock``)."""
    return try_lock(conn, f"sync:{refurbisher}", owner, ttl)


def release_refurbisher(conn: sa.Connection, refurbisher: str, owner: str) -> bool:
    """Release the feed-sync lock of ``refurbisher`` held by ``owner``."""
    return release_lock(conn, f"sync:{refurbisher}", owner)


class LeaseKeeper:
    """Renew lock ``name`` of ``owner`` in a thread, every quarter of ``ttl``, while the
    ``with`` block runs.

    A sync may hold its lock longer than the lease (an hour), in CPU work as much as in
    database writes; renewing keeps it from being taken for a dead one. If another
    process took the lock over all the same (the lease ran out while this one was
    stalled), :meth:`check` raises :class:`LockLostError` so the holder stops writing. A
    renewal that fails for a database error is logged and tried again at the next tick.
    """

    def __init__(self, db: Database, name: str, owner: str, ttl: timedelta) -> None:
        self._db, self._name, self._owner, self._ttl = db, name, owner, ttl
        self._stop = threading.Event()
        self._lost = False
        self._thread = threading.Thread(target=self._run, name=f"lease-{name}", daemon=True)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        interval = self._ttl.total_seconds() / 4
        while not self._stop.wait(interval):
            try:
                with self._db.write_transaction() as conn:
                    renewed = try_lock(conn, self._name, self._owner, self._ttl)
            except sa.exc.SQLAlchemyError as exc:
                log.warning("lock %s: renewal failed (%s); trying again", self._name, exc)
                continue
            if not renewed:
                self._lost = True
                log.error("lock %s: taken over by another process", self._name)
                return

    def check(self) -> None:
        """Raise :class:`LockLostError` if another process took the lock over."""
        if self._lost:
            raise LockLostError(
                f"lock {self._name}: its lease ran out and another process took it over; "
                "stopping here (what was written stays; the next run completes it)"
            )
