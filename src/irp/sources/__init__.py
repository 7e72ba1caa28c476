"""Where offer feeds come from: SFTP, HTTP or a local file, behind one small protocol.

A source gives the bytes of one file, with its size and mtime, and refuses a file that
is still being written (``waiting``) or that equals the last good one (``unchanged``).
Failures are ``irp.errors.SourceError`` subclasses.

``SftpSource`` (asyncssh) and ``HttpSource`` (httpx) are imported when first used, so
a sync of a local file, and every command that never fetches, does not pay for them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from irp.errors import ConfigError
from irp.sources.base import (
    FeedSource,
    FetchOutcome,
    FileAuthLike,
    HttpAuthLike,
    OffersLike,
    RemoteStat,
    SftpAuthLike,
)
from irp.sources.local import LocalFileSource

if TYPE_CHECKING:
    from irp.sources.http import HttpSource
    from irp.sources.sftp import SftpSource

__all__ = [
    "FeedSource",
    "FetchOutcome",
    "HttpSource",
    "LocalFileSource",
    "RemoteStat",
    "SftpSource",
    "open_source",
]


def __getattr__(name: str) -> Any:
    if name == "SftpSource":
        from irp.sources.sftp import SftpSource

        return SftpSource
    if name == "HttpSource":
        from irp.sources.http import HttpSource

        return HttpSource
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def open_source(
    offers: OffersLike,
    *,
    config_dir: Path,
    label: str | None = None,
    settle_seconds: float | None = None,
) -> FeedSource:
    """Build the source an ``offers`` config describes; nothing is contacted yet.

    ``label`` (the refurbisher key) prefixes messages (``flexit.offers.auth...``);
    ``settle_seconds`` overrides the config's pause between two looks (tests, ``--file``).
    Relative paths (``file`` path, ``known_hosts``) are taken from ``config_dir``.
    """
    settle = offers.settle_seconds if settle_seconds is None else settle_seconds
    if offers.connection == "sftp":
        from irp.sources.sftp import SftpSource

        sftp = cast(SftpAuthLike, offers.auth)
        known_hosts = getattr(sftp, "known_hosts", None)
        return SftpSource(
            host=sftp.host,
            port=getattr(sftp, "port", 22) or 22,
            path=sftp.path,
            username=sftp.username,
            password=sftp.password.get_secret_value(),
            host_key=getattr(sftp, "host_key", None),
            known_hosts=Path(known_hosts) if known_hosts else None,
            config_dir=config_dir,
            label=label,
            settle_seconds=settle,
            timeout_seconds=offers.timeout_seconds,
        )
    if offers.connection == "http":
        from irp.sources.http import HttpSource

        http = cast(HttpAuthLike, offers.auth)
        headers = {
            name: value if isinstance(value, str) else value.get_secret_value()
            for name, value in (getattr(http, "headers", None) or {}).items()
        }
        return HttpSource(
            http.url, headers=headers, label=label, timeout_seconds=offers.timeout_seconds
        )
    if offers.connection == "file":
        file = cast(FileAuthLike, offers.auth)
        return LocalFileSource(config_dir / file.path, label=label, settle_seconds=settle)
    prefix = f"{label}.offers.connection" if label else "offers.connection"
    raise ConfigError(prefix, f"expected 'sftp', 'http' or 'file', got {offers.connection!r}")
