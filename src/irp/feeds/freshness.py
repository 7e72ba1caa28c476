"""Freshness and what follows from it: stale stock is unlisted, old archives purged.

Freshness is the age of the newest feed version the supplier published (SPEC §2): the
remote mtime where the source gives one, else when a changed file was last fetched.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from irp.feeds.report import SyncReport
from irp.store import offers as offer_store
from irp.store import runs as run_store

if TYPE_CHECKING:
    from irp.config import Refurbisher
    from irp.store.db import Database

log = logging.getLogger(__name__)


def keep_fresh(db: Database, ref: Refurbisher, report: SyncReport) -> None:
    """After every sync: unlist stale stock, and purge archives past their retention.

    Stale means the newest feed version the supplier published (``published_at`` of
    the last good run) is older than ``unlist_stale_after_hours``: a marketplace must
    not sell stock nobody has confirmed for days. The offers come back with the next
    fresh version. Runs even when this sync failed — that is when it matters most.
    """
    offers = ref.offers
    assert offers is not None and report.run_id is not None
    with db.write_transaction() as conn:
        now = db.now()
        run_store.purge_archive(
            conn, ref.key, older_than=now - timedelta(days=offers.archive_retention_days)
        )
        last = run_store.last_successful_run(conn, ref.key)
        published = last["published_at"] if last is not None else None
        report.published_at = published
        limit = timedelta(hours=offers.unlist_stale_after_hours)
        if published is None or now - published <= limit:
            return
        skus = offer_store.listed_skus(conn, ref.key)
        if not skus:
            return
        count = offer_store.unlist_offers(
            conn, ref.key, skus, reason="stale", run_id=report.run_id, now=now
        )
        hours = (now - published).total_seconds() / 3600
        note = (
            f"{ref.key}: the newest feed version was published {hours:.0f} h ago, more than "
            f"unlist_stale_after_hours {offers.unlist_stale_after_hours:g}; {count} offer(s) "
            "unlisted until a fresh version arrives"
        )
        log.warning(note)
        report.unlisted += count
        report.listed = max(report.listed - count, 0)
        report.message = f"{report.message}; {note}" if report.message else note
        run_store.finish_run(
            conn,
            report.run_id,
            str(report.status),
            now=now,
            message=report.message,
            unlisted=report.unlisted,
        )


def fresh_version_of_stale_offers(db: Database, ref: Refurbisher, published_at: object) -> bool:
    """Whether offers unlisted as stale wait for exactly this (fresh) feed version.

    A supplier may re-export the same content: the file hash is unchanged, but the new
    export confirms the stock, so the offers must be listed again.
    """
    offers = ref.offers
    assert offers is not None
    if not isinstance(published_at, datetime):
        return False
    if db.now() - published_at > timedelta(hours=offers.unlist_stale_after_hours):
        return False
    with db.connect() as conn:
        return offer_store.count_unlisted(conn, ref.key, "stale") > 0
