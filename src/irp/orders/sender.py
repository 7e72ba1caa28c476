"""The narrow boundary of the delivery engine: send one request, hand back the answer.

An :class:`OrderSender` has one method, ``send(Request) -> Answer`` (like httpx's
transport ``handle_request``). The engine (:mod:`irp.orders.engine`) never sees httpx
clients, auth or sockets — only this. Two senders ship:

- :class:`HttpSender`, the real one: one ``httpx.Client`` per refurbisher (separate
  connect, write and read timeouts, redirects never followed, the connector's auth,
  answers read up to :data:`irp.http_limits.MAX_ANSWER_BYTES` — a larger one is an
  :class:`~irp.errors.AnswerTooLargeError`, which classifies as "maybe acted on");
- :class:`irp.orders.mock.MockSender`, a fake answering from a function, for tests and
  for code that drives the engine without a network.

An :class:`Answer` is either a response (body read) or the transport error, together
with whether the request body was completely written (``request_sent``) — the fact
that separates "certainly not acted on" from "maybe acted on". httpx cannot tell that
from the exception alone (httpcore swallows a write error and reports the read that
follows), so :class:`HttpSender` passes a :class:`SendProgress` as the request's
``trace`` extension.

Only the transport errors that :mod:`irp.orders.classify` classifies are caught
(:data:`TRANSPORT_ERRORS`). Anything else is a bug in IRP, not a supplier fault: it
propagates, the engine logs it with its traceback, and the order keeps its lease.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from irp.config import OrderConfig
from irp.errors import SupplierError
from irp.http_limits import CappedTransport
from irp.orders.auth import create_auth

__all__ = [
    "JSON_HEADERS",
    "TRANSPORT_ERRORS",
    "Answer",
    "HttpSender",
    "LazySender",
    "OrderSender",
    "RateLimiter",
    "Request",
    "SendProgress",
    "SenderFactory",
]

JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}

#: What a send may fail with that is the supplier's or the network's doing: every
#: httpx request error (connect, timeouts, resets, protocol, undecodable body) and the
#: errors the auth flow raises for a token endpoint (:mod:`irp.orders.auth`).
TRANSPORT_ERRORS: tuple[type[Exception], ...] = (httpx.RequestError, SupplierError)


@dataclass(frozen=True)
class Request:
    """One request to a refurbisher: method, absolute URL, and the JSON body if any."""

    method: str
    url: str
    body: bytes | None = None


@dataclass(frozen=True)
class Answer:
    """What one request brought back: a response (body read) or the transport error."""

    response: httpx.Response | None
    error: Exception | None
    request_sent: bool  # the request body was completely written: it may have been acted on
    duration_ms: int = 0

    def failure(self) -> Exception:
        """The transport error of an answer without a response."""
        if self.error is None:  # pragma: no cover - a sender that broke its contract
            raise ValueError("an Answer has either a response or an error")
        return self.error


class OrderSender(Protocol):
    """Sends one request and returns the :class:`Answer`; raises only on an IRP bug."""

    def send(self, request: Request) -> Answer:
        """Send ``request`` once (no retries, no redirects)."""
        ...

    def close(self) -> None:
        """Release connections; the sender is not used afterwards."""
        ...


SenderFactory = Callable[[OrderConfig], OrderSender]
"""How the engine gets a sender for a refurbisher's ``order`` section (default:
:class:`HttpSender`; tests pass ``lambda order: mock_sender``)."""


class SendProgress:
    """Records how far httpcore got with one request (pass ``trace`` as its extension).

    ``request_sent`` becomes True once the request body was completely written to the
    connection: from then on the refurbisher may have acted on it.
    """

    def __init__(self) -> None:
        self.request_sent = False

    def trace(self, event: str, info: Mapping[str, Any]) -> None:
        """httpcore's trace callback (``extensions={"trace": progress.trace}``)."""
        if event.endswith(".send_request_body.complete"):
            self.request_sent = True


class HttpSender:
    """The real :class:`OrderSender`: one shared ``httpx.Client`` for a refurbisher.

    Safe to use from several threads (httpx's client and our auth objects are). Close
    it (or use it as a context manager) to close its connections. The timeouts are the
    ones :attr:`OrderConfig.request_budget_seconds` adds up to size the lease: pool
    wait and connect take ``connect_timeout``, write and read ``read_timeout``.
    """

    def __init__(self, order: OrderConfig) -> None:
        timeout = httpx.Timeout(
            connect=order.connect_timeout,
            read=order.read_timeout,
            write=order.read_timeout,
            pool=order.connect_timeout,
        )
        limits = httpx.Limits(
            max_connections=order.max_concurrency,
            max_keepalive_connections=order.max_concurrency,
        )
        self._client = httpx.Client(
            timeout=timeout,
            transport=CappedTransport(httpx.HTTPTransport(limits=limits, trust_env=False)),
            follow_redirects=False,
            auth=create_auth(order.auth),
            trust_env=False,
        )

    def __enter__(self) -> HttpSender:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled connections."""
        self._client.close()

    def send(self, request: Request) -> Answer:
        """Send ``request``; a transport error comes back in the Answer, a bug raises."""
        progress = SendProgress()
        headers = JSON_HEADERS if request.body is not None else {"Accept": "application/json"}
        started = time.monotonic()
        try:
            response = self._client.request(
                request.method,
                request.url,
                content=request.body,
                headers=headers,
                extensions={"trace": progress.trace},
            )
        except TRANSPORT_ERRORS as exc:
            return Answer(None, exc, progress.request_sent, _elapsed_ms(started))
        return Answer(response, None, True, _elapsed_ms(started))


class LazySender:
    """An :class:`OrderSender` opened on its first request (a pass with nothing due
    builds no client, no TLS context, no token)."""

    def __init__(self, factory: SenderFactory, order: OrderConfig) -> None:
        self._factory = factory
        self._order = order
        self._lock = threading.Lock()
        self._sender: OrderSender | None = None

    def send(self, request: Request) -> Answer:
        """Open the real sender if needed, then send through it."""
        with self._lock:
            if self._sender is None:
                self._sender = self._factory(self._order)
            sender = self._sender
        return sender.send(request)

    def close(self) -> None:
        """Close the real sender if one was opened."""
        with self._lock:
            if self._sender is not None:
                self._sender.close()
                self._sender = None


def _elapsed_ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


class RateLimiter:
    """Spaces requests at least ``1 / per_second`` apart across threads (None: no limit)."""

    def __init__(self, per_second: float | None) -> None:
        self._interval = 1.0 / per_second if per_second else 0.0
        self._lock = threading.Lock()
        self._next = 0.0

    def wait(self) -> None:
        """Block until this caller's slot comes."""
        if not self._interval:
            return
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self._interval
        if slot > now:
            time.sleep(slot - now)
