"""One offer sync: fetch -> parse -> plan (price, diff) -> guard -> write (SPEC §2).

Every path through :func:`sync_offers` records a run. A feed that looks wrong (empty,
unreadable, missing a column, or one that would unlist too much) is refused and
changes nothing; only created, changed and vanished offers are written.

The sync shares the database with intake and order submission (``irp serve`` runs
them all in one SQLite file), so it holds no write lock while it works: it plans
outside any transaction against the stored index at one offers version (``plan.py``;
the index comes from the local snapshot when that is still current, ``snapshot.py``),
then writes in short chunks, each checked against that version (``apply.py``).
Another writer's change in between makes the sync plan again; nothing is overwritten
unseen. Every read-then-write transaction here is ``Database.write_transaction()``
(``BEGIN IMMEDIATE`` on SQLite), so concurrent writers queue instead of failing.

The refurbisher's lock (renewed while the sync runs) keeps two syncs of one feed
apart; a run left ``running`` by a process that is gone is marked failed by the next.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING

import sqlalchemy as sa

from irp.errors import FeedError, SourceError
from irp.feeds.apply import FeedApplier, WrittenIndex, restore_secondary_indexes
from irp.feeds.background import Archiver, BaselineLoader
from irp.feeds.diff import OfferChanges
from irp.feeds.export import count_offers
from irp.feeds.freshness import fresh_version_of_stale_offers, keep_fresh
from irp.feeds.guards import GuardLimits, Refusal, SyncFigures, check_guards
from irp.feeds.parse import FeedFormat, RawFeed, RowIssue, read_feed
from irp.feeds.price import Pricing
from irp.feeds.report import SyncReport, SyncStatus
from irp.sources import FetchOutcome, RemoteStat, open_source
from irp.sources.local import LocalFileSource
from irp.store import locks
from irp.store import offers as offer_store
from irp.store import runs as run_store
from irp.store.db import database_now
from irp.store.refurbishers import ensure_refurbisher
from irp.store.snapshot import OfferSnapshots, snapshot_folder
from irp.store.stats import record_offer_stats

if TYPE_CHECKING:
    from pathlib import Path

    from irp.config import Refurbisher
    from irp.store.db import Database

log = logging.getLogger(__name__)

#: How long a sync's lock lasts without renewal; the sync renews it every quarter.
LOCK_TTL = timedelta(hours=1)

#: Row errors stored per transaction (a feed may have hundreds of thousands).
_ERRORS_PER_TRANSACTION = 20_000

Progress = Callable[[str], None]


def _no_progress(stage: str) -> None:
    return None


@dataclass(frozen=True)
class SyncRequest:
    """One sync's inputs besides the database."""

    refurbisher: Refurbisher
    config_dir: Path
    config_hash: str = ""
    file: Path | None = None
    force: bool = False
    progress: Progress = _no_progress


def sync_offers(db: Database, request: SyncRequest) -> SyncReport:
    """Run one sync of ``request.refurbisher`` and record it. Never raises for feed trouble.

    The refurbisher's lock keeps two syncs of the same feed from interleaving; a second
    one ends ``busy`` at once instead of waiting. A run that ends on an unexpected
    error is recorded ``failed`` before the error propagates.
    """
    ref = request.refurbisher
    if ref.offers is None:
        raise FeedError(f"{ref.key}: no `offers` section in the config; nothing to sync")
    owner = locks.lock_owner()
    with db.write_transaction() as conn:
        now = database_now(conn)
        ensure_refurbisher(conn, ref.key, name=ref.name, refurbisher_id=ref.refurbisher_id, now=now)
        locked = locks.try_lock_refurbisher(conn, ref.key, owner, LOCK_TTL)
        if locked:
            for abandoned in run_store.fail_abandoned_runs(conn, now=now, refurbisher=ref.key):
                log.warning(
                    "%s: run %s was left running by a process that is gone", ref.key, abandoned
                )
        run_id = run_store.start_run(
            conn,
            ref.key,
            now=now,
            forced=request.force,
            config_hash=request.config_hash or None,
            owner=owner,
        )
        report = SyncReport(refurbisher=ref.key, status=SyncStatus.BUSY, run_id=run_id)
        if not locked:
            report.message = _busy_message(conn, ref.key)
            _record(conn, report, {})
            return report
    snapshots = OfferSnapshots(snapshot_folder(db.url, request.config_dir))
    try:
        for name in restore_secondary_indexes(db):  # a bulk load that died half-way
            log.warning("%s: built index %s again (a sync had dropped it)", ref.key, name)
        with locks.LeaseKeeper(db, f"sync:{ref.key}", owner, LOCK_TTL) as lease:
            report, written = _sync_locked(db, request, report, lease, snapshots)
            keep_fresh(db, request.refurbisher, report)
            if report.status is SyncStatus.OK or report.unlisted:  # the status page's charts
                _record_stats(db, ref.key, report.run_id, written)
        return report
    except BaseException as exc:
        _record_crash(db, report, exc)
        raise
    finally:
        with db.write_transaction() as conn:
            locks.release_refurbisher(conn, ref.key, owner)


