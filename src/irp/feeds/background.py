"""Work a sync runs beside the feed read: loading the stored index, compressing the archive.

Both release the GIL for most of their time (SQLite/psycopg reads, zstd), so on two
cores they overlap the polars read instead of following it.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import TYPE_CHECKING

import polars as pl
import sqlalchemy as sa

from irp.store import offers as offer_store
from irp.store import runs as run_store

if TYPE_CHECKING:
    from irp.store.db import Database

log = logging.getLogger(__name__)

#: What the diff needs of every stored offer.
INDEX_COLUMNS = ("sku", "row_hash", "listed")


class IndexLoader:
    """Read the narrow offer index in a background thread, on its own connection.

    :meth:`result` checks, inside the sync's transaction, that no offer was written
    since (:func:`offer_store.index_version`) and reads it again if one was.
    """

    def __init__(self, db: Database, key: str) -> None:
        self._db, self._key = db, key
        self._index: pl.DataFrame | None = None
        self._version: object = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=f"index-{key}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            with self._db.connect() as conn:
                before = offer_store.index_version(conn, self._key)
                index = offer_store.load_offer_index(conn, self._key, columns=INDEX_COLUMNS)
                if offer_store.index_version(conn, self._key) == before:
                    self._index, self._version = index, before
        except BaseException as exc:  # re-raised in the caller's thread
            self._error = exc

    def result(self, conn: sa.Connection) -> pl.DataFrame:
        self._thread.join()
        if self._error is not None:
            raise self._error
        if self._index is None or offer_store.index_version(conn, self._key) != self._version:
            log.info("%s: offers changed while the index was read; reading it again", self._key)
            return offer_store.load_offer_index(conn, self._key, columns=INDEX_COLUMNS)
        index, self._index = self._index, None
        return index


class Archiver:
    """Compress the raw feed in a background thread (zstd releases the GIL).

    :meth:`store` waits for it and archives it in the caller's transaction, so the
    compression runs beside the read instead of after it.
    """

    def __init__(self, key: str, run_id: int | None, data: bytes, digest: str) -> None:
        self._key, self._run_id, self._digest = key, run_id, digest
        self._data: bytes | None = data
        self._compressed: bytes | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=f"archive-{key}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            assert self._data is not None
            self._compressed = run_store.compress_feed(self._data)
        except BaseException as exc:  # re-raised in the caller's thread
            self._error = exc

    def store(self, conn: sa.Connection, now: datetime) -> int:
        """The archive id of the feed (stored now, or already stored with this content)."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._data is not None
        archive_id = run_store.archive_feed(
            conn,
            self._key,
            self._run_id,
            self._data,
            now=now,
            digest=self._digest,
            compressed=self._compressed,
        )
        self._data = self._compressed = None
        return archive_id
