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
we must not; the sender records it on the :class:`~irp.orders.sender.Answer`
(``request_sent``). Lookups (:func:`classify_lookup`) and ``irp check``'s probe
(:func:`probe_problem`) are classified here too, from the same status classes.

Nothing a refurbisher sends can make these functions raise: a ``Retry-After`` of "²" or
of a trillion seconds, a body nested 100,000 levels deep or holding ``NaN`` all land in
a class with a reason an operator can read.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

import httpx

from irp import strictjson
from irp.errors import FatalSupplierError, RetriableSupplierError, UncertainDeliveryError
from irp.orders.retry_after import RETRY_AFTER_CAP_SECONDS, parse_retry_after
from irp.orders.sender import Answer
from irp.strictjson import JsonRefused
from irp.template.asserts import AssertRules, extract_fields

__all__ = [
    "RETRY_AFTER_CAP_SECONDS",
    "Body",
    "Classification",
    "LookupClassification",
    "LookupOutcome",
    "Outcome",
    "classify_answer",
    "classify_exception",
    "classify_lookup",
    "classify_response",
    "parse_body",
    "parse_retry_after",
    "probe_problem",
    "read_body",
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


@dataclass(frozen=True)
class Body:
    """A response body as the asserts see it: parsed JSON, or None and why not."""

    value: object
    problem: str | None = None  # set when the body looked like JSON IRP refuses to read

    def explain(self, reason: str) -> str:
        """``reason``, followed by why the body could not be read when it could not."""
        return f"{reason}; the body is not usable JSON: {self.problem}" if self.problem else reason


def parse_body(content: bytes) -> object:
    """The JSON body, or None when it is empty, not JSON, or JSON IRP refuses to read."""
    return read_body(content).value


def read_body(content: bytes) -> Body:
    """The JSON body; None when it is empty or not JSON (asserts then see no fields).

    JSON that IRP refuses — nested deeper than :data:`irp.strictjson.MAX_DEPTH`, or
    holding ``NaN``/``Infinity``/a number too large for a float — is None too, with the
    reason in :attr:`Body.problem`, so the refurbisher's answer can never crash the
    check (``min:`` on a NaN, a recursion limit).
    """
    if not content:
        return Body(None)
    try:
        return Body(strictjson.loads(content))
    except JsonRefused as exc:
        return Body(None, str(exc))
    except ValueError:  # not JSON at all (HTML, text): the asserts say what is missing
        return Body(None)


def classify_answer(
    answer: Answer,
    *,
    asserts: AssertRules,
    fields: Mapping[str, str],
    resend_on: Collection[int] = (),
    now: datetime | None = None,
) -> Classification:
    """Classify what one order request brought back: a response or a transport error."""
    if answer.response is None:
        return classify_exception(answer.failure(), request_sent=answer.request_sent)
    return classify_response(
        answer.response, asserts=asserts, fields=fields, resend_on=resend_on, now=now
    )


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
        body = read_body(response.content)
        failures = asserts.check(status, body.value)
        if failures:
            return Classification(
                Outcome.UNCERTAIN,
                body.explain(
                    f"HTTP {status}, but the answer fails the response asserts "
                    f"({'; '.join(failures)})"
                )
                + "; the refurbisher may have the order",
            )
        return Classification(
            Outcome.SUBMITTED, f"HTTP {status}", extract_fields(fields, body.value)
        )
    if status in resend_on:
        return Classification(
            Outcome.RETRY, f"HTTP {status}; order.resend_on lists it, so it is sent again"
        )
    if status in RETRY_STATUSES:
        retry_after = _retry_after(response, now)
        wait = f" (Retry-After {retry_after:g} s)" if retry_after is not None else ""
        return Classification(
            Outcome.RETRY,
            f"HTTP {status}: the refurbisher is busy or unavailable{wait}; "
            "the order was not taken and will be sent again",
            retry_after=retry_after,
        )
    if status in REJECTED_STATUSES:
        return Classification(Outcome.REJECTED, f"HTTP {status}: the refurbisher refused the order")
    wrong = _misconfiguration(status)
    if wrong is not None:
        return Classification(Outcome.MISCONFIGURED, f"HTTP {status}: {wrong}")
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


def _misconfiguration(status: int) -> str | None:
    if status in AUTH_REFUSED_STATUSES:
        return "authentication refused; check order.auth"
    if status in WRONG_ENDPOINT_STATUSES:
        return "the endpoint is wrong; check order.endpoint and order.method"
    return None


def _retry_after(response: httpx.Response, now: datetime | None) -> float | None:
    return parse_retry_after(response.headers.get("Retry-After"), now or datetime.now(UTC))


def classify_exception(exc: Exception, *, request_sent: bool) -> Classification:
    """Classify a failure to get an answer; ``request_sent``: the body was fully written.

    Never connected, or the request not completely written -> RETRY. Once the whole
    request went out, any lost answer (read timeout, reset, the server closing the
    connection, a body that cannot be decoded) -> UNCERTAIN. Errors the auth flow
    raises (an OAuth2 token endpoint failing) happen before the order is sent and keep
    their own class.
    """
    if isinstance(exc, RetriableSupplierError):
        return Classification(Outcome.RETRY, str(exc), retry_after=exc.retry_after)
    if isinstance(exc, FatalSupplierError):
        return Classification(Outcome.MISCONFIGURED, str(exc))
    if isinstance(exc, UncertainDeliveryError):
        return Classification(Outcome.UNCERTAIN, str(exc))
    what = _describe(exc)
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return Classification(Outcome.RETRY, f"could not connect ({what}); the order was not sent")
    if isinstance(exc, httpx.TransportError) and not request_sent:
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
    answer: Answer,
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
    response = answer.response
    if response is None:
        failure = classify_exception(answer.failure(), request_sent=answer.request_sent)
        kind = LookupOutcome.RETRY if failure.outcome is Outcome.RETRY else LookupOutcome.UNKNOWN
        return LookupClassification(kind, failure.reason, retry_after=failure.retry_after)
    status = response.status_code
    body = read_body(response.content)
    if not found.check(status, body.value):
        fields = extract_fields(found_fields, body.value)
        return LookupClassification(LookupOutcome.FOUND, f"HTTP {status}: found", fields)
    if not not_found.check(status, body.value):
        return LookupClassification(LookupOutcome.NOT_FOUND, f"HTTP {status}: not found")
    if status in RETRY_STATUSES:
        return LookupClassification(
            LookupOutcome.RETRY,
            f"HTTP {status}: busy or unavailable",
            retry_after=_retry_after(response, now),
        )
    failures = "; ".join(found.check(status, body.value) + not_found.check(status, body.value))
    return LookupClassification(
        LookupOutcome.UNKNOWN,
        body.explain(
            f"HTTP {status} matches neither lookup.found nor lookup.not_found ({failures})"
        ),
    )


def probe_problem(status: int) -> str | None:
    """What a ``GET`` on the order endpoint says is wrong (``irp check``), or None.

    The same classes as an order's answer, read for a probe: 401/403 is "authentication
    refused", 404/410 "the endpoint is wrong". A 405 or 501 is the usual answer of a
    POST-only path to a GET and proves it exists.
    """
    if status in AUTH_REFUSED_STATUSES:
        return "authentication refused"
    if status in WRONG_ENDPOINT_STATUSES - {405, 501}:
        return "the endpoint is wrong"
    return None


def _describe(exc: Exception) -> str:
    text = str(exc).strip()
    name = type(exc).__name__
    return f"{name}: {text}" if text else name
