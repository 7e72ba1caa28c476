"""The SFTP feed source (asyncssh), with a pinned host key and password login.

The public methods are synchronous, as the sync pipeline is; each call opens one SSH
connection, does its looks and its download on it, and closes it. asyncssh, socket and
timeout errors are converted here, at the boundary, into ``SourceError`` subclasses
whose messages name the config path, the host and the fix — never the password.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import asyncssh

from irp.errors import (
    HostKeyError,
    SourceAuthError,
    SourceConnectionError,
    SourceError,
    SourceNotFoundError,
)
from irp.sources.base import FetchOutcome, RemoteStat, auth_prefix, settled_kind
from irp.sources.hostkeys import HostKeyPin, fingerprint, key_line, resolve_pin, write_pinned_key

T = TypeVar("T")

_CHUNK_BYTES = 16 * 1024 * 1024


def run_sync(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from synchronous code.

    Inside a thread that already runs an event loop (an async web handler calling the
    sync pipeline), the coroutine runs on a fresh loop in a helper thread instead. The
    result travels in a box, not as the task's result: asyncio would ``repr`` a
    multi-megabyte bytes result on the way out, which costs a second per 30 MB.
    """
    box: dict[str, Any] = {}

    async def keep_result() -> None:
        box["value"] = await make()

    def target() -> None:
        try:
            asyncio.run(keep_result())
        except BaseException as exc:
            box["error"] = exc

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(keep_result())
        return box["value"]  # type: ignore[no-any-return]
    worker = threading.Thread(target=target, name="irp-sftp")
    worker.start()
    worker.join()
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


class _PinningClient(asyncssh.SSHClient):
    """Records the key the server presents when it is not one of the pinned keys."""

    def __init__(self) -> None:
        self.refused_key: asyncssh.SSHKey | None = None

    def validate_host_public_key(
        self, host: str, addr: str, port: int, key: asyncssh.SSHKey
    ) -> bool:
        self.refused_key = key
        return False


