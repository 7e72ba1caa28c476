"""Sync runs, their row errors, and the archive of raw feed files.

A run is recorded when it starts (status ``running``) and finished with its outcome
and counts, so a crashed sync leaves a visible trace. The raw feed is archived
compressed (zstd level 1: about as small as zlib level 6, several times faster; older
archives in zlib are still read), once per distinct content (sha256) per refurbisher:
a feed that does not change for a week costs one row, and every run links to it by
``archive_id``.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import sqlalchemy as sa
import zstandard

from irp.errors import StoreError
from irp.store import locks
from irp.store.tables import feed_archive, row_errors, sync_runs

RUN_STATUSES: Final = frozenset({"ok", "unchanged", "waiting", "refused", "failed", "busy"})
SUCCESSFUL_STATUSES: Final = frozenset({"ok", "unchanged"})
_FINISH_FIELDS: Final = frozenset(c.name for c in sync_runs.columns) - {
    "id", "refurbisher", "started_at", "finished_at", "status", "forced", "owner",
}  # fmt: skip


@dataclass(frozen=True)
class StoredRowError:
    """One row error of a run, as the CSV download shows it."""

    line: int
    column: str
    message: str
    sku: str | None


def start_run(
    conn: sa.Connection,
    refurbisher: str,
    *,
    now: datetime,
    forced: bool = False,
    config_hash: str | None = None,
    owner: str | None = None,
) -> int:
    """Record a sync that starts now (status ``running``) in process ``owner``; its id."""
    result = conn.execute(
        sa.insert(sync_runs)
        .values(
            refurbisher=refurbisher,
            started_at=now,
            status="running",
            forced=forced,
            config_hash=config_hash,
            owner=owner,
        )
        .returning(sync_runs.c.id)
    )
    return int(result.scalar_one())


def fail_abandoned_runs(
    conn: sa.Connection, *, now: datetime, refurbisher: str | None = None
) -> list[int]:
    """Mark ``failed`` every run left ``running`` by a process that is gone; their ids.

    A sync holds its refurbisher's lock from its first to its last write, under the
    owner recorded on its run; a ``running`` run whose owner does not hold that lock
    (released, expired, taken over, or held by a process on this host that no longer
    exists) can never finish. Call it from a sync that holds the lock (its own run is
    not touched: it holds the lock) or when a service starts; ``refurbisher`` narrows it.
    Read-then-write: use ``Database.write_transaction()``.
    """
    query = sa.select(sync_runs.c.id, sync_runs.c.refurbisher, sync_runs.c.owner).where(
        sync_runs.c.status == "running"
    )
    if refurbisher is not None:
        query = query.where(sync_runs.c.refurbisher == refurbisher)
    failed = []
    for run_id, key, owner in conn.execute(query.order_by(sync_runs.c.id)).all():
        holder = locks.holder(conn, f"sync:{key}")
        if (
            owner is not None
            and holder is not None
            and holder[0] == owner
            and holder[1] > now
            and not locks.dead_here(owner)
        ):
            continue
        who = f" ({locks.describe_owner(owner)})" if owner else ""
        finish_run(
            conn,
            run_id,
            "failed",
            now=now,
            message=(
                f"{key}: the sync process{who} ended before run {run_id} finished; the "
                "offers it had written stay, and the next sync writes the rest"
            ),
        )
        failed.append(int(run_id))
    return failed


def finish_run(
    conn: sa.Connection, run_id: int, status: str, *, now: datetime, **fields: Any
) -> None:
    """Close run ``run_id`` with ``status`` and any of its columns (counts, hashes, message...)."""
    if status not in RUN_STATUSES:
        raise StoreError(
            f"sync run {run_id}: status {status!r} is not one of {sorted(RUN_STATUSES)}"
        )
    unknown = sorted(set(fields) - _FINISH_FIELDS)
    if unknown:
        raise StoreError(f"sync run {run_id}: unknown field(s) {', '.join(unknown)}")
    result = conn.execute(
        sa.update(sync_runs)
        .where(sync_runs.c.id == run_id)
        .values(status=status, finished_at=now, **fields)
    )
    if result.rowcount != 1:
        raise StoreError(f"sync run {run_id} does not exist")


def get_run(conn: sa.Connection, run_id: int) -> sa.RowMapping | None:
    """Run ``run_id`` as a column -> value mapping, or None."""
    return (
        conn.execute(sa.select(sync_runs).where(sync_runs.c.id == run_id)).mappings().one_or_none()
    )


def runs_with_status(conn: sa.Connection, run_ids: Iterable[int], status: str) -> set[int]:
    """Which of ``run_ids`` ended with ``status``."""
    query = sa.select(sync_runs.c.id).where(
        sync_runs.c.id.in_(list(run_ids)), sync_runs.c.status == status
    )
    return {int(i) for i in conn.execute(query).scalars()}


def last_successful_run(conn: sa.Connection, refurbisher: str) -> sa.RowMapping | None:
    """The newest ``ok`` or ``unchanged`` run of ``refurbisher`` (its fingerprint, stat...)."""
    query = (
        sa.select(sync_runs)
        .where(sync_runs.c.refurbisher == refurbisher, sync_runs.c.status.in_(SUCCESSFUL_STATUSES))
        .order_by(sync_runs.c.started_at.desc(), sync_runs.c.id.desc())
        .limit(1)
    )
    return conn.execute(query).mappings().one_or_none()


def add_row_errors(conn: sa.Connection, run_id: int, errors: Iterable[Any]) -> int:
    """Store a run's row errors in one batch; the number stored.

    Each error has ``line``, ``column``, ``message`` and optionally ``sku`` (attributes,
    like ``RowIssue``, or mapping keys).
    """
    rows = [
        {
            "run_id": run_id,
            "line": _field(e, "line"),
            "column": _field(e, "column"),
            "message": _field(e, "message"),
            "sku": _field(e, "sku", None),
        }
        for e in errors
    ]
    if rows:
        conn.execute(sa.insert(row_errors), rows)
    return len(rows)


def list_row_errors(
    conn: sa.Connection, refurbisher: str, run_id: int | None = None
) -> list[StoredRowError]:
    """The row errors of ``run_id`` (default: the newest run of ``refurbisher``), by line.

    Raises ``StoreError`` when the run does not exist or belongs to another refurbisher.
    """
    if run_id is None:
        run_id = conn.execute(
            sa.select(sync_runs.c.id)
            .where(sync_runs.c.refurbisher == refurbisher)
            .order_by(sync_runs.c.started_at.desc(), sync_runs.c.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        if run_id is None:
            raise StoreError(
                f"{refurbisher}: no sync has run yet; run `irp offers sync {refurbisher}`"
            )
    else:
        owner = conn.execute(
            sa.select(sync_runs.c.refurbisher).where(sync_runs.c.id == run_id)
        ).scalar_one_or_none()
        if owner != refurbisher:
            raise StoreError(
                f"{refurbisher}: there is no sync run {run_id}; see `irp offers list {refurbisher}`"
            )
    query = (
        sa.select(row_errors.c.line, row_errors.c.column, row_errors.c.message, row_errors.c.sku)
        .where(row_errors.c.run_id == run_id)
        .order_by(row_errors.c.line, row_errors.c.id)
    )
    return [StoredRowError(*row) for row in conn.execute(query).tuples()]


_ZSTD_MAGIC: Final = b"\x28\xb5\x2f\xfd"
_ZSTD_LEVEL: Final = 1


def compress_feed(data: bytes) -> bytes:
    """``data`` as stored in the archive (zstd; :func:`read_archived_feed` reverses it)."""
    return zstandard.ZstdCompressor(level=_ZSTD_LEVEL).compress(data)


def archive_feed(
    conn: sa.Connection,
    refurbisher: str,
    run_id: int | None,
    data: bytes | None,
    *,
    now: datetime,
    digest: str | None = None,
    compressed: bytes | None = None,
    size: int | None = None,
) -> int:
    """Archive a fetched feed file (compressed); its archive id.

    The same content again only refreshes ``fetched_at`` (which drives retention) and
    returns the existing id. ``digest`` (sha256 hex) and ``compressed``
    (:func:`compress_feed` of ``data``) may be passed when the caller has them already;
    with all three and ``size``, ``data`` may be None (freed once compressed).
    """
    if data is None and (digest is None or compressed is None or size is None):
        raise StoreError("archive_feed: without the data, give its digest, size and compressed")
    digest = digest or hashlib.sha256(data or b"").hexdigest()
    existing = conn.execute(
        sa.select(feed_archive.c.id).where(
            feed_archive.c.refurbisher == refurbisher, feed_archive.c.sha256 == digest
        )
    ).scalar_one_or_none()
    if existing is not None:
        conn.execute(
            sa.update(feed_archive).where(feed_archive.c.id == existing).values(fetched_at=now)
        )
        return int(existing)
    result = conn.execute(
        sa.insert(feed_archive)
        .values(
            refurbisher=refurbisher,
            run_id=run_id,
            sha256=digest,
            size=size if size is not None else len(data or b""),
            fetched_at=now,
            content=compressed if compressed is not None else compress_feed(data or b""),
        )
        .returning(feed_archive.c.id)
    )
    return int(result.scalar_one())


def read_archived_feed(conn: sa.Connection, archive_id: int) -> bytes | None:
    """The original bytes of archived feed ``archive_id``, or None when purged."""
    content = conn.execute(
        sa.select(feed_archive.c.content).where(feed_archive.c.id == archive_id)
    ).scalar_one_or_none()
    if content is None:
        return None
    if bytes(content[:4]) == _ZSTD_MAGIC:
        return zstandard.ZstdDecompressor().decompress(content, max_output_size=0)
    return zlib.decompress(content)  # archived before zstd


def purge_archive(conn: sa.Connection, refurbisher: str, older_than: datetime) -> int:
    """Delete ``refurbisher``'s archived feeds last fetched before ``older_than``; how many."""
    result = conn.execute(
        sa.delete(feed_archive).where(
            feed_archive.c.refurbisher == refurbisher, feed_archive.c.fetched_at < older_than
        )
    )
    return int(result.rowcount)


def _field(error: Any, name: str, *default: Any) -> Any:
    if isinstance(error, Mapping):
        return error.get(name, *default) if default else error[name]
    return getattr(error, name, *default)
