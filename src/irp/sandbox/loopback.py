"""What the small sandbox HTTP servers share: a threaded stdlib server on 127.0.0.1.

:class:`LoopbackServer` binds port 0 (the OS picks a free one) without the reverse-DNS
lookup ``HTTPServer.server_bind`` would do, and never joins a handler on close;
:class:`ServerThread` runs one in a background thread as a
:class:`~irp.sandbox.lifecycle.StartStop` (``with X(...) as x``), with ``base_url``.
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from typing import Any, Self

from irp.sandbox.lifecycle import StartStop

__all__ = ["LoopbackHandler", "LoopbackServer", "ServerThread"]


class LoopbackHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive, quiet, and without Nagle's delay on the answer."""

    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Headers and body are two writes; without this Nagle adds ~40 ms per answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the sandbox servers record what they need themselves."""


class LoopbackServer(ThreadingHTTPServer):
    """A threaded HTTP server on ``host`` port 0 that knows its owner (``owner``)."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, owner: Any, host: str, handler: type[BaseHTTPRequestHandler]) -> None:
        self.owner = owner
        super().__init__((host, 0), handler)

    def server_bind(self) -> None:
        TCPServer.server_bind(self)  # no reverse DNS lookup of the host name
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)


class ServerThread(StartStop):
    """Runs a :class:`LoopbackServer` with ``handler`` in a thread called ``name``."""

    handler: type[BaseHTTPRequestHandler]
    thread_name = "sandbox-http"

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._host = host
        self._server: LoopbackServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError(f"{type(self).__name__} is already running")
        self._server = LoopbackServer(self, self._host, self.handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=self.thread_name,
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not running; call start()")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"
