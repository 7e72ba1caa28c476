"""HTTP answers to an order request land in exactly the class SPEC §3 gives them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest

from irp.orders.classify import Outcome, classify_response, parse_retry_after
from irp.template.asserts import compile_asserts

ASSERTS = compile_asserts({"status": "in:201", "OrderNumber": "present|filled"}, path="t")
FIELDS = {"externalOrderReference": "OrderNumber"}
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def answer(status: int, body: object = None, **headers: str) -> httpx.Response:
    content = b"" if body is None else json.dumps(body).encode()
    return httpx.Response(status, content=content, headers=headers)


def classify(response: httpx.Response, resend_on: tuple[int, ...] = ()) -> Outcome:
    result = classify_response(
        response, asserts=ASSERTS, fields=FIELDS, resend_on=resend_on, now=NOW
    )
    return result.outcome


def test_created_with_an_order_number_is_submitted_with_its_fields() -> None:
    result = classify_response(
        answer(201, {"OrderNumber": "SO-000001", "Status": "Open"}),
        asserts=ASSERTS,
        fields=FIELDS,
    )
    assert result.outcome is Outcome.SUBMITTED
    assert dict(result.fields) == {"externalOrderReference": "SO-000001"}


@pytest.mark.parametrize(
    ("response", "failure"),
    [
        (answer(200, {"OrderNumber": "SO-1"}), "status: 200"),
        (answer(201, {}), "OrderNumber"),
        (answer(201, {"OrderNumber": None}), "OrderNumber"),
        (httpx.Response(201, content=b"<html>ok</html>"), "OrderNumber"),
    ],
    ids=["200_instead_of_201", "no_order_number", "null_order_number", "not_json"],
)
def test_2xx_failing_the_asserts_is_uncertain(response: httpx.Response, failure: str) -> None:
    result = classify_response(response, asserts=ASSERTS, fields=FIELDS)
    assert result.outcome is Outcome.UNCERTAIN
    assert result.reason.startswith(f"HTTP {response.status_code}, but the answer fails")
    assert failure in result.reason
    assert dict(result.fields) == {}


@pytest.mark.parametrize("status", [503, 429])
def test_busy_or_unavailable_is_retried(status: int) -> None:
    assert classify(answer(status)) is Outcome.RETRY


def test_retry_after_seconds_are_honoured() -> None:
    result = classify_response(
        answer(429, {"error": "slow down"}, **{"Retry-After": "42"}),
        asserts=ASSERTS,
        fields=FIELDS,
        now=NOW,
    )
    assert (result.outcome, result.retry_after) == (Outcome.RETRY, 42.0)
    assert "(Retry-After 42 s)" in result.reason


def test_retry_after_http_date_is_honoured() -> None:
    date = "Sun, 01 Jun 2025 12:05:00 GMT"
    result = classify_response(
        answer(503, **{"Retry-After": date}), asserts=ASSERTS, fields=FIELDS, now=NOW
    )
    assert (result.outcome, result.retry_after) == (Outcome.RETRY, 300.0)


def test_retry_after_parsing_edge_cases() -> None:
    assert parse_retry_after(None, NOW) is None
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after("Sun, 01 Jun 2025 11:00:00 GMT", NOW) == 0.0
    assert parse_retry_after(" 5 ", NOW) == 5.0


@pytest.mark.parametrize("status", [400, 422, 413])
def test_refused_orders_are_rejected(status: int) -> None:
    assert classify(answer(status, {"errors": []})) is Outcome.REJECTED


@pytest.mark.parametrize("status", [401, 403])
def test_authentication_refused_is_misconfigured(status: int) -> None:
    result = classify_response(answer(status), asserts=ASSERTS, fields=FIELDS)
    assert result.outcome is Outcome.MISCONFIGURED
    assert result.reason == f"HTTP {status}: authentication refused; check order.auth"


@pytest.mark.parametrize("status", [404, 405, 410, 501])
def test_wrong_endpoint_is_misconfigured(status: int) -> None:
    result = classify_response(answer(status), asserts=ASSERTS, fields=FIELDS)
    assert result.outcome is Outcome.MISCONFIGURED
    assert "the endpoint is wrong" in result.reason


@pytest.mark.parametrize("status", [408, 409, 500, 502, 504, 507, 301, 302, 303, 307, 308])
def test_maybe_acted_on_is_uncertain(status: int) -> None:
    assert classify(answer(status, Location="https://elsewhere/")) is Outcome.UNCERTAIN


def test_redirect_names_where_it_pointed() -> None:
    result = classify_response(
        answer(301, Location="https://new.example/order"), asserts=ASSERTS, fields=FIELDS
    )
    assert "redirected to https://new.example/order" in result.reason


@pytest.mark.parametrize("status", [500, 502, 504])
def test_resend_on_opts_statuses_into_retry(status: int) -> None:
    assert classify(answer(status), resend_on=(500, 502, 504)) is Outcome.RETRY
    assert classify(answer(409), resend_on=(500, 502, 504)) is Outcome.UNCERTAIN


def test_resend_on_never_overrides_asserts_of_a_2xx() -> None:
    assert classify(answer(200, {"OrderNumber": "x"}), resend_on=(200,)) is Outcome.UNCERTAIN
