"""A real SFTP server on 127.0.0.1 for the demo, the tests and the benchmark.

It is asyncssh's own SFTP server, chrooted to ``root``, with password authentication,
running its own event loop in a background thread so synchronous callers (the sync
pipeline, pytest) can use it as a context manager::

    with SandboxSftpServer(tmp_path, password="s3cret") as server:
        (tmp_path / "Outbound").mkdir()
        ...  # connect to server.host:server.port, pin server.host_key_line
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import threading
from concurrent.futures import Future
from pathlib import Path

import asyncssh

from irp.sandbox.lifecycle import StartStop
from irp.sources.hostkeys import fingerprint, key_line

_STOP_TIMEOUT = 5.0


class _PasswordServer(asyncssh.SSHServer):
    """Accepts exactly one username/password pair; every other login is refused."""

    def __init__(
        self, username: str, password: str, connections: set[asyncssh.SSHServerConnection]
    ) -> None:
        self._username = username
        self._password = password
        self._connections = connections
        self._conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        self._connections.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._conn is not None:
            self._connections.discard(self._conn)

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return hmac.compare_digest(username, self._username) and hmac.compare_digest(
            password.encode(), self._password.encode()
        )


class SandboxSftpServer(StartStop):
    """An asyncssh SFTP server chrooted to ``root``, listening on ``host``:``port``.

    ``port=0`` picks a free port (read it from ``.port`` after ``start()``). An ed25519
    host key is generated when none is given.
    """

    def __init__(
        self,
        root: Path,
        *,
        username: str = "xmlorder_218535",
        password: str,
        host: str = "127.0.0.1",
        port: int = 0,
        host_key: asyncssh.SSHKey | None = None,
    ) -> None:
        self._root = Path(root)
        self._username = username
        self._password = password
        self._host = host
        self._requested_port = port
        self._port: int | None = None
        self._host_key = host_key or asyncssh.generate_private_key("ssh-ed25519")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._acceptor: asyncssh.SSHAcceptor | None = None
        self._connections: set[asyncssh.SSHServerConnection] = set()

    def __repr__(self) -> str:
        return f"SandboxSftpServer(root={self._root!s}, host={self._host}, port={self._port})"

    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        """The listening port; only known once started."""
        if self._port is None:
            raise RuntimeError("SandboxSftpServer is not started")
        return self._port

    @property
    def root(self) -> Path:
        return self._root

    @property
    def username(self) -> str:
        return self._username

    @property
    def host_key(self) -> asyncssh.SSHKey:
        """The server's private host key (tests use it to restart with the same key)."""
        return self._host_key

    @property
    def host_key_line(self) -> str:
        """The public host key as an OpenSSH line, ready for ``offers.auth.host_key``."""
        return key_line(self._host_key)

    @property
    def fingerprint(self) -> str:
        """``SHA256:...`` of the host key, as ``ssh-keygen -l`` prints it."""
        return fingerprint(self._host_key)

    def start(self) -> SandboxSftpServer:
        """Start listening; returns once connections are accepted."""
        if self._thread is not None:
            return self
        self._root.mkdir(parents=True, exist_ok=True)
        loop = asyncio.new_event_loop()
        ready: Future[int] = Future()
        thread = threading.Thread(
            target=self._run, args=(loop, ready), name="sandbox-sftp", daemon=True
        )
        self._loop, self._thread = loop, thread
        thread.start()
        try:
            self._port = ready.result(timeout=10)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Close the listener and every open session; never hangs (bounded waits)."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if loop.is_running():
            stopping = asyncio.run_coroutine_threadsafe(self._close(), loop)
            # stop() must neither raise nor hang: the loop is stopped below regardless.
            with contextlib.suppress(Exception):
                stopping.result(timeout=_STOP_TIMEOUT)
            loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=_STOP_TIMEOUT)
        self._loop = self._thread = self._acceptor = None
        self._port = None

    def _run(self, loop: asyncio.AbstractEventLoop, ready: Future[int]) -> None:
        asyncio.set_event_loop(loop)
        try:
            self._acceptor = loop.run_until_complete(self._listen())
            ready.set_result(self._acceptor.get_port())
        except BaseException as exc:
            ready.set_exception(exc)
            loop.close()
            return
        try:
            loop.run_forever()
        finally:
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

    async def _listen(self) -> asyncssh.SSHAcceptor:
        root = str(self._root.resolve()).encode()
        return await asyncssh.listen(
            self._host,
            self._requested_port,
            server_host_keys=[self._host_key],
            server_factory=lambda: _PasswordServer(
                self._username, self._password, self._connections
            ),
            sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=root),
            allow_scp=False,
            config=None,
        )

    async def _close(self) -> None:
        """Stop listening, then close every open session so clients see the disconnect."""
        if self._acceptor is not None:
            self._acceptor.close()
            await asyncio.wait_for(self._acceptor.wait_closed(), _STOP_TIMEOUT)
        sessions = list(self._connections)
        for conn in sessions:
            conn.close()
        if sessions:
            await asyncio.wait_for(
                asyncio.gather(*(conn.wait_closed() for conn in sessions)), _STOP_TIMEOUT
            )
