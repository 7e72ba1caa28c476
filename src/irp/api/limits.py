"""Hostile requests get a clean 4xx, never a 500: body size, content type, depth.

- A body over ``platform.service.max_request_bytes`` (default 1 MiB) is answered 413
  — at once when ``Content-Length`` says so, else as soon as the streamed body passes
  the limit.
- A ``POST``/``PUT``/``PATCH`` under ``/api/`` that carries a body must say
  ``Content-Type: application/json`` (415 otherwise).
- An orders body that is not UTF-8, not JSON, nested too deep or otherwise not an
  order document is 400 (:func:`read_json_document`, used by ``POST /api/orders``);
  FastAPI answers 4xx for the other bodies.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import HTTPException

from irp.errors import OrderError
from irp.orders.intake import load_order_document

__all__ = ["RequestLimits", "read_json_document"]

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


class RequestLimits:
    """ASGI middleware: size and content-type limits (see the module docstring)."""

    def __init__(self, app: App, max_bytes: Callable[[], int]) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes()
        headers = {key.lower(): value for key, value in scope.get("headers", [])}
        length = headers.get(b"content-length")
        if length is not None:
            declared = int(length) if length.isdigit() else -1
            if declared < 0:
                await _answer(send, 400, "Content-Length is not a number")
                return
            if declared > limit:
                await _answer(send, 413, _too_large(limit))
                return
        has_body = (length is not None and length != b"0") or b"transfer-encoding" in headers
        if scope["method"] in _BODY_METHODS and scope["path"].startswith("/api/") and has_body:
            kind = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
            if kind != b"application/json":
                await _answer(send, 415, "send the body as JSON (Content-Type: application/json)")
                return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, _too_large(limit))
            return message

        await self.app(scope, limited_receive, send)


def _too_large(limit: int) -> str:
    return f"the request body is larger than {limit} bytes (platform.service.max_request_bytes)"


async def _answer(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def read_json_document(data: bytes) -> list[object]:
    """The orders in a request body (one object or a list), read exactly as
    ``irp orders add`` reads a file (:func:`irp.orders.intake.load_order_document`:
    UTF-8, strict JSON, bounded depth); HTTPException 400 naming what is wrong."""
    try:
        return load_order_document(data, source="request body")
    except OrderError as exc:
        raise HTTPException(400, str(exc)) from None
