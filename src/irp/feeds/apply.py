"""Writing a sync plan: short transactions, each guarded by the offers version.

SQLite has one writer at a time. A million-row sync written in one transaction would
hold the write lock for seconds, and intake and order submission — which write too,
under ``irp serve`` in the same file — would wait for it. So the plan is written
:data:`CHUNK_ROWS` offers at a time, each chunk its own transaction, and other writers
take their turn between chunks.

Each chunk compare-and-sets the offers version (``offers.OfferWrite``): from the
version the plan was made against, then from the version the previous chunk left. If
anything else wrote the refurbisher's offers in between, the version differs, the
chunk writes nothing, and :class:`~irp.errors.OffersChangedError` tells the sync to
plan again against what is stored now: no change by another writer is overwritten
unseen.

**Interrupted between chunks** (killed, out of memory, the machine stops), the offers
are a mix: the chunks written hold the new feed's values, the rest the old ones, and
every offer row is whole (each chunk is atomic). The run stays ``running`` until the
next sync marks it failed (``runs.fail_abandoned_runs``). That next sync repairs the
mix by its ordinary diff: it is not ``unchanged`` (the interrupted run never
succeeded), the written offers now match the feed and are carried over, and the rest
is written. One rule needs care: a price jump held by an unfinished run is not a
confirmation — see ``sync._stored_prices``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

import polars as pl

from irp.feeds.diff import UNLISTED_HASH, OfferChanges
from irp.feeds.format import LINE
from irp.store.offers import OfferWrite

if TYPE_CHECKING:
    from irp.store.db import Database
    from irp.store.locks import LeaseKeeper

#: Offers per write transaction: about a quarter of a second of SQLite's write lock here.
CHUNK_ROWS = 50_000

Step = Callable[[OfferWrite], int]
Finish = Callable[[pl.DataFrame], pl.DataFrame]


def _as_is(frame: pl.DataFrame) -> pl.DataFrame:
    return frame


def write_changes(
    db: Database,
    key: str,
    changes: OfferChanges,
    *,
    version: int,
    run_id: int | None,
    now: datetime,
    lease: LeaseKeeper,
    progress: Callable[[str], None],
    finish: Finish = _as_is,
) -> int:
    """Write ``changes`` in chunks, from offers ``version``; the version afterwards.

    ``finish`` completes each chunk of created and updated offers just before it is
    written (the sync adds the price breakdown there, so a million of them are never
    held at once).

    Raises ``OffersChangedError`` (nothing of that chunk written) when another writer
    changed the offers, and ``LockLostError`` when the sync lock was taken over.
    """
    for step in _steps(changes, run_id=run_id, now=now, finish=finish):
        lease.check()
        progress("write")
        with db.write_transaction() as conn:
            write = OfferWrite(conn, key, expected=version)
            step(write)
        version = write.version
    return version


def _steps(
    changes: OfferChanges,
    *,
    run_id: int | None,
    now: datetime,
    finish: Finish,
) -> Iterator[Step]:
    """The chunks of ``changes``: created, updated, held, then vanished offers."""
    created = changes.created.drop(LINE, strict=False)
    updated = changes.updated.drop(LINE, strict=False).with_columns(
        pl.lit(None, pl.Decimal(14, 4)).alias("held_purchase_amount"),
        pl.lit(None, pl.String).alias("hold_reason"),
        pl.lit(None, pl.String).alias("unlisted_reason"),
        pl.lit(None, pl.Datetime("us", "UTC")).alias("vanished_at"),
    )
    held = changes.held.with_columns(
        pl.lit(False).alias("listed"),
        pl.lit(UNLISTED_HASH, pl.Int64).alias("row_hash"),
        pl.lit("price_jump").alias("unlisted_reason"),
    )
    for frame in created.iter_slices(CHUNK_ROWS):
        yield partial(_insert, frame, finish, run_id, now)
    for frame in updated.iter_slices(CHUNK_ROWS):
        yield partial(_update, frame, finish, run_id, now)
    for frame in held.iter_slices(CHUNK_ROWS):
        yield partial(_update, frame, _as_is, run_id, now)
    vanished = changes.vanished.get_column("sku")
    for start in range(0, vanished.len(), CHUNK_ROWS):
        yield partial(_unlist, vanished.slice(start, CHUNK_ROWS).to_list(), run_id, now)


def _insert(
    frame: pl.DataFrame, finish: Finish, run_id: int | None, now: datetime, write: OfferWrite
) -> int:
    return write.insert(finish(frame), run_id=run_id, now=now)


def _update(
    frame: pl.DataFrame, finish: Finish, run_id: int | None, now: datetime, write: OfferWrite
) -> int:
    return write.update(finish(frame), run_id=run_id, now=now)


def _unlist(skus: list[str], run_id: int | None, now: datetime, write: OfferWrite) -> int:
    return write.unlist(skus, reason="vanished", run_id=run_id, now=now)
