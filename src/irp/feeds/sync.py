"""One offer sync: fetch -> parse -> price -> diff -> guard -> write (SPEC §2).

Every path through :func:`sync_offers` records a run. A feed that looks wrong (empty,
unreadable, missing a column, or one that would unlist too much) is refused and
changes nothing; only created, changed and vanished offers are written, in one
transaction.

A warm sync does little for a row that did not change: each row's raw mapped text is
hashed with the format and pricing settings (``diff.raw_row_hash``), and a row whose
hash equals its stored offer's is carried over without being validated, priced or
written — only its bad SRP/EAN, flagged in the stored hash, is reported again. The
stored index is read in a thread, and the archive copy compressed in another, while
the feed is read.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
import sqlalchemy as sa

from irp.errors import FeedError, SourceError
from irp.feeds.background import Archiver, IndexLoader
from irp.feeds.diff import (
    UNLISTED_HASH,
    OfferChanges,
    diff_offers,
    raw_row_hash,
    split_unchanged,
    with_issue_bit,
)
from irp.feeds.export import count_offers
from irp.feeds.format import CANONICAL_FIELDS
from irp.feeds.freshness import fresh_version_of_stale_offers, keep_fresh
from irp.feeds.guards import GuardLimits, SyncFigures, check_guards
from irp.feeds.parse import FeedFormat, kept_row_issues, read_feed, validate_rows
from irp.feeds.price import Pricing, price_offers
from irp.feeds.report import SyncReport, SyncStatus
from irp.sources import FetchOutcome, RemoteStat, open_source
from irp.sources.local import LocalFileSource
from irp.store import locks
from irp.store import offers as offer_store
from irp.store import runs as run_store
from irp.store.refurbishers import ensure_refurbisher
from irp.store.stats import record_offer_stats

if TYPE_CHECKING:
    from irp.config import Refurbisher
    from irp.store.db import Database

log = logging.getLogger(__name__)

#: How long a sync may hold its refurbisher's lock before another may take it over.
LOCK_TTL = timedelta(hours=1)


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
    one ends ``busy`` at once instead of waiting.
    """
    ref = request.refurbisher
    if ref.offers is None:
        raise FeedError(f"{ref.key}: no `offers` section in the config; nothing to sync")
    owner = locks.lock_owner()
    with db.write_transaction() as conn:
        now = db.now()
        ensure_refurbisher(conn, ref.key, name=ref.name, refurbisher_id=ref.refurbisher_id, now=now)
        locked = locks.try_lock_refurbisher(conn, ref.key, owner, LOCK_TTL)
        run_id = run_store.start_run(
            conn, ref.key, now=now, forced=request.force, config_hash=request.config_hash or None
        )
    report = SyncReport(refurbisher=ref.key, status=SyncStatus.BUSY, run_id=run_id)
    if not locked:
        with db.connect() as conn:
            current = locks.holder(conn, f"sync:{ref.key}")
        who = (
            f" ({locks.describe_owner(current[0])}, lock until "
            f"{current[1].strftime('%Y-%m-%dT%H:%M:%SZ')})"
            if current
            else ""
        )
        report.message = f"another sync of {ref.key} is running{who}; try again when it ends"
        return _finish(db, report, {})
    try:
        report = _sync_locked(db, request, report)
        keep_fresh(db, request.refurbisher, report)
        if report.status is SyncStatus.OK or report.unlisted:  # the status page's charts
            with db.write_transaction() as conn:
                record_offer_stats(conn, ref.key, run_id=report.run_id, now=db.now())
        return report
    finally:
        with db.write_transaction() as conn:
            locks.release_refurbisher(conn, ref.key, owner)


