"""The feed-source boundary: "give me the bytes (and size/mtime) of this file".

A source looks at the remote file twice, ``settle_seconds`` apart, before it reads it,
so a file the supplier is still writing is not taken half-written (SPEC §2): a size or
mtime change between the two looks gives ``waiting``; a file whose size and mtime equal
the last successful sync's gives ``unchanged`` and is not downloaded again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal, Protocol

FetchKind = Literal["fetched", "unchanged", "waiting"]


@dataclass(frozen=True)
class RemoteStat:
    """Size in bytes and modification time (tz-aware UTC; None where the source gives none)."""

    size: int
    mtime: datetime | None


@dataclass(frozen=True)
class FetchOutcome:
    """What one ``fetch_if_changed`` found.

    ``fetched``: ``data`` holds the whole file and ``stat`` describes it;
    ``unchanged``: the file equals ``last_good``, nothing was downloaded;
    ``waiting``: the file is still being written, try again later.
    """

    kind: FetchKind
    data: bytes | None
    stat: RemoteStat


class FeedSource(Protocol):
    """Where one refurbisher's offer feed comes from (SFTP, HTTP or a local file)."""

    @property
    def location(self) -> str:
        """Where the file is, for messages: ``sftp://user@host:22/path`` (never a secret)."""
        ...

    def fetch_if_changed(self, last_good: RemoteStat | None) -> FetchOutcome:
        """Download the file unless it is still changing or equals ``last_good``."""
        ...

    def probe(self) -> RemoteStat:
        """Log in and stat the file, downloading nothing (``irp check``, monitoring)."""
        ...


class SecretLike(Protocol):
    """What the config gives for a secret (``pydantic.SecretStr``)."""

    def get_secret_value(self) -> str: ...


class SftpAuthLike(Protocol):
    """The ``offers.auth`` keys an SFTP source reads."""

    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def path(self) -> str: ...
    @property
    def username(self) -> str: ...
    @property
    def password(self) -> SecretLike: ...
    @property
    def host_key(self) -> str | None: ...
    @property
    def known_hosts(self) -> Path | str | None: ...


class HttpAuthLike(Protocol):
    """The ``offers.auth`` keys an HTTP source reads."""

    @property
    def url(self) -> str: ...
    @property
    def headers(self) -> dict[str, SecretLike] | None: ...


class FileAuthLike(Protocol):
    """The ``offers.auth`` keys a local-file source reads."""

    @property
    def path(self) -> Path | str: ...


class OffersLike(Protocol):
    """The ``offers`` keys ``open_source`` reads (``irp.config.OffersConfig``)."""

    @property
    def connection(self) -> str: ...
    @property
    def auth(self) -> object: ...
    @property
    def settle_seconds(self) -> float: ...
    @property
    def timeout_seconds(self) -> float: ...


def settled_kind(
    first: RemoteStat, second: RemoteStat, last_good: RemoteStat | None
) -> FetchKind | None:
    """Decide from two looks whether to download: ``None`` means "go ahead and fetch".

    >>> a = RemoteStat(10, None)
    >>> settled_kind(a, RemoteStat(11, None), None)
    'waiting'
    >>> settled_kind(a, a, a)
    'unchanged'
    """
    if first != second:
        return "waiting"
    if last_good is not None and second == last_good:
        return "unchanged"
    return None


def auth_prefix(label: str | None) -> str:
    """The dotted config path of ``offers.auth`` for messages (``flexit.offers.auth``)."""
    return f"{label}.offers.auth" if label else "offers.auth"
