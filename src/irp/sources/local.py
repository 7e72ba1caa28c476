"""The local-file feed source: a path on this machine (``connection: "file"``, ``--file``).

It follows the same rules as SFTP — two looks ``settle_seconds`` apart, ``waiting``
while the file still changes, ``unchanged`` when size and mtime equal the last good
sync's — because a supplier may drop the file into a watched folder just as slowly.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from irp.errors import SourceAuthError, SourceConnectionError, SourceNotFoundError
from irp.sources.base import FetchOutcome, RemoteStat, auth_prefix, settled_kind


class LocalFileSource:
    """A feed file on the local disk."""

    def __init__(
        self,
        path: Path,
        *,
        label: str | None = None,
        where: str | None = None,
        settle_seconds: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.path = path
        self.label = label
        self.where = where or f"{auth_prefix(label)}.path"
        """How error messages name the file's origin (the config key, or ``--file``)."""
        self.settle_seconds = settle_seconds
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"LocalFileSource({self.location!r})"

    @property
    def location(self) -> str:
        return f"file://{self.path.resolve()}"

    def probe(self) -> RemoteStat:
        """Stat the file."""
        return self._stat()

    def fetch_if_changed(self, last_good: RemoteStat | None) -> FetchOutcome:
        """Look twice ``settle_seconds`` apart, then read unless waiting or unchanged."""
        first = self._stat()
        self._sleep(self.settle_seconds)
        second = self._stat()
        kind = settled_kind(first, second, last_good)
        if kind is not None:
            return FetchOutcome(kind, None, second)
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            raise self._convert(exc) from exc
        after = self._stat()
        if after != second or len(data) != after.size:
            return FetchOutcome("waiting", None, after)
        return FetchOutcome("fetched", data, after)

    def _stat(self) -> RemoteStat:
        try:
            st = os.stat(self.path)
        except OSError as exc:
            raise self._convert(exc) from exc
        return RemoteStat(size=st.st_size, mtime=datetime.fromtimestamp(st.st_mtime, tz=UTC))

    def _convert(self, exc: OSError) -> Exception:
        prefix = self.where
        if isinstance(exc, FileNotFoundError):
            return SourceNotFoundError(f"{prefix}: {self.path} not found; check the path")
        if isinstance(exc, PermissionError):
            return SourceAuthError(f"{prefix}: no permission to read {self.path}")
        if isinstance(exc, IsADirectoryError):
            return SourceNotFoundError(f"{prefix}: {self.path} is a folder, not a file")
        return SourceConnectionError(f"{prefix}: cannot read {self.path}: {exc.strerror}")
