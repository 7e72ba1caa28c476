"""The one boundary with Odoo's HTTP APIs: a call, a transport, and error conversion.

A :class:`Call` is one ORM method call — model, method, record ids and arguments. Odoo
19's JSON-2 API takes every argument by name; ``/jsonrpc`` ``execute_kw`` also takes
positional ones (its ``create`` needs them), so a call carries both and each transport
uses what its API understands. A transport sends a call and returns Odoo's answer, or
raises an :mod:`irp.odoo.errors` error — httpx's errors never leave this package, and
no message carries the API key.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

import httpx

from irp.errors import AnswerTooLargeError
from irp.http_limits import CappedTransport
from irp.odoo.errors import OdooConnectionError, OdooNoAnswerError
from irp.redact import redact

log = logging.getLogger("irp.odoo")

USER_AGENT = "irp (drop-ship purchase orders)"
BODY_IN_MESSAGE = 300  # characters of an unexpected answer quoted in an error
_TITLE = re.compile(r"<title>(.*?)</title>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Call:
    """One ORM call: ``model.method`` on ``ids`` (None: a model-level method)."""

    model: str
    method: str
    ids: Sequence[int] | None = None
    named: Mapping[str, Any] = field(default_factory=dict)
    positional: Sequence[Any] = ()  # /jsonrpc only; JSON-2 has no positional arguments

    @property
    def name(self) -> str:
        return f"{self.model}.{self.method}"


class Transport(Protocol):
    """Sends ORM calls to one Odoo database with one API key."""

    api: str
    url: str

    def call(self, call: Call, context: Mapping[str, Any]) -> Any:
        """Odoo's return value for ``call``; an OdooError when there is none."""

    def version(self) -> str:
        """The server version (``"19.0"``): proves the URL is an Odoo."""

    def endpoint(self, call: Call) -> str:
        """The URL ``call`` is posted to (kept on attempt records)."""

    def close(self) -> None:
        """Release the connection pool."""


class HttpSession:
    """An httpx client with the timeouts of ``platform.odoo``, errors converted.

    The API key is given so that anything echoed back can be scrubbed of it.
    """

    def __init__(
        self, url: str, *, secret: str, connect_timeout: float, read_timeout: float
    ) -> None:
        self.url = url
        self.read_timeout = read_timeout
        self._secret = secret
        timeout = httpx.Timeout(read_timeout, connect=connect_timeout)
        self._client = httpx.Client(
            timeout=timeout,
            transport=CappedTransport(httpx.HTTPTransport()),
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        )

    def scrub(self, text: str) -> str:
        """``text`` without the API key."""
        return redact(text, [self._secret])

    def post(self, url: str, body: bytes, headers: Mapping[str, str], what: str) -> httpx.Response:
        """POST ``body``; OdooConnectionError (nothing sent) or OdooNoAnswerError (maybe)."""
        started = time.monotonic()
        try:
            response = self._client.post(url, content=body, headers=dict(headers))
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.UnsupportedProtocol) as exc:
            raise OdooConnectionError(
                f"cannot reach Odoo at {self.url} ({what}): {self._reason(exc)}; "
                "check platform.odoo.url and that Odoo is running"
            ) from None
        except httpx.TimeoutException:
            raise OdooNoAnswerError(
                f"no answer from Odoo within {self.read_timeout:g} s ({what}); Odoo may "
                "still have acted on it (platform.odoo.read_timeout)"
            ) from None
        except httpx.TransportError as exc:
            raise OdooNoAnswerError(
                f"the connection to Odoo was lost while waiting for the answer ({what}): "
                f"{self._reason(exc)}; Odoo may still have acted on it"
            ) from None
        except AnswerTooLargeError as exc:  # unread: like no answer, settled by searching
            raise OdooNoAnswerError(
                f"Odoo's answer ({what}): {exc}; Odoo may have acted on it"
            ) from None
        elapsed = int((time.monotonic() - started) * 1000)
        log.debug("odoo %s -> %s in %d ms", what, response.status_code, elapsed)
        if response.is_redirect:
            target = response.headers.get("location", "?")
            raise OdooConnectionError(
                f"Odoo at {self.url} redirects {what} to {target}: set platform.odoo.url "
                "to the address it redirects to (requests are not re-sent to a redirect)"
            )
        return response

    def get(self, url: str, what: str) -> httpx.Response:
        """GET ``url`` (nothing is changed by it); errors as :meth:`post`."""
        try:
            return self._client.get(url)
        except AnswerTooLargeError as exc:
            raise OdooConnectionError(f"Odoo at {self.url} ({what}): {exc}") from None
        except httpx.TransportError as exc:
            raise OdooConnectionError(
                f"cannot reach Odoo at {self.url} ({what}): {self._reason(exc)}; "
                "check platform.odoo.url and that Odoo is running"
            ) from None

    def excerpt(self, response: httpx.Response) -> str:
        """The start of an answer's body, one line, scrubbed (an HTML page by its title)."""
        text = response.text
        title = _TITLE.search(text) if "html" in response.headers.get("content-type", "") else None
        if title is not None:
            return self.scrub(f"an HTML page titled {' '.join(title.group(1).split())!r}")
        text = " ".join(text.split())
        if len(text) > BODY_IN_MESSAGE:
            text = text[:BODY_IN_MESSAGE] + "…"
        return self.scrub(text) or "(empty body)"

    def close(self) -> None:
        self._client.close()

    def _reason(self, exc: Exception) -> str:
        return self.scrub(str(exc) or type(exc).__name__)


def parse_json(response: httpx.Response) -> Any:
    """The body as JSON with exact decimals; ValueError when it is not JSON."""
    return json.loads(response.content, parse_float=Decimal)


def error_message(body: Any) -> str | None:
    """The ``message`` of an Odoo error object (JSON-2 body or JSON-RPC ``error.data``)."""
    message = body.get("message") if isinstance(body, Mapping) else body
    if isinstance(message, str) and message.strip():
        return " ".join(message.split())  # Odoo's messages span lines: one line here
    return None