def fail_abandoned_runs(db: Database) -> list[int]:
    """Mark ``failed`` every sync run, of any refurbisher, left ``running`` by a process
    that is gone; their ids. For a service to call when it starts (a sync does it for
    its own refurbisher)."""
    with db.write_transaction() as conn:
        failed = run_store.fail_abandoned_runs(conn, now=database_now(conn))
    for run_id in failed:
        log.warning("sync run %s was left running by a process that is gone", run_id)
    return failed


def _record_stats(db: Database, key: str, run_id: int | None, written: WrittenIndex | None) -> None:
    """Store the offer counts after a sync: from the sync's own offer index while the
    offers are still at the version it wrote (no scan of a million rows), else counted."""
    with db.write_transaction() as conn:
        current = written is not None and offer_store.offers_version(conn, key) == written.version
        counts = written.counts() if written is not None and current else None
        record_offer_stats(conn, key, run_id=run_id, now=database_now(conn), counts=counts)


def _busy_message(conn: sa.Connection, key: str) -> str:
    current = locks.holder(conn, f"sync:{key}")
    who = (
        f" ({locks.describe_owner(current[0])}, lock until "
        f"{current[1].strftime('%Y-%m-%dT%H:%M:%SZ')})"
        if current
        else ""
    )
    return f"another sync of {key} is running{who}; try again when it ends"


