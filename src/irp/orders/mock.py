"""A fake :class:`~irp.orders.sender.OrderSender` that answers from a function.

Like httpx's ``MockTransport``: give it a handler that receives each
:class:`~irp.orders.sender.Request` and returns an ``httpx.Response`` (a status, a body,
headers) or a :class:`Lost` (the answer never came, with or without the request having
been fully sent). The engine then runs exactly as against a real refurbisher — claim,
send, classify, apply — without a socket, so the state machine can be tested with
hypothesis, and code built on the engine (shipment polling, the Odoo push) can be
tested before a simulator exists.

>>> sender = MockSender(lambda request: httpx.Response(201, json={"OrderNumber": "SO-1"}))
>>> sender.send(Request("POST", "https://x/order", b"{}")).response.status_code
201
>>> sender.requests[0].url
'https://x/order'

A handler may raise :class:`SimulatedCrash` to model a process killed while the
request is in flight: it is a ``BaseException``, so it passes every ``except
Exception`` and ends the run with the order still ``submitting``, as ``kill -9`` would.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from irp.orders.sender import Answer, Request

__all__ = ["Handler", "Lost", "MockSender", "SimulatedCrash"]


@dataclass(frozen=True)
class Lost:
    """No answer: ``error`` happened, after the request was fully sent or before."""

    error: Exception
    request_sent: bool

    @classmethod
    def before_sending(cls) -> Lost:
        """The connection was refused: the refurbisher certainly did not see it."""
        return cls(httpx.ConnectError("[Errno 111] Connection refused"), request_sent=False)

    @classmethod
    def after_sending(cls) -> Lost:
        """The request went out and no answer came within the read timeout."""
        return cls(httpx.ReadTimeout("timed out"), request_sent=True)


class SimulatedCrash(BaseException):
    """Raised by a handler to model the process dying while the request is in flight."""


Handler = Callable[[Request], "httpx.Response | Lost"]


class MockSender:
    """An :class:`~irp.orders.sender.OrderSender` answering from ``handler``; thread-safe.

    Every request is recorded in :attr:`requests`, in the order they were sent.
    """

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self._lock = threading.Lock()
        self.requests: list[Request] = []

    def send(self, request: Request) -> Answer:
        """Record ``request`` and answer it from the handler."""
        with self._lock:
            self.requests.append(request)
        result = self._handler(request)
        if isinstance(result, Lost):
            return Answer(None, result.error, result.request_sent)
        result.read()
        return Answer(result, None, True)

    def close(self) -> None:
        """Nothing to close; here so it can stand in wherever an HttpSender is closed."""
