"""The order-endpoint half of ``irp check NAME``: reach it without placing an order.

With ``order.lookup``, the lookup endpoint is asked about a document number that cannot
exist: the refurbisher's not-found answer (``lookup.not_found`` asserts, e.g. FlexIT's
``ORDER_NOT_FOUND`` body) proves the URL and the credentials together. Without a lookup,
a ``GET`` on the order endpoint with the credentials: 401/403 is "authentication
refused", 404 "the endpoint is wrong", anything else shows it is reachable (a 405 for
``GET`` on a POST-only path is the usual answer). Both answers are classified by
:mod:`irp.orders.classify`. Success resumes the refurbisher's paused submissions (the
circuit breaker, :mod:`irp.orders.breaker`).
"""

from __future__ import annotations

import uuid

from irp.config import Refurbisher
from irp.orders.breaker import resume_submissions
from irp.orders.classify import LookupOutcome, classify_exception, classify_lookup, probe_problem
from irp.orders.lookup import PLACEHOLDER
from irp.orders.sender import HttpSender, Request, SenderFactory
from irp.store.db import Database

__all__ = ["check_order_endpoint"]


def check_order_endpoint(
    refurbisher: Refurbisher,
    db: Database | None = None,
    *,
    actor: str = "irp check",
    open_sender: SenderFactory = HttpSender,
) -> tuple[bool, str]:
    """(ok, detail) for ``refurbisher``'s order endpoint; no order is ever sent.

    When ``db`` is given and the check passes, paused submissions are resumed (and the
    detail says so).
    """
    order = refurbisher.order
    if order is None:
        return True, "no order section: nothing to check"
    probe = _probe_lookup if order.lookup else _probe_endpoint
    ok, detail = probe(refurbisher, open_sender)
    if ok and db is not None and resume_submissions(db, refurbisher.key, actor):
        detail += "; paused submissions resumed"
    return ok, detail


def _probe_lookup(refurbisher: Refurbisher, open_sender: SenderFactory) -> tuple[bool, str]:
    order = refurbisher.order
    assert order is not None and order.lookup is not None
    lookup = order.lookup
    probe_id = f"irp-check-{uuid.uuid4().hex[:12]}"
    url = PLACEHOLDER.sub(probe_id, lookup.endpoint)
    body = b"{}" if lookup.method == "POST" else None
    sender = open_sender(order)
    try:
        answer = sender.send(Request(lookup.method, url, body))
    finally:
        sender.close()
    verdict = classify_lookup(
        answer,
        found=lookup.found_asserts,
        found_fields=lookup.found.fields,
        not_found=lookup.not_found_asserts,
    )
    status = answer.response.status_code if answer.response is not None else None
    if verdict.outcome in (LookupOutcome.NOT_FOUND, LookupOutcome.FOUND):
        return True, (
            f"order endpoint reachable: the lookup {url} answered {status} "
            f"({verdict.outcome.value}) for a probe document number; credentials accepted"
        )
    return False, _explain(refurbisher.key, "order.lookup", status, verdict.reason)


def _probe_endpoint(refurbisher: Refurbisher, open_sender: SenderFactory) -> tuple[bool, str]:
    order = refurbisher.order
    assert order is not None
    sender = open_sender(order)
    try:
        answer = sender.send(Request("GET", order.endpoint))
    finally:
        sender.close()
    if answer.response is None:
        reason = classify_exception(answer.failure(), request_sent=answer.request_sent).reason
        return False, f"{refurbisher.key}.order.endpoint {order.endpoint}: {reason}"
    status = answer.response.status_code
    problem = probe_problem(status)
    if problem is not None:
        return False, _explain(refurbisher.key, "order", status, problem)
    return True, (
        f"order endpoint {order.endpoint} reachable (GET answered {status}); "
        "without order.lookup the credentials can only be proven by a real order"
    )


def _explain(key: str, section: str, status: int | None, reason: str) -> str:
    if status in (401, 403):
        return f"{key}.order.auth: authentication refused (HTTP {status}); check the credentials"
    if status in (404, 410):
        return (
            f"{key}.{section}.endpoint: the endpoint is wrong (HTTP {status} without the "
            "not-found marker); check the URL"
        )
    return f"{key}.{section}: {reason}"