class SftpSource:
    """A feed file on an SFTP server: ``sftp://username@host:port/path``.

    ``label`` is the refurbisher key used in messages (``flexit``); ``known_hosts`` is
    relative to ``config_dir``. See ``irp.sources.hostkeys`` for where keys are pinned.
    """

    def __init__(
        self,
        *,
        host: str,
        path: str,
        username: str,
        password: str,
        config_dir: Path,
        port: int = 22,
        host_key: str | None = None,
        known_hosts: Path | None = None,
        label: str | None = None,
        settle_seconds: float = 2.0,
        timeout_seconds: float = 30.0,
    ) -> None:
        self.host = host
        self.port = port
        self.path = path
        self.username = username
        self._password = password
        self.config_dir = config_dir
        self.host_key = host_key
        self.known_hosts = known_hosts
        self.label = label
        self.settle_seconds = settle_seconds
        self.timeout_seconds = timeout_seconds

    def __repr__(self) -> str:
        return f"SftpSource({self.location!r})"

    @property
    def location(self) -> str:
        return f"sftp://{self.username}@{self.host}:{self.port}/{self.path.lstrip('/')}"

    @property
    def _prefix(self) -> str:
        return auth_prefix(self.label)

    @property
    def _trust_hint(self) -> str:
        return f"`irp sftp trust {self.label or 'NAME'}`"

    def pin(self) -> HostKeyPin:
        """The host keys pinned for this server right now (read on every connection)."""
        try:
            return resolve_pin(
                host=self.host,
                port=self.port,
                host_key=self.host_key,
                known_hosts=self.known_hosts,
                config_dir=self.config_dir,
                prefix=self._prefix,
            )
        except ValueError as exc:
            raise HostKeyError(f"{self._prefix}.host_key: {exc}", fingerprint="") from exc

    def probe(self) -> RemoteStat:
        """Log in and stat the file (``irp check``, monitoring); downloads nothing."""
        return run_sync(self._probe)

    def fetch_if_changed(self, last_good: RemoteStat | None) -> FetchOutcome:
        """Look twice ``settle_seconds`` apart, then download unless waiting or unchanged."""
        return run_sync(lambda: self._fetch(last_good))

    def server_host_key(self) -> asyncssh.SSHKey:
        """The key the server presents now, without logging in (``irp sftp trust``)."""
        return run_sync(self._server_host_key)

    async def _probe(self) -> RemoteStat:
        async with self._session() as sftp:
            return await self._stat(sftp)

    async def _fetch(self, last_good: RemoteStat | None) -> FetchOutcome:
        async with self._session() as sftp:
            first = await self._stat(sftp)
            await asyncio.sleep(self.settle_seconds)
            second = await self._stat(sftp)
            kind = settled_kind(first, second, last_good)
            if kind is not None:
                return FetchOutcome(kind, None, second)
            data = await self._read(sftp)
            after = await self._stat(sftp)
            if after != second or len(data) != after.size:
                return FetchOutcome("waiting", None, after)
            return FetchOutcome("fetched", data, after)

    async def _server_host_key(self) -> asyncssh.SSHKey:
        try:
            key = await asyncio.wait_for(
                asyncssh.get_server_host_key(self.host, self.port, config=None),
                self.timeout_seconds,
            )
        except (OSError, TimeoutError, asyncssh.Error) as exc:
            raise self._convert(exc) from exc
        if key is None:
            raise SourceConnectionError(
                f"{self._prefix}: {self.host}:{self.port} presented no host key"
            )
        return key

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[asyncssh.SFTPClient]:
        pin = self.pin()
        client = _PinningClient()
        try:
            conn = await asyncio.wait_for(
                asyncssh.connect(
                    self.host,
                    self.port,
                    username=self.username,
                    password=self._password,
                    known_hosts=(list(pin.keys), [], []),
                    client_factory=lambda: client,
                    config=None,
                    client_keys=None,
                    agent_path=None,
                    preferred_auth="password",
                ),
                self.timeout_seconds,
            )
        except asyncssh.HostKeyNotVerifiable as exc:
            if client.refused_key is None:
                raise self._convert(exc) from exc
            raise self._host_key_error(pin, client.refused_key) from exc
        except asyncssh.PermissionDenied as exc:
            raise self._convert(exc) from exc
        except asyncssh.DisconnectError as exc:
            raise await self._explain_disconnect(exc, pin) from exc
        except (OSError, TimeoutError, asyncssh.Error) as exc:
            raise self._convert(exc) from exc
        try:
            async with conn:
                sftp = await self._timed(conn.start_sftp_client(), "starting SFTP on")
                async with sftp:
                    yield sftp
        except SourceError:
            raise
        except (OSError, asyncssh.Error) as exc:
            raise self._convert(exc) from exc

    async def _explain_disconnect(
        self, exc: asyncssh.DisconnectError, pin: HostKeyPin
    ) -> SourceError:
        """A server with no key of the pinned type drops the handshake — as a failed key
        exchange or a lost connection, whichever side notices first. If the key it
        offers now is not pinned, that is the error to report."""
        if pin.keys:
            try:
                key = await self._server_host_key()
            except SourceError:
                return self._convert(exc)
            if fingerprint(key) not in {fingerprint(k) for k in pin.keys}:
                return self._host_key_error(pin, key)
        return self._convert(exc)

    async def _stat(self, sftp: asyncssh.SFTPClient) -> RemoteStat:
        attrs = await self._timed(sftp.stat(self.path), f"reading {self.path} on")
        mtime = datetime.fromtimestamp(attrs.mtime, tz=UTC) if attrs.mtime is not None else None
        return RemoteStat(size=attrs.size or 0, mtime=mtime)

    async def _read(self, sftp: asyncssh.SFTPClient) -> bytes:
        """The whole file; the timeout applies per chunk, so a big feed on a slow link
        is not cut off while it still flows."""
        chunks: list[bytes] = []
        doing = f"reading {self.path} from"
        async with sftp.open(self.path, "rb") as remote:
            while chunk := await self._timed(remote.read(_CHUNK_BYTES), doing):
                chunks.append(chunk if isinstance(chunk, bytes) else chunk.encode())
        return b"".join(chunks)

    async def _timed(self, operation: Awaitable[T], doing: str) -> T:
        try:
            return await asyncio.wait_for(operation, self.timeout_seconds)
        except TimeoutError as exc:
            raise SourceConnectionError(
                f"{self._prefix}: timed out after {self.timeout_seconds:g} s {doing} "
                f"{self.host}:{self.port}; the server accepted the connection but stopped answering"
            ) from exc
        except asyncssh.SFTPNoSuchFile as exc:
            raise SourceNotFoundError(
                f"{self._prefix}.path: {self.path} not found on {self.host}:{self.port}; "
                "check the path with the supplier (is today's export there?)"
            ) from exc
        except asyncssh.SFTPPermissionDenied as exc:
            raise SourceAuthError(
                f"{self._prefix}.path: {self.username} may not read {self.path} on "
                f"{self.host}:{self.port}; ask the supplier for read access"
            ) from exc

    def _host_key_error(self, pin: HostKeyPin, key: asyncssh.SSHKey) -> HostKeyError:
        found = fingerprint(key)
        if not pin.keys:
            where = f" in {pin.file}" if pin.file is not None else ""
            return HostKeyError(
                f"{self._prefix}: no host key is pinned for {self.host}:{self.port}{where}; "
                f"check the fingerprint {found} with the supplier, then run {self._trust_hint}",
                fingerprint=found,
            )
        pinned_in = f" in {pin.file}" if pin.file is not None else ""
        return HostKeyError(
            f"{pin.where}: the server's key {found} is not the pinned one{pinned_in} "
            f"(pinned: {', '.join(fingerprint(k) for k in pin.keys)}); "
            f"if the supplier rotated it, run {self._trust_hint}",
            fingerprint=found,
        )

    def _convert(self, exc: BaseException) -> SourceError:
        """Turn a socket/asyncssh error into the SourceError the operator can act on."""
        where = f"{self.host}:{self.port}"
        if isinstance(exc, socket.gaierror):
            return SourceNotFoundError(
                f"{self._prefix}.host: the host name {self.host} does not resolve "
                f"({exc.strerror}); check the host name"
            )
        if isinstance(exc, ConnectionRefusedError):
            return SourceConnectionError(
                f"{self._prefix}: connection to {where} refused; check the host and port, "
                "or ask the supplier whether the server is up"
            )
        if isinstance(exc, TimeoutError):
            return SourceConnectionError(
                f"{self._prefix}: timed out after {self.timeout_seconds:g} s connecting to "
                f"{where}; check the host, the port and the firewall"
            )
        if isinstance(exc, asyncssh.PermissionDenied):
            return SourceAuthError(
                f"{self._prefix}: login as {self.username} on {where} refused; "
                f"check {self._prefix}.username and {self._prefix}.password"
            )
        if isinstance(exc, asyncssh.HostKeyNotVerifiable):
            return HostKeyError(
                f"{self._prefix}: the host key of {where} could not be verified ({exc.reason}); "
                f"run {self._trust_hint}",
                fingerprint="",
            )
        if isinstance(exc, asyncssh.Error):
            return SourceConnectionError(f"{self._prefix}: SSH to {where} failed: {exc.reason}")
        if isinstance(exc, OSError):
            reason = exc.strerror or type(exc).__name__
            return SourceConnectionError(f"{self._prefix}: connection to {where} failed: {reason}")
        return SourceConnectionError(f"{self._prefix}: connection to {where} failed: {exc}")


