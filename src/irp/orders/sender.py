"""Sending one request to a refurbisher's order API, and the transactions around it.

The narrow boundary of the orders service: :func:`open_client` builds the one
``httpx.Client`` a refurbisher's submissions share (separate connect and read timeouts,
redirects never followed, the connector's auth), and :func:`send` performs one request
and hands back either the response or the exception together with how far the request
got (:class:`~irp.orders.classify.SendProgress`) — it never raises, so the caller
always gets to record the attempt and move the order.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import httpx

from irp.config import OrderConfig
from irp.orders.auth import create_auth
from irp.orders.classify import SendProgress

JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


def open_client(order: OrderConfig) -> httpx.Client:
    """The shared client for one refurbisher: its timeouts, its auth, no redirects."""
    timeout = httpx.Timeout(
        connect=order.connect_timeout,
        read=order.read_timeout,
        write=order.read_timeout,
        pool=order.connect_timeout,
    )
    limits = httpx.Limits(
        max_connections=order.max_concurrency, max_keepalive_connections=order.max_concurrency
    )
    return httpx.Client(
        timeout=timeout,
        limits=limits,
        follow_redirects=False,
        auth=create_auth(order.auth),
        trust_env=False,
    )


@dataclass(frozen=True)
class Sent:
    """One request's result: a response (body read) or the exception, and its progress."""

    response: httpx.Response | None
    error: Exception | None
    progress: SendProgress
    duration_ms: int


def send(client: httpx.Client, method: str, url: str, content: bytes | None = None) -> Sent:
    """Send one request; never raises (the exception is returned for classification)."""
    progress = SendProgress()
    started = time.monotonic()
    try:
        response = client.request(
            method,
            url,
            content=content,
            headers=JSON_HEADERS if content is not None else {"Accept": "application/json"},
            extensions={"trace": progress.trace},
        )
    except Exception as exc:  # every failure is classified by the caller
        return Sent(None, exc, progress, _elapsed_ms(started))
    return Sent(response, None, progress, _elapsed_ms(started))


def _elapsed_ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


class RateLimiter:
    """Spaces requests at least ``1 / per_second`` apart across threads (None: no limit)."""

    def __init__(self, per_second: float | None) -> None:
        self._interval = 1.0 / per_second if per_second else 0.0
        self._lock = threading.Lock()
        self._next = 0.0

    def wait(self) -> None:
        if not self._interval:
            return
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self._interval
        if slot > now:
            time.sleep(slot - now)
