"""The order-endpoint half of ``irp check NAME``: reach it without placing an order.

With ``order.lookup``, the lookup endpoint is asked about a document number that cannot
exist: the refurbisher's not-found answer (``lookup.not_found`` asserts, e.g. FlexIT's
``ORDER_NOT_FOUND`` body) proves the URL and the credentials together. Without a lookup,
a ``GET`` on the order endpoint with the credentials: 401/403 is "authentication
refused", 404 "the endpoint is wrong", anything else shows it is reachable (a 405 for
``GET`` on a POST-only path is the usual answer). Success resumes the refurbisher's
paused submissions (the circuit breaker, :mod:`irp.orders.breaker`).
"""

from __future__ import annotations

import uuid

from irp.config import Refurbisher
from irp.orders.breaker import resume_submissions
from irp.orders.classify import LookupOutcome, classify_exception, classify_lookup
from irp.orders.lookup import PLACEHOLDER
from irp.orders.sender import open_client, send
from irp.store.db import Database

__all__ = ["check_order_endpoint"]


def check_order_endpoint(
    refurbisher: Refurbisher, db: Database | None = None, *, actor: str = "irp check"
) -> tuple[bool, str]:
    """(ok, detail) for ``refurbisher``'s order endpoint; no order is ever sent.

    When ``db`` is given and the check passes, paused submissions are resumed (and the
    detail says so).
    """
    order = refurbisher.order
    if order is None:
        return True, "no order section: nothing to check"
    ok, detail = _probe_lookup(refurbisher) if order.lookup else _probe_endpoint(refurbisher)
    if ok and db is not None and resume_submissions(db, refurbisher.key, actor):
        detail += "; paused submissions resumed"
    return ok, detail


def _probe_lookup(refurbisher: Refurbisher) -> tuple[bool, str]:
    order = refurbisher.order
    assert order is not None and order.lookup is not None
    lookup = order.lookup
    probe_id = f"irp-check-{uuid.uuid4().hex[:12]}"
    url = PLACEHOLDER.sub(probe_id, lookup.endpoint)
    with open_client(order) as client:
        sent = send(client, lookup.method, url, b"{}" if lookup.method == "POST" else None)
    verdict = classify_lookup(
        sent.response,
        sent.error,
        sent.progress,
        found=lookup.found_asserts,
        found_fields=lookup.found.fields,
        not_found=lookup.not_found_asserts,
    )
    status = sent.response.status_code if sent.response is not None else None
    if verdict.outcome in (LookupOutcome.NOT_FOUND, LookupOutcome.FOUND):
        return True, (
            f"order endpoint reachable: the lookup {url} answered {status} "
            f"({verdict.outcome.value}) for a probe document number; credentials accepted"
        )
    return False, _explain(refurbisher.key, "order.lookup", status, verdict.reason)


def _probe_endpoint(refurbisher: Refurbisher) -> tuple[bool, str]:
    order = refurbisher.order
    assert order is not None
    with open_client(order) as client:
        sent = send(client, "GET", order.endpoint)
    if sent.response is None:
        assert sent.error is not None
        reason = classify_exception(sent.error, sent.progress).reason
        return False, f"{refurbisher.key}.order.endpoint {order.endpoint}: {reason}"
    status = sent.response.status_code
    if status in (401, 403):
        return False, _explain(refurbisher.key, "order", status, "authentication refused")
    if status == 404:
        return False, _explain(refurbisher.key, "order", status, "the endpoint is wrong")
    return True, (
        f"order endpoint {order.endpoint} reachable (GET answered {status}); "
        "without order.lookup the credentials can only be proven by a real order"
    )


def _explain(key: str, section: str, status: int | None, reason: str) -> str:
    if status in (401, 403):
        return f"{key}.order.auth: authentication refused (HTTP {status}); check the credentials"
    if status == 404:
        return (
            f"{key}.{section}.endpoint: the endpoint is wrong (HTTP 404 without the "
            "not-found marker); check the URL"
        )
    return f"{key}.{section}: {reason}"
