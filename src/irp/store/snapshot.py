"""A local copy of each refurbisher's offer index, so a warm sync need not read it back.

A warm sync compares the feed with what is stored: SKU, ``row_hash``, ``listed`` and
``stock_available`` of every offer (the stock for the status page's counts). Reading
that from the database costs about a second per million offers, so after each sync
the index is kept in a file beside the database (Parquet, a few MB per 100,000
offers), stamped with the offers version it shows
(``offers.offers_version``). It is used only while the database still has exactly that
version; any other write to the offers — another worker, another host, an operator,
stale stock unlisted — changes the version, and the sync reads the database instead.
A stale or unreadable file therefore costs one database read, never a missed change.

Where: beside an SQLite file ``irp-production.db`` in ``irp-production.db-offers/``;
for PostgreSQL in ``.irp-offers/<hash of the URL>/`` beside the config file (each host
keeps its own). An in-memory database keeps none. Writing a snapshot is best effort:
a folder that cannot be written only costs the next sync a database read (logged).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path
from typing import Final
from urllib.parse import quote

import polars as pl
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

#: The columns a snapshot holds (the sync's offer index).
SNAPSHOT_COLUMNS: Final = ("sku", "row_hash", "listed", "stock_available")
_SCHEMA: Final = {
    "sku": pl.String,
    "row_hash": pl.Int64,
    "listed": pl.Boolean,
    "stock_available": pl.Int64,
}
_FORMAT: Final = "irp-offer-snapshot-2"


def snapshot_folder(database_url: str, config_dir: Path) -> Path | None:
    """Where the offer snapshots of the database at ``database_url`` live (None: nowhere).

    >>> snapshot_folder("sqlite:////srv/irp/irp-production.db", Path("/etc/irp"))
    PosixPath('/srv/irp/irp-production.db-offers')
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            return None
        path = Path(url.database)
        return path.with_name(path.name + "-offers")
    shown = url.render_as_string(hide_password=True)
    digest = hashlib.sha256(shown.encode()).hexdigest()[:16]
    return config_dir / ".irp-offers" / digest


class OfferSnapshots:
    """The snapshot files in ``folder`` (None: keep no snapshots)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    def _path(self, refurbisher: str) -> Path:
        assert self.folder is not None
        return self.folder / f"{quote(refurbisher, safe='')}.parquet"

    def load(self, refurbisher: str, version: int) -> pl.DataFrame | None:
        """The index of ``refurbisher`` at offers ``version``, or None when not kept."""
        if self.folder is None or version == 0:
            return None
        path = self._path(refurbisher)
        try:
            meta = pl.read_parquet_metadata(path)
            if meta.get("format") != _FORMAT or meta.get("refurbisher") != refurbisher:
                return None
            if meta.get("offers_version") != str(version):
                return None
            frame = pl.read_parquet(path)
        except FileNotFoundError:
            return None
        except Exception as exc:  # a damaged file is only a missed shortcut
            log.warning(
                "%s: offer snapshot %s unreadable (%s); reading the database",
                refurbisher,
                path,
                exc,
            )
            return None
        if dict(frame.schema) != _SCHEMA:
            return None
        return frame

    def save(self, refurbisher: str, version: int, index: pl.DataFrame) -> bool:
        """Keep ``index`` as ``refurbisher``'s offers at ``version``; False if it could not be.

        Written to a temporary file and renamed, so a reader sees the old file or the new
        one, never half of one.
        """
        if self.folder is None:
            return False
        frame = index.select(pl.col(c).cast(t) for c, t in _SCHEMA.items())
        meta = {"format": _FORMAT, "refurbisher": refurbisher, "offers_version": str(version)}
        path = self._path(refurbisher)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".parquet")
            try:
                with os.fdopen(fd, "wb") as out:
                    frame.write_parquet(out, compression="lz4", statistics=False, metadata=meta)
                os.replace(temp, path)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            log.warning(
                "%s: cannot keep the offer snapshot in %s (%s)", refurbisher, self.folder, exc
            )
            return False
        return True

    def discard(self, refurbisher: str) -> None:
        """Forget ``refurbisher``'s snapshot (best effort)."""
        if self.folder is not None:
            self._path(refurbisher).unlink(missing_ok=True)
