"""The one place that decides what a refurbisher's answer means for an order (SPEC §3).

Every answer to an order request — an HTTP response or a transport exception — falls in
exactly one class, and the class alone decides what happens to the order::

    Outcome
    ├── SUBMITTED      a 2xx whose asserts pass; the body's ``fields`` are kept
    ├── RETRY          certainly not acted on: never connected, request not fully
    │                  sent, 429 (Retry-After honoured), 503, or a status in resend_on
    ├── REJECTED       refused: 400, 422 (and any other 4xx not listed here)
    ├── MISCONFIGURED  401/403 "authentication refused", 404/405/410/501 "the endpoint
    │                  is wrong": the refurbisher's submissions pause
    └── UNCERTAIN      maybe acted on: the request went out and the answer was lost or
                       is not a clear yes or no (timeouts after sending, connection lost
                       while waiting, 408, 409, 500/502/504, any 3xx, other 5xx, a 2xx
                       whose asserts fail). Looked up, never resent blindly.

Whether the request was *fully sent* is what separates a reset we may retry from one
we must not. httpx cannot tell us from the exception alone: httpcore swallows a write
error and then reports the failed read that follows. So the sender passes a
:class:`SendProgress` as the request's ``trace`` extension and hands it to
:func:`classify_exception`; only a request whose body was completely written can have
been acted on.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any

import httpx

from irp.errors import FatalSupplierError, RetriableSupplierError
from irp.template.asserts import AssertRules, extract_fields

__all__ = [
    "Classification",
    "LookupClassification",
    "LookupOutcome",
    "Outcome",
    "SendProgress",
    "classify_exception",
    "classify_lookup",
    "classify_response",
    "parse_body",
    "parse_retry_after",
]

REJECTED_STATUSES = frozenset({400, 422})
AUTH_REFUSED_STATUSES = frozenset({401, 403})
WRONG_ENDPOINT_STATUSES = frozenset({404, 405, 410, 501})
RETRY_STATUSES = frozenset({429, 503})
UNCERTAIN_STATUSES = frozenset({408, 409, 500, 502, 504})


class Outcome(StrEnum):
    """What an answer means for the order; see the module docstring for the classes."""

    SUBMITTED = "submitted"  # accepted: store the reference
    RETRY = "retry"  # certainly not acted on: back to pending with a backoff
    REJECTED = "rejected"  # refused the order itself: the response is kept
    MISCONFIGURED = "misconfigured"  # our settings are wrong: fail and pause the refurbisher
    UNCERTAIN = "uncertain"  # maybe acted on: look it up, never resend blindly


@dataclass(frozen=True)
class Classification:
    """One classified answer: the outcome, why (for the operator), and what it carries."""

    outcome: Outcome
    reason: str
    fields: Mapping[str, object] = field(default_factory=dict)
    retry_after: float | None = None  # seconds, for RETRY when the refurbisher said so


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


def parse_body(content: bytes) -> object:
    """The JSON body, or None when it is empty or not JSON (asserts then see no fields)."""
    if not content:
        return None
    try:
        return json.loads(content)
    except ValueError:
        return None


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP-date).

    >>> parse_retry_after("120", datetime(2025, 1, 1, tzinfo=UTC))
    120.0
    >>> parse_retry_after("Wed, 01 Jan 2025 00:01:00 GMT", datetime(2025, 1, 1, tzinfo=UTC))
    60.0

    A date in the past gives 0; an unreadable value gives None (the backoff applies).
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - now).total_seconds(), 0.0)


def classify_response(
    response: httpx.Response,
    *,
    asserts: AssertRules,
    fields: Mapping[str, str],
    resend_on: Collection[int] = (),
    now: datetime | None = None,
) -> Classification:
    """Classify an HTTP answer to an order request (its body must have been read)."""
    status = response.status_code
    if 200 <= status < 300:
        body = parse_body(response.content)
        failures = asserts.check(status, body)
        if failures:
            return Classification(
                Outcome.UNCERTAIN,
                f"HTTP {status}, but the answer fails the response asserts "
                f"({'; '.join(failures)}); the refurbisher may have the order",
            )
        return Classification(Outcome.SUBMITTED, f"HTTP {status}", extract_fields(fields, body))
    if status in resend_on:
        return Classification(
            Outcome.RETRY, f"HTTP {status}; order.resend_on lists it, so it is sent again"
        )
    if status in RETRY_STATUSES:
        retry_after = parse_retry_after(
            response.headers.get("Retry-After"), now or datetime.now(UTC)
        )
        wait = f" (Retry-After {retry_after:g} s)" if retry_after is not None else ""
        return Classification(
            Outcome.RETRY,
            f"HTTP {status}: the refurbisher is busy or unavailable{wait}; "
            "the order was not taken and will be sent again",
            retry_after=retry_after,
        )
    if status in REJECTED_STATUSES:
        return Classification(Outcome.REJECTED, f"HTTP {status}: the refurbisher refused the order")
    if status in AUTH_REFUSED_STATUSES:
        return Classification(
            Outcome.MISCONFIGURED,
            f"HTTP {status}: authentication refused; check order.auth",
        )
    if status in WRONG_ENDPOINT_STATUSES:
        return Classification(
            Outcome.MISCONFIGURED,
            f"HTTP {status}: the endpoint is wrong; check order.endpoint and order.method",
        )
    if 300 <= status < 400:
        location = response.headers.get("Location")
        where = f" to {location}" if location else ""
        return Classification(
            Outcome.UNCERTAIN,
            f"HTTP {status}: redirected{where} (redirects are not followed for an order); "
            "the refurbisher may have the order; check order.endpoint",
        )
    if status in UNCERTAIN_STATUSES or status >= 500:
        return Classification(
            Outcome.UNCERTAIN,
            f"HTTP {status}: the refurbisher may have the order",
        )
    if 400 <= status < 500:
        return Classification(Outcome.REJECTED, f"HTTP {status}: the refurbisher refused the order")
    return Classification(
        Outcome.UNCERTAIN,
        f"HTTP {status}: an unexpected answer; the refurbisher may have the order",
    )


def classify_exception(exc: Exception, progress: SendProgress) -> Classification:
    """Classify a failure to get an answer; ``progress`` is the request's trace.

    Never connected, or the request not completely written -> RETRY. Once the whole
    request went out, any lost answer (read timeout, reset, the server closing the
    connection) -> UNCERTAIN. Errors the auth flow raises (an OAuth2 token endpoint
    failing) happen before the order is sent and keep their own class.
    """
    if isinstance(exc, RetriableSupplierError):
        return Classification(Outcome.RETRY, str(exc), retry_after=exc.retry_after)
    if isinstance(exc, FatalSupplierError):
        return Classification(Outcome.MISCONFIGURED, str(exc))
    what = _describe(exc)
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return Classification(Outcome.RETRY, f"could not connect ({what}); the order was not sent")
    if isinstance(exc, httpx.TransportError) and not progress.request_sent:
        return Classification(
            Outcome.RETRY,
            f"the connection failed before the order was fully sent ({what}); "
            "it will be sent again",
        )
    if isinstance(exc, httpx.TimeoutException):
        return Classification(
            Outcome.UNCERTAIN,
            f"no answer within the read timeout after the order was sent ({what}); "
            "the refurbisher may have the order",
        )
    return Classification(
        Outcome.UNCERTAIN,
        f"the connection was lost while waiting for the answer ({what}); "
        "the refurbisher may have the order",
    )


class LookupOutcome(StrEnum):
    """What the refurbisher said when asked about an uncertain order."""

    FOUND = "found"  # lookup.found asserts pass: it has the order
    NOT_FOUND = "not_found"  # lookup.not_found asserts pass: a definite "no such order"
    RETRY = "retry"  # could not ask (never connected, 429, 503): ask again later
    UNKNOWN = "unknown"  # anything else: left to an operator


@dataclass(frozen=True)
class LookupClassification:
    """One classified lookup answer, with the reason and the found ``fields``."""

    outcome: LookupOutcome
    reason: str
    fields: Mapping[str, object] = field(default_factory=dict)
    retry_after: float | None = None


def classify_lookup(
    response: httpx.Response | None,
    error: Exception | None,
    progress: SendProgress,
    *,
    found: AssertRules,
    found_fields: Mapping[str, str],
    not_found: AssertRules,
    now: datetime | None = None,
) -> LookupClassification:
    """Classify the answer to a lookup; ``found`` is tried first, then ``not_found``.

    A not-found counts only when the ``not_found`` asserts pass — a gateway's 404 for a
    wrong URL must not look like "the refurbisher never got the order".
    """
    if response is None:
        failure = classify_exception(error or RuntimeError("no answer"), progress)
        kind = LookupOutcome.RETRY if failure.outcome is Outcome.RETRY else LookupOutcome.UNKNOWN
        return LookupClassification(kind, failure.reason, retry_after=failure.retry_after)
    status = response.status_code
    body = parse_body(response.content)
    if not found.check(status, body):
        fields = extract_fields(found_fields, body)
        return LookupClassification(LookupOutcome.FOUND, f"HTTP {status}: found", fields)
    if not not_found.check(status, body):
        return LookupClassification(LookupOutcome.NOT_FOUND, f"HTTP {status}: not found")
    if status in RETRY_STATUSES:
        retry_after = parse_retry_after(
            response.headers.get("Retry-After"), now or datetime.now(UTC)
        )
        return LookupClassification(
            LookupOutcome.RETRY, f"HTTP {status}: busy or unavailable", retry_after=retry_after
        )
    failures = "; ".join(found.check(status, body) + not_found.check(status, body))
    return LookupClassification(
        LookupOutcome.UNKNOWN,
        f"HTTP {status} matches neither lookup.found nor lookup.not_found ({failures})",
    )


def _describe(exc: Exception) -> str:
    text = str(exc).strip()
    name = type(exc).__name__
    return f"{name}: {text}" if text else name
