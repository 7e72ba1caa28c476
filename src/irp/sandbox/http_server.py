"""A loopback HTTP server in a background thread: what every sandbox HTTP simulator runs on.

Real sockets, so clients are tested as they run in production: a reset is a real RST,
a timeout a real silence. :class:`ServerThread` starts and stops the server; on stop it
wakes handlers sleeping on :attr:`ServerThread.stopping` (fault injection) and drops
open connections, so a stop never waits for a simulated silence. Handlers derive from
:class:`TrackedHandler` and reach their simulator as ``self.server.owner``.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from typing import Any

__all__ = ["LoopbackServer", "ServerThread", "TrackedHandler"]


class LoopbackServer(ThreadingHTTPServer):
    """A threading HTTP server that knows its runner and the simulator it serves."""

    daemon_threads = True
    block_on_close = False  # stop() wakes handlers itself; never join a sleeping one

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[TrackedHandler],
        runner: ServerThread,
        owner: Any,
    ) -> None:
        self.runner = runner
        self.owner = owner
        super().__init__(address, handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name (getfqdn), which can stall.
        TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)


class TrackedHandler(BaseHTTPRequestHandler):
    """HTTP/1.1, no Nagle delay, quiet, and its connection known to the runner."""

    protocol_version = "HTTP/1.1"
    server: LoopbackServer

    def setup(self) -> None:
        super().setup()
        # Headers and body are two writes; without this Nagle adds ~40 ms per answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.runner.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass  # the socket was reset on purpose
        finally:
            self.server.runner.track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests assert on what the simulator recorded instead."""


class ServerThread:
    """Runs one :class:`LoopbackServer` at a time in a daemon thread."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.stopping = threading.Event()  # set while stopping: sleeping handlers wake up
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._server: LoopbackServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def address(self) -> tuple[str, int]:
        if self._server is None:
            raise RuntimeError(f"the {self.name} simulator is not running; call start()")
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self, address: tuple[str, int], handler: type[TrackedHandler], owner: Any) -> None:
        """Bind ``address`` (port 0: any free port) and serve ``handler`` for ``owner``."""
        if self._server is not None:
            raise RuntimeError(f"the {self.name} simulator is already running")
        self.stopping.clear()
        self._server = LoopbackServer(address, handler, self, owner)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=self.name,
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving; wakes sleeping fault handlers and drops open connections."""
        server, self._server = self._server, None
        if server is None:
            return
        self.stopping.set()
        server.shutdown()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):  # already closed by a reset or the client
                conn.shutdown(socket.SHUT_RDWR)
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        deadline = time.monotonic() + 2
        while self._connections and time.monotonic() < deadline:
            time.sleep(0.01)

    def track(self, conn: socket.socket, active: bool) -> None:
        with self._lock:
            if active:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)
