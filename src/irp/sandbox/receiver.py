"""A webhook receiver on 127.0.0.1 that fails when told to: the marketplace's event
endpoint, an alert sink, or anything else IRP posts to.

A real HTTP/1.1 server (stdlib, a background thread) that records every request and
answers ``200 {"ok": true}`` — unless a failure is queued. ``fail(times, status=...)``
answers the next ``times`` requests with that status; ``fail(times, drop=True)`` reads
the request and then closes the connection without answering (the request *landed*,
its answer was lost — the case that makes a sender repeat itself);
``fail_every(n)`` fails every n-th request from now on.

>>> with WebhookReceiver() as receiver:
...     receiver.fail(2, status=503)
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

from irp.sandbox.loopback import LoopbackHandler, LoopbackServer, ServerThread

__all__ = ["ReceivedRequest", "WebhookReceiver"]


@dataclass(frozen=True)
class ReceivedRequest:
    """One request as received, and how it was answered (0: dropped)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class _Failure:
    status: int
    drop: bool


class _Handler(LoopbackHandler):
    server: LoopbackServer

    def do_POST(self) -> None:
        self._handle()

    def do_GET(self) -> None:
        self._handle()

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        failure = self.server.owner._next_failure()
        answered = 0 if failure is not None and failure.drop else 200
        if failure is not None and not failure.drop:
            answered = failure.status
        self.server.owner._record(
            ReceivedRequest(
                self.command,
                self.path,
                {k.lower(): v for k, v in self.headers.items()},
                body,
                answered,
            )
        )
        if answered == 0:
            self.close_connection = True
            return
        data = json.dumps({"ok": answered < 300}).encode()
        self.send_response(answered)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class WebhookReceiver(ServerThread):
    """Records what is posted to it; fails on demand (see the module docstring)."""

    thread_name = "webhook-receiver"

    def __init__(self, host: str = "127.0.0.1") -> None:
        super().__init__(host)
        self.handler = _Handler
        self._lock = threading.Lock()
        self._requests: list[ReceivedRequest] = []
        self._failures: deque[_Failure] = deque()
        self._every = 0
        self._every_status = 500
        self._count = 0

    @property
    def url(self) -> str:
        """The URL to post to (any path is accepted)."""
        return self.base_url + "/hook"

    def fail(self, times: int = 1, *, status: int = 500, drop: bool = False) -> None:
        """Fail the next ``times`` requests: answer ``status``, or drop the connection."""
        with self._lock:
            self._failures.extend(_Failure(status, drop) for _ in range(times))

    def fail_every(self, n: int, *, status: int = 500) -> None:
        """From now on fail every ``n``-th request with ``status`` (0: stop)."""
        with self._lock:
            self._every, self._every_status, self._count = n, status, 0

    @property
    def requests(self) -> list[ReceivedRequest]:
        with self._lock:
            return list(self._requests)

    def accepted(self) -> list[ReceivedRequest]:
        """The requests answered 2xx, in the order they arrived."""
        return [r for r in self.requests if 200 <= r.answered < 300]

    def _next_failure(self) -> _Failure | None:
        with self._lock:
            if self._failures:
                return self._failures.popleft()
            self._count += 1
            if self._every and self._count % self._every == 0:
                return _Failure(self._every_status, False)
            return None

    def _record(self, request: ReceivedRequest) -> None:
        with self._lock:
            self._requests.append(request)
