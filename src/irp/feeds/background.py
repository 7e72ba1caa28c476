"""Work a sync runs beside the feed read: loading the stored index, compressing the archive.

Both release the GIL for most of their time (file and database reads, zstd), so on two
cores they overlap the polars read instead of following it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from irp.errors import StoreError
from irp.store import offers as offer_store
from irp.store import runs as run_store
from irp.store.db import database_now
from irp.store.snapshot import SNAPSHOT_COLUMNS, OfferSnapshots

if TYPE_CHECKING:
    from irp.store.db import Database

log = logging.getLogger(__name__)

#: A database read of the index that keeps seeing the offers change is retried this often.
_INDEX_READS = 5


@dataclass(frozen=True)
class OfferBaseline:
    """The stored offer index (``sku``, ``row_hash``, ``listed``) at offers ``version``."""

    index: pl.DataFrame
    version: int
    source: str
    """``snapshot`` (the local file) or ``database``."""


def load_baseline(db: Database, key: str, snapshots: OfferSnapshots) -> OfferBaseline:
    """``key``'s offer index and the version it shows: from the snapshot when it is
    still current, else from the database.

    The database read is taken between two reads of the version; equal versions prove
    no offer was written in between (every write changes the version in its own
    transaction), so the index is exactly that version's.
    """
    with db.connect() as conn:
        version = offer_store.offers_version(conn, key)
        kept = snapshots.load(key, version)
        if kept is not None:
            return OfferBaseline(kept, version, "snapshot")
        for _ in range(_INDEX_READS):
            index = offer_store.load_offer_index(conn, key, columns=SNAPSHOT_COLUMNS)
            conn.rollback()  # the next reads see what was committed since
            after = offer_store.offers_version(conn, key)
            if after == version:
                return OfferBaseline(index, version, "database")
            log.info("%s: offers changed while the index was read; reading it again", key)
            version = after
    raise StoreError(
        f"{key}: the offers kept changing while the sync read them ({_INDEX_READS} reads); "
        "is another process writing them? try again"
    )


class BaselineLoader:
    """:func:`load_baseline` in a background thread; :meth:`result` waits for it."""

    def __init__(self, db: Database, key: str, snapshots: OfferSnapshots) -> None:
        self._args = (db, key, snapshots)
        self._baseline: OfferBaseline | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=f"index-{key}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._baseline = load_baseline(*self._args)
        except BaseException as exc:  # re-raised in the caller's thread
            self._error = exc

    def result(self) -> OfferBaseline:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._baseline is not None
        baseline, self._baseline = self._baseline, None
        return baseline


class Archiver:
    """Compress the raw feed and archive it, in a background thread: zstd and the
    database write release the GIL, so both run beside the read and the plan.

    :meth:`result` waits for it: the archive id (stored now, or already stored with
    this content). The archive is its own short write transaction.
    """

    def __init__(self, db: Database, key: str, run_id: int | None, data: bytes, digest: str):
        self._db, self._key, self._run_id, self._digest = db, key, run_id, digest
        self._data: bytes | None = data
        self._archive_id: int | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=f"archive-{key}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            assert self._data is not None
            compressed = run_store.compress_feed(self._data)
            size, self._data = len(self._data), None  # the feed's bytes go as soon as they can
            with self._db.write_transaction() as conn:
                self._archive_id = run_store.archive_feed(
                    conn,
                    self._key,
                    self._run_id,
                    None,
                    now=database_now(conn),
                    digest=self._digest,
                    compressed=compressed,
                    size=size,
                )
        except BaseException as exc:  # re-raised in the caller's thread
            self._error = exc
        finally:
            self._data = None

    def result(self) -> int:
        """The archive id, once stored."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._archive_id is not None
        return self._archive_id