def _sync_locked(
    db: Database,
    request: SyncRequest,
    report: SyncReport,
    lease: locks.LeaseKeeper,
    snapshots: OfferSnapshots,
) -> tuple[SyncReport, WrittenIndex | None]:
    """The sync under the lock; the report, and the offer index it wrote (if it did)."""
    ref = request.refurbisher
    offers_cfg = ref.offers
    assert offers_cfg is not None
    with db.connect() as conn:
        last = run_store.last_successful_run(conn, ref.key)
    last_stat = (
        RemoteStat(size=last["remote_size"], mtime=last["remote_mtime"])
        if last is not None and last["remote_size"] is not None
        else None
    )
    fmt = FeedFormat.from_config(offers_cfg, currency=ref.settings.currency)
    pricing = Pricing.from_settings(ref.settings)

    request.progress("fetch")
    try:
        outcome = _fetch(request, last_stat)
    except SourceError as exc:
        report.status = SyncStatus.FAILED
        report.message = str(exc)
        return _finish(db, report, {}), None
    run_fields: dict[str, object] = {
        "remote_size": outcome.stat.size,
        "remote_mtime": outcome.stat.mtime,
    }
    if outcome.kind == "waiting":
        report.status = SyncStatus.WAITING
        report.message = (
            f"{ref.key}: the feed file is still being written (its size or mtime kept "
            f"changing over {offers_cfg.waiting_retries + 1} look(s)); "
            "it will be read on the next run"
        )
        return _finish(db, report, run_fields), None

    settings = _format_fingerprint(fmt, pricing)
    if outcome.kind == "unchanged":
        assert last is not None
        run_fields["published_at"] = last["published_at"]
        if last["fingerprint"] == _fingerprint(last["file_sha256"] or "", settings):
            report.status = SyncStatus.UNCHANGED
            report.message = f"{ref.key}: the feed file has not changed since run {last['id']}"
            _carry_counts(db, report, last)
            run_fields.update(
                file_sha256=last["file_sha256"],
                fingerprint=last["fingerprint"],
                archive_id=last["archive_id"],
            )
            return _finish(db, report, run_fields), None
        # Same file, new pricing or mapping: re-price from the archived copy.
        data = None
        if last["archive_id"] is not None:
            with db.connect() as conn:
                data = run_store.read_archived_feed(conn, last["archive_id"])
        if data is None:
            data = _fetch(request, None).data
        assert data is not None
    else:
        assert outcome.data is not None
        data = outcome.data

    file_sha = hashlib.sha256(data).hexdigest()
    fingerprint = _fingerprint(file_sha, settings)
    changed_file = last is None or last["file_sha256"] != file_sha
    run_fields.update(file_sha256=file_sha, fingerprint=fingerprint)
    run_fields["published_at"] = outcome.stat.mtime or (
        db.now() if changed_file or last is None else last["published_at"]
    )
    if (
        last is not None
        and last["fingerprint"] == fingerprint
        and not request.force
        and not fresh_version_of_stale_offers(db, request.refurbisher, run_fields["published_at"])
    ):
        report.status = SyncStatus.UNCHANGED
        report.message = f"{ref.key}: same feed and pricing as run {last['id']}; nothing to write"
        _carry_counts(db, report, last)
        run_fields["archive_id"] = last["archive_id"]
        return _finish(db, report, run_fields), None
    # The archive copy is compressed and stored, and the stored index loaded, in threads
    # while the feed is read and planned.
    archiver = Archiver(db, ref.key, report.run_id, data, file_sha)
    loader = BaselineLoader(db, ref.key, snapshots)

    request.progress("parse")
    try:
        raw: RawFeed | None = read_feed(data, fmt)
    except FeedError as exc:
        raw, report.status = None, SyncStatus.REFUSED
        report.message = f"{ref.key}: {exc}; nothing was changed"
    del data, outcome  # the archiver keeps its own reference until it is stored
    baseline = loader.result()
    if raw is None:
        run_fields["archive_id"] = archiver.result()
        return _finish(db, report, run_fields), None
    run_fields["encoding"] = raw.encoding
    applier = FeedApplier(
        db,
        report,
        fmt=fmt,
        pricing=pricing,
        settings=settings,
        max_price_change_ratio=Decimal(str(offers_cfg.max_price_change_ratio)),
        guard=partial(_guard, ref.key, GuardLimits.from_config(offers_cfg)),
        force=request.force,
        lease=lease,
        snapshots=snapshots,
        progress=request.progress,
    )
    applier.raw = raw
    del raw  # the plan frees the raw text once it is validated
    report = applier.run(baseline, archiver.result)
    run_fields["archive_id"] = archiver.result()
    return _finish(db, report, run_fields), applier.written


def _fetch(request: SyncRequest, last_stat: RemoteStat | None) -> FetchOutcome:
    """The feed, or why not; a file still being uploaded is looked at again a few times."""
    if request.file is not None:  # read now: an operator hands over a finished file
        return LocalFileSource(request.file, where="--file", settle_seconds=0).fetch_if_changed(
            None
        )
    offers = request.refurbisher.offers
    assert offers is not None
    source = open_source(offers, config_dir=request.config_dir, label=request.refurbisher.key)
    outcome = source.fetch_if_changed(None if request.force else last_stat)
    for _ in range(offers.waiting_retries):
        if outcome.kind != "waiting":
            break
        log.info(
            "%s: feed still changing; looking again in %s s",
            request.refurbisher.key,
            offers.waiting_retry_seconds,
        )
        time.sleep(offers.waiting_retry_seconds)
        outcome = source.fetch_if_changed(None if request.force else last_stat)
    return outcome


