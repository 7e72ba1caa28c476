"""Applying a read feed to the stored offers: plan, guard, write in short transactions
each guarded by the offers version, and plan again when another writer got in between.

SQLite has one writer at a time. A million-row sync written in one transaction would
hold the write lock for seconds, and intake and order submission — which write too,
under ``irp serve`` in the same file — would wait for it. So the plan is written
:data:`CHUNK_ROWS` offers at a time, each chunk its own transaction, and other writers
take their turn between chunks.

A first sync of a big feed into a table that holds fewer offers drops the secondary
indexes (searches, listed filters; never the unique one) and builds them after the
load, which costs a third of updating them row by row; a sync that died half-way
leaves them for the next sync's start to build again.

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
confirmation — see :func:`_stored_prices`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING

import polars as pl
import sqlalchemy as sa

from irp.errors import LockLostError, OffersChangedError
from irp.feeds.background import OfferBaseline, load_baseline
from irp.feeds.diff import UNLISTED_HASH, OfferChanges
from irp.feeds.format import LINE
from irp.feeds.guards import Refusal
from irp.feeds.parse import FeedFormat, RawFeed, read_feed
from irp.feeds.plan import SyncPlan, plan_sync
from irp.feeds.price import Pricing
from irp.feeds.report import SyncReport, SyncStatus
from irp.store import offers as offer_store
from irp.store import runs as run_store
from irp.store.offers import OfferWrite
from irp.store.snapshot import OfferSnapshots

if TYPE_CHECKING:
    from irp.store.db import Database
    from irp.store.locks import LeaseKeeper

log = logging.getLogger(__name__)

#: Why a plan must not be applied (None when it may): the sync's guards.
Guard = Callable[[SyncReport, OfferChanges], Refusal | None]


@dataclass(frozen=True)
class WrittenIndex:
    """The offer index (``diff.index_after``) as it is stored at offers ``version``."""

    version: int
    index: pl.DataFrame

    def counts(self) -> tuple[int, int, int]:
        """Offers, listed offers, units in stock (the status page's charts)."""
        stock = self.index.get_column("stock_available").sum()
        listed = self.index.get_column("listed").sum()
        return self.index.height, int(listed or 0), int(stock or 0)


#: Offers per write transaction: about a quarter of a second of SQLite's write lock here.
CHUNK_ROWS = 50_000

Finish = Callable[[pl.DataFrame], pl.DataFrame]


def _as_is(frame: pl.DataFrame) -> pl.DataFrame:
    return frame


class FeedApplier:
    """Plan a read feed against the stored offers, guard, and write; plan again (once)
    when another writer changed the offers meanwhile. The outcome goes into ``report``.

    Hand the feed over as :attr:`raw` (keeping no reference): the plan frees its text
    as soon as it is validated.
    """

    def __init__(
        self,
        db: Database,
        report: SyncReport,
        *,
        fmt: FeedFormat,
        pricing: Pricing,
        settings: str,
        max_price_change_ratio: Decimal,
        guard: Guard,
        force: bool,
        lease: LeaseKeeper,
        snapshots: OfferSnapshots,
        progress: Callable[[str], None],
    ) -> None:
        self.db, self.report, self.key = db, report, report.refurbisher
        self.fmt, self.pricing, self.settings = fmt, pricing, settings
        self.max_price_change = max_price_change_ratio
        self.guard, self.force, self.progress = guard, force, progress
        self.lease, self.snapshots = lease, snapshots
        self.raw: RawFeed | None = None
        self.written: WrittenIndex | None = None
        """The offers as this applier left them, once it wrote."""

    def _take_raw(self) -> RawFeed:
        raw, self.raw = self.raw, None
        assert raw is not None
        return raw

    def run(self, baseline: OfferBaseline, archived: Callable[[], int]) -> SyncReport:
        """Apply the feed; ``archived`` gives the id of its archived copy, read again to
        plan once more."""
        report = self.report
        plan = self._plan(self._take_raw, baseline)
        try:
            return self._write(plan)
        except OffersChangedError as exc:
            log.warning("%s; planning again", exc)
        del plan
        baseline = load_baseline(self.db, self.key, self.snapshots)
        plan = self._plan(lambda: self._archived_feed(archived()), baseline)
        try:
            return self._write(plan)
        except OffersChangedError as exc:
            report.status = SyncStatus.FAILED
            report.message = (
                f"{exc}, twice during this sync; what it wrote stays, and the next sync "
                "writes the rest"
            )
            return report

    def _archived_feed(self, archive_id: int) -> RawFeed:
        data = _archived(self.db, archive_id)
        assert data is not None  # archived by this run a moment ago
        return read_feed(data, self.fmt)

    def _plan(self, take: Callable[[], RawFeed], baseline: OfferBaseline) -> SyncPlan:
        self.progress("diff")
        log.info(
            "%s: comparing with the stored offers from the %s (offers version %s)",
            self.key,
            baseline.source,
            baseline.version,
        )
        return plan_sync(
            take(),  # no reference kept: the plan frees the raw text early
            self.fmt,
            self.pricing,
            settings=self.settings,
            baseline=baseline,
            stored_prices=partial(_stored_prices, self.db, self.key),
            max_price_change_ratio=self.max_price_change,
        )

    def _write(self, plan: SyncPlan) -> SyncReport:
        key, report = self.key, self.report
        changes = plan.changes
        report.rows, report.valid = plan.rows, plan.valid
        report.invalid = report.rows - report.valid
        report.errors = plan.errors
        refusal = self.guard(report, changes)
        if refusal and not self.force:
            report.status = SyncStatus.REFUSED
            report.message = refusal.refused_message()
            report.listed = changes.listed_before
            self._keep(plan.baseline, plan.baseline.version)
            return report
        self.progress("write")
        try:
            version = write_changes(
                self.db,
                key,
                changes,
                version=plan.baseline.version,
                run_id=report.run_id,
                now=self.db.now(),
                lease=self.lease,
                progress=self.progress,
                finish=plan.finish,
            )
        except LockLostError as exc:
            report.status = SyncStatus.FAILED
            report.message = f"{key}: {exc}"
            return report
        self.snapshots.save(key, version, plan.index)
        self.written = WrittenIndex(version, plan.index)
        _count(report, changes)
        report.status = SyncStatus.OK
        report.message = refusal.forced_message() if refusal else ""
        return report

    def _keep(self, baseline: OfferBaseline, version: int) -> None:
        if baseline.source == "database":
            self.snapshots.save(self.key, version, baseline.index)


def _count(report: SyncReport, changes: OfferChanges) -> None:
    report.created = changes.created.height
    report.updated = changes.updated.height
    report.unchanged = changes.unchanged
    report.held = changes.held.height
    report.unlisted = changes.vanished.height
    report.listed = changes.listed_after


#: What the diff needs of the stored offers the feed changes.
_PRICES = ("sku", "price_purchase_amount", "held_purchase_amount", "last_run_id", "ean")


def _stored_prices(db: Database, key: str, skus: pl.Series) -> pl.DataFrame:
    """The stored prices (and EAN) of ``key``'s offers among ``skus``, for the diff.

    A held price jump is confirmed when the next sync brings the same price — but only
    if the hold was written by a run that finished: a sync interrupted between its
    chunks must not turn its own holds into confirmations when the same feed is
    synced again. Such a hold is treated as new (held once more by this run).
    """
    with db.connect() as conn:
        prices = offer_store.load_offer_index(conn, key, columns=_PRICES, skus=skus)
        holders = (
            prices.filter(pl.col("held_purchase_amount").is_not_null())
            .get_column("last_run_id")
            .drop_nulls()
            .unique()
            .to_list()
        )
        finished = run_store.runs_with_status(conn, holders, "ok") if holders else set()
    unfinished_hold = pl.col("last_run_id").is_not_null() & ~pl.col("last_run_id").is_in(
        list(finished)
    )
    return prices.select(
        "sku",
        "price_purchase_amount",
        pl.when(unfinished_hold)
        .then(pl.lit(None, pl.Decimal(14, 4)))
        .otherwise(pl.col("held_purchase_amount"))
        .alias("held_purchase_amount"),
        "ean",
    )


def _archived(db: Database, archive_id: int) -> bytes | None:
    with db.connect() as conn:
        return run_store.read_archived_feed(conn, archive_id)


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
    held at once). The next chunk is prepared (finished, converted for the driver) in
    a thread while the current one is written: on PostgreSQL the server works on one
    while the client prepares the other.

    Raises ``OffersChangedError`` (nothing of that chunk written) when another writer
    changed the offers, and ``LockLostError`` when the sync lock was taken over.
    """
    steps = list(_steps(changes, key, dialect=db.dialect, run_id=run_id, now=now, finish=finish))
    bulk = False
    if changes.created.height >= offer_store.BULK_ROWS:
        with db.write_transaction() as conn:
            bulk = offer_store.wants_bulk_indexes(conn, changes.created.height)
            if bulk:
                offer_store.drop_secondary_indexes(conn)
    try:
        with ThreadPoolExecutor(1, thread_name_prefix=f"prepare-{key}") as ahead:
            upcoming = ahead.submit(steps[0]) if steps else None
            for index in range(len(steps)):
                assert upcoming is not None
                ready = upcoming.result()
                upcoming = ahead.submit(steps[index + 1]) if index + 1 < len(steps) else None
                lease.check()
                progress("write")
                with db.write_transaction() as conn:
                    offer_store.commit_without_flush_wait(conn)
                    write = OfferWrite(conn, key, expected=version)
                    write.write(ready)
                version = write.version
    finally:
        if bulk:
            restore_secondary_indexes(db)
    return version


def restore_secondary_indexes(db: Database) -> list[str]:
    """Build the offers' secondary indexes that are missing (after a bulk load, or one
    that died half-way), one transaction each; their names. PostgreSQL builds them side
    by side (each on its own connection); SQLite has one writer at a time."""
    with db.connect() as conn:
        missing = offer_store.missing_secondary_indexes(conn)

    def build(index: sa.Index) -> str | None:
        with db.write_transaction() as conn:
            return str(index.name) if offer_store.restore_secondary_index(conn, index) else None

    workers = len(missing) if db.dialect == "postgresql" else 1
    with ThreadPoolExecutor(max(workers, 1), thread_name_prefix="index") as pool:
        return [name for name in pool.map(build, missing) if name is not None]


def _steps(
    changes: OfferChanges,
    key: str,
    *,
    dialect: str,
    run_id: int | None,
    now: datetime,
    finish: Finish,
) -> Iterator[Callable[[], offer_store.ReadyWrite]]:
    """The chunks of ``changes`` to prepare: created, updated, held, then vanished."""
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
    chunk = _Chunks(key, dialect, run_id, now)
    for frame in created.iter_slices(CHUNK_ROWS):  # finished when prepared, not now
        yield partial(chunk.insert, frame, finish)
    for part in _by_index_keys(updated, changes.keys_kept, dialect):
        for frame in part.iter_slices(CHUNK_ROWS):
            yield partial(chunk.update, frame, finish)
    for frame in held.iter_slices(CHUNK_ROWS):
        yield partial(chunk.update, frame, _as_is)
    vanished = changes.vanished.get_column("sku")
    for start in range(0, vanished.len(), CHUNK_ROWS):
        yield partial(chunk.unlist, vanished.slice(start, CHUNK_ROWS))


#: The indexed columns an update leaves out where they equal the stored ones.
_INDEXED = ("ean", "listed")


def _by_index_keys(
    updated: pl.DataFrame, keys_kept: pl.Series | None, dialect: str
) -> list[pl.DataFrame]:
    """``updated`` split for SQLite: the rows whose indexed columns keep their stored
    values without those columns, then the others whole.

    SQLite rewrites the index entries of every indexed column an ``UPDATE`` sets, even
    to the value it had: for a warm sync of 10,000 offers that is twice the pages
    written (19,400 against 9,600), and a third more time. PostgreSQL compares the
    values itself (a HOT update), so it gets one statement.
    """
    if dialect != "sqlite" or keys_kept is None or not keys_kept.any():
        return [updated]
    kept = updated.filter(keys_kept)
    return [kept.drop(*(c for c in _INDEXED if c in kept.columns)), updated.filter(~keys_kept)]


@dataclass(frozen=True)
class _Chunks:
    """Prepares the chunks of one sync's writes (see ``offers.prepare_*``)."""

    key: str
    dialect: str
    run_id: int | None
    now: datetime

    def insert(self, frame: pl.DataFrame, finish: Finish) -> offer_store.ReadyWrite:
        return offer_store.prepare_insert(
            finish(frame), self.key, self.dialect, run_id=self.run_id, now=self.now, ahead=True
        )

    def update(self, frame: pl.DataFrame, finish: Finish) -> offer_store.ReadyWrite:
        return offer_store.prepare_update(
            finish(frame), self.key, self.dialect, run_id=self.run_id, now=self.now, ahead=True
        )

    def unlist(self, skus: pl.Series) -> offer_store.ReadyWrite:
        return offer_store.prepare_unlist(
            skus.to_list(),
            self.key,
            self.dialect,
            reason="vanished",
            run_id=self.run_id,
            now=self.now,
        )