@dataclass(frozen=True)
class TrustResult:
    """What ``pin_server_key`` found and did.

    ``pinned_to`` is the known_hosts file written, or None when the key is pinned by
    ``host_key`` in the config: IRP does not rewrite the operator's config file, so
    ``in_config`` says whether the configured line already is the server's key, and
    ``key_line`` is the line to put there when it is not.
    """

    host: str
    port: int
    fingerprint: str
    key_line: str
    pinned_to: Path | None
    replaced: tuple[str, ...]
    in_config: bool


def pin_server_key(source: SftpSource) -> TrustResult:
    """Pin the key ``source``'s server presents now (``irp sftp trust``), on purpose.

    Without ``host_key`` in the config the key goes to the configured ``known_hosts``
    file, else to ``<config folder>/irp_known_hosts``, replacing that host:port's entry.
    """
    key = source.server_host_key()
    found = fingerprint(key)
    previous = source.pin()
    replaced = tuple(fp for fp in (fingerprint(k) for k in previous.keys) if fp != found)
    if previous.file is None:
        return TrustResult(
            source.host, source.port, found, key_line(key), None, replaced, not replaced
        )
    write_pinned_key(previous.file, source.host, source.port, key)
    return TrustResult(
        source.host, source.port, found, key_line(key), previous.file, replaced, False
    )