def _guard(
    key: str, limits: GuardLimits, report: SyncReport, changes: OfferChanges
) -> Refusal | None:
    """Why this sync must not be applied (``guards.check_guards``), or None."""
    figures = SyncFigures(
        rows=report.rows,
        valid=report.valid,
        errors=report.errors,
        newly_unlisted=changes.newly_unlisted,
        listed_before=changes.listed_before,
        vanished=changes.vanished.get_column("sku"),
    )
    return check_guards(key, figures, limits)


def _format_fingerprint(fmt: FeedFormat, pricing: Pricing) -> str:
    shape = {
        "type": fmt.type,
        "separator": fmt.separator,
        "heading": fmt.heading,
        "encoding": fmt.encoding,
        "price_locale": fmt.price_locale,
        "mapping": dict(fmt.mapping),
        "records_path": fmt.records_path,
        "currency": fmt.currency,
        "pricing": pricing.fingerprint(),
    }
    return json.dumps(shape, sort_keys=True)


def _fingerprint(file_sha: str, format_fingerprint: str) -> str:
    return hashlib.sha256(f"{file_sha}\n{format_fingerprint}".encode()).hexdigest()


def _carry_counts(db: Database, report: SyncReport, last: sa.RowMapping) -> None:
    """An unchanged feed reports the counts of the run it equals, not zeros.

    Every valid row is unchanged, and ``listed`` is what is listed now; the unchanged
    run records the same counts, so the next unchanged run carries them on.
    """
    report.rows, report.valid, report.invalid = (
        last["rows"] or 0,
        last["valid"] or 0,
        last["invalid"] or 0,
    )
    report.unchanged = report.valid
    report.listed = count_offers(db, report.refurbisher, listed_only=True)


def _finish(db: Database, report: SyncReport, run_fields: dict[str, object]) -> SyncReport:
    """Record the run's outcome and its row errors (in short transactions); return it."""
    assert report.run_id is not None
    size = _ERRORS_PER_TRANSACTION
    batches = [report.errors[i : i + size] for i in range(0, len(report.errors), size)] or [[]]
    for batch in batches[:-1]:
        with db.write_transaction() as conn:
            run_store.add_row_errors(conn, report.run_id, batch)
    with db.write_transaction() as conn:
        _record(conn, report, run_fields, errors=batches[-1])
    return report


def _record(
    conn: sa.Connection,
    report: SyncReport,
    run_fields: dict[str, object],
    *,
    errors: Sequence[RowIssue] | None = None,
) -> None:
    assert report.run_id is not None
    fields = {
        "message": report.message or None,
        "rows": report.rows,
        "valid": report.valid,
        "invalid": report.invalid,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "unlisted": report.unlisted,
        "held": report.held,
        **run_fields,
    }
    now = database_now(conn)
    run_store.finish_run(conn, report.run_id, str(report.status), now=now, **fields)
    run_store.add_row_errors(conn, report.run_id, errors if errors is not None else report.errors)


def _record_crash(db: Database, report: SyncReport, exc: BaseException) -> None:
    """Record a run that ends on an unexpected error as failed (best effort)."""
    assert report.run_id is not None
    what = "interrupted" if isinstance(exc, KeyboardInterrupt) else type(exc).__name__
    detail = str(exc)[:300]
    message = (
        f"{report.refurbisher}: the sync stopped on an unexpected error ({what}"
        f"{': ' + detail if detail else ''}); offers it had written stay, and the next "
        "sync writes the rest"
    )
    try:
        with db.write_transaction() as conn:
            run = run_store.get_run(conn, report.run_id)
            if run is not None and run["status"] == "running":
                run_store.finish_run(
                    conn, report.run_id, "failed", now=database_now(conn), message=message
                )
    except Exception:
        log.exception("%s: could not record run %s as failed", report.refurbisher, report.run_id)