def _sync_locked(db: Database, request: SyncRequest, report: SyncReport) -> SyncReport:
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
        return _finish(db, report, {})
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
        return _finish(db, report, run_fields)

    fingerprint_extra = _format_fingerprint(fmt, pricing)
    if outcome.kind == "unchanged":
        assert last is not None
        run_fields["published_at"] = last["published_at"]
        if last["fingerprint"] == _fingerprint(last["file_sha256"] or "", fingerprint_extra):
            report.status = SyncStatus.UNCHANGED
            report.message = f"{ref.key}: the feed file has not changed since run {last['id']}"
            _carry_counts(db, report, last)
            run_fields.update(
                file_sha256=last["file_sha256"],
                fingerprint=last["fingerprint"],
                archive_id=last["archive_id"],
            )
            return _finish(db, report, run_fields)
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
    fingerprint = _fingerprint(file_sha, fingerprint_extra)
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
        return _finish(db, report, run_fields)
    # The archive copy is compressed and the stored index read in threads while the
    # feed is read and hashed.
    archiver = Archiver(ref.key, report.run_id, data, file_sha)
    loader = IndexLoader(db, ref.key)

    request.progress("parse")
    try:
        raw = read_feed(data, fmt)
    except FeedError as exc:
        with db.write_transaction() as conn:
            run_fields["archive_id"] = archiver.store(conn, db.now())
        report.status = SyncStatus.REFUSED
        report.message = f"{ref.key}: {exc}; nothing was changed"
        return _finish(db, report, run_fields)
    del data, outcome  # the archiver keeps its own reference until it is stored
    run_fields["encoding"] = raw.encoding
    report.rows = raw.rows
    rows = raw.frame.with_columns(
        raw_row_hash([c for c in raw.frame.columns if c != "line"], fingerprint_extra).alias(
            "row_hash"
        )
    )
    raw_issues = raw.issues
    del raw

    request.progress("diff")
    with db.write_transaction() as conn:
        run_fields["archive_id"] = archiver.store(conn, db.now())
        now = db.now()
        index = loader.result(conn)
        carried, fresh = split_unchanged(rows, index)
        request.progress("price")
        offers, issues = validate_rows(fresh, fmt, keep=("row_hash",), flag="_has_issue")
        offers = offers.with_columns(
            with_issue_bit(pl.col("row_hash"), pl.col("_has_issue")).alias("row_hash")
        ).drop("_has_issue")
        owing = carried.filter(pl.col("has_issue")).select("line")
        issues += kept_row_issues(rows.join(owing, on="line", how="semi"), fmt)
        carried_skus = carried.get_column("sku")
        del fresh, carried, rows
        priced = _to_stored_columns(price_offers(offers, pricing), fmt)
        report.valid = offers.height + carried_skus.len()
        report.invalid = report.rows - report.valid
        report.errors = sorted(raw_issues + issues, key=lambda issue: issue.line)
        del offers
        stored = _with_prices(conn, ref.key, index, priced.get_column("sku"))
        changes = diff_offers(
            priced,
            stored,
            max_price_change_ratio=Decimal(str(offers_cfg.max_price_change_ratio)),
            carried=carried_skus,
        )
        del priced, stored, index
        refusal = check_guards(
            ref.key,
            SyncFigures(
                rows=report.rows,
                valid=report.valid,
                errors=report.errors,
                newly_unlisted=changes.newly_unlisted,
                listed_before=changes.listed_before,
                vanished=changes.vanished.get_column("sku"),
            ),
            GuardLimits.from_config(offers_cfg),
        )
        if refusal and not request.force:
            report.status = SyncStatus.REFUSED
            report.message = refusal.refused_message()
            report.listed = changes.listed_before
        else:
            request.progress("write")
            _write(conn, ref.key, changes, run_id=report.run_id, now=now)
            report.status = SyncStatus.OK
            report.created = changes.created.height
            report.updated = changes.updated.height
            report.unchanged = changes.unchanged
            report.held = changes.held.height
            report.unlisted = changes.vanished.height
            report.message = refusal.forced_message() if refusal else ""
            report.listed = changes.listed_after
        return _finish(db, report, run_fields, conn=conn)


#: Stored prices the diff needs, loaded for the fresh rows only.
_PRICES = ("sku", "price_purchase_amount", "held_purchase_amount")


def _with_prices(
    conn: sa.Connection, key: str, index: pl.DataFrame, skus: pl.Series
) -> pl.DataFrame:
    """``index`` with the stored prices of the offers among ``skus`` (null for the rest)."""
    wanted = index.join(skus.to_frame("sku"), on="sku", how="semi").get_column("sku")
    if wanted.len() == 0:
        prices = pl.DataFrame(
            schema={"sku": pl.String, **dict.fromkeys(_PRICES[1:], pl.Decimal(14, 4))}
        )
    else:
        prices = offer_store.load_offer_index(conn, key, columns=_PRICES, skus=wanted)
    return index.join(prices, on="sku", how="left")


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


def _write(
    conn: sa.Connection, key: str, changes: OfferChanges, *, run_id: int | None, now: datetime
) -> None:
    offer_store.insert_offers(conn, key, changes.created, run_id=run_id, now=now)
    if changes.updated.height:
        cleared = changes.updated.with_columns(
            pl.lit(None, pl.Decimal(14, 4)).alias("held_purchase_amount"),
            pl.lit(None, pl.String).alias("hold_reason"),
            pl.lit(None, pl.String).alias("unlisted_reason"),
            pl.lit(None, pl.Datetime("us", "UTC")).alias("vanished_at"),
        )
        offer_store.update_offers(conn, key, cleared, run_id=run_id, now=now)
    if changes.held.height:
        held = changes.held.with_columns(
            pl.lit(False).alias("listed"),
            pl.lit(UNLISTED_HASH, pl.Int64).alias("row_hash"),
            pl.lit("price_jump").alias("unlisted_reason"),
        )
        offer_store.update_offers(conn, key, held, run_id=run_id, now=now)
    if changes.vanished.height:
        offer_store.unlist_offers(
            conn,
            key,
            changes.vanished.get_column("sku").to_list(),
            reason="vanished",
            run_id=run_id,
            now=now,
        )


def _to_stored_columns(priced: pl.DataFrame, fmt: FeedFormat) -> pl.DataFrame:
    """Keep the stored columns; fold extra mapped fields into the ``extra`` JSON."""
    extra_fields = [f for f in fmt.mapping if f not in CANONICAL_FIELDS]
    if extra_fields:
        extra = pl.struct([pl.col(f) for f in extra_fields]).struct.json_encode()
    else:
        extra = pl.lit(None, pl.String)
    return priced.with_columns(extra.alias("extra")).select(
        "sku",
        *(c for c in CANONICAL_FIELDS if c != "sku"),
        "price_selling_amount",
        "price_selling_amount_incl_vat",
        "listed",
        "above_srp",
        "price_breakdown",
        "extra",
        "row_hash",
    )


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


def _finish(
    db: Database,
    report: SyncReport,
    run_fields: dict[str, object],
    *,
    conn: sa.Connection | None = None,
) -> SyncReport:
    """Record the run's outcome (in ``conn``'s transaction when given) and return it."""
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
    assert report.run_id is not None
    if conn is not None:
        run_store.finish_run(conn, report.run_id, str(report.status), now=db.now(), **fields)
        run_store.add_row_errors(conn, report.run_id, report.errors)
        return report
    with db.write_transaction() as c:
        run_store.finish_run(c, report.run_id, str(report.status), now=db.now(), **fields)
        run_store.add_row_errors(c, report.run_id, report.errors)
    return report
