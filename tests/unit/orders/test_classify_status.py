"""HTTP answers to an order request land in exactly the class SPEC §3 gives them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from irp.orders.classify import (
    LookupOutcome,
    Outcome,
    classify_lookup,
    classify_response,
    parse_body,
    parse_retry_after,
)
from irp.orders.sender import Answer
from irp.template.asserts import AssertRules, compile_asserts

ASSERTS = compile_asserts({"status": "in:201", "OrderNumber": "present|filled"}, path="t")
FIELDS = {"externalOrderReference": "OrderNumber"}
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def answer(status: int, body: object = None, **headers: str) -> httpx.Response:
    content = b"" if body is None else json.dumps(body).encode()
    raw = {name: value.encode() for name, value in headers.items()}  # as sent: UTF-8 bytes
    return httpx.Response(status, content=content, headers=raw)


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
    failures = ASSERTS.check(response.status_code, parse_body(response.content))
    assert result.outcome is Outcome.UNCERTAIN
    assert [f.split(":")[0] for f in failures] == [failure.split(":")[0]]
    assert result.reason == (
        f"HTTP {response.status_code}, but the answer fails the response asserts "
        f"({failures[0]}); the refurbisher may have the order"
    )
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
    assert result.reason == (
        "HTTP 429: the refurbisher is busy or unavailable (Retry-After 42 s); "
        "the order was not taken and will be sent again"
    )


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
    assert result.reason == (
        f"HTTP {status}: the endpoint is wrong; check order.endpoint and order.method"
    )


@pytest.mark.parametrize("status", [408, 409, 500, 502, 504, 507, 301, 302, 303, 307, 308])
def test_maybe_acted_on_is_uncertain(status: int) -> None:
    assert classify(answer(status, Location="https://elsewhere/")) is Outcome.UNCERTAIN


def test_redirect_names_where_it_pointed() -> None:
    result = classify_response(
        answer(301, Location="https://new.example/order"), asserts=ASSERTS, fields=FIELDS
    )
    assert result.reason == (
        "HTTP 301: redirected to https://new.example/order (redirects are not followed for "
        "an order); the refurbisher may have the order; check order.endpoint"
    )


@pytest.mark.parametrize("status", [500, 502, 504])
def test_resend_on_opts_statuses_into_retry(status: int) -> None:
    assert classify(answer(status), resend_on=(500, 502, 504)) is Outcome.RETRY
    assert classify(answer(409), resend_on=(500, 502, 504)) is Outcome.UNCERTAIN


def test_resend_on_never_overrides_asserts_of_a_2xx() -> None:
    assert classify(answer(200, {"OrderNumber": "x"}), resend_on=(200,)) is Outcome.UNCERTAIN


# -- hostile answers: never a crash, always a class with a reason ---------------------

BOUNDED = compile_asserts({"status": "in:201", "total": "numeric|min:1|max:100"}, path="t")


def test_nan_in_a_checked_field_is_refused_not_a_crash() -> None:
    # json.loads accepts NaN; min:/max: then raised decimal.InvalidOperation.
    response = httpx.Response(201, content=b'{"total": NaN, "OrderNumber": "SO-1"}')
    result = classify_response(response, asserts=BOUNDED, fields=FIELDS)
    assert result.outcome is Outcome.UNCERTAIN
    (missing,) = BOUNDED.check(201, None)  # the asserts see no body at all
    assert result.reason == (
        f"HTTP 201, but the answer fails the response asserts ({missing}); "
        "the body is not usable JSON: NaN is not a JSON number; "
        "the refurbisher may have the order"
    )


def test_deeply_nested_answer_is_uncertain_with_the_reason() -> None:
    deep = b'{"OrderNumber": "SO-1", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    result = classify_response(httpx.Response(201, content=deep), asserts=ASSERTS, fields=FIELDS)
    assert result.outcome is Outcome.UNCERTAIN
    (missing,) = ASSERTS.check(201, None)
    assert result.reason == (
        f"HTTP 201, but the answer fails the response asserts ({missing}); "
        "the body is not usable JSON: nested more than 64 levels deep; "
        "the refurbisher may have the order"
    )


@pytest.mark.parametrize(
    ("header", "retry_after", "reason"),
    [
        ("²", None, "HTTP 429: the refurbisher is busy or unavailable; "),
        ("999999999999", 86400.0, "HTTP 429: the refurbisher is busy or unavailable "),
    ],
    ids=["superscript_two", "a_trillion_seconds"],
)
def test_hostile_retry_after_still_means_not_taken(
    header: str, retry_after: float | None, reason: str
) -> None:
    result = classify_response(
        answer(429, **{"Retry-After": header}), asserts=ASSERTS, fields=FIELDS, now=NOW
    )
    assert (result.outcome, result.retry_after) == (Outcome.RETRY, retry_after)
    wait = "(Retry-After 86400 s); " if retry_after else ""
    assert result.reason == reason + wait + "the order was not taken and will be sent again"


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)
BODIES = st.one_of(
    st.binary(max_size=300),
    JSON_VALUES.map(lambda value: json.dumps(value).encode()),  # NaN and Infinity included
    st.integers(min_value=1, max_value=3000).map(lambda n: b"[" * n + b"]" * n),
)
HEADER_VALUES = st.binary(max_size=40).filter(lambda b: b"\n" not in b and b"\r" not in b)


@given(
    status=st.integers(min_value=100, max_value=599),
    body=BODIES,
    retry_after=HEADER_VALUES,
    location=HEADER_VALUES,
)
def test_any_answer_lands_in_one_class(
    status: int, body: bytes, retry_after: bytes, location: bytes
) -> None:
    response = httpx.Response(
        status, content=body, headers={"Retry-After": retry_after, "Location": location}
    )
    for asserts in (ASSERTS, BOUNDED):
        result = classify_response(response, asserts=asserts, fields=FIELDS, now=NOW)
        assert result.outcome in set(Outcome)
        assert result.reason.startswith(f"HTTP {status}")
        assert result.retry_after is None or 0 <= result.retry_after <= 86400
        assert (result.outcome is Outcome.SUBMITTED) == (
            200 <= status < 300 and not failures(asserts, status, body)
        )


def failures(asserts: AssertRules, status: int, body: bytes) -> list[str]:
    return asserts.check(status, parse_body(body))


@given(status=st.integers(min_value=100, max_value=599), body=BODIES, retry_after=HEADER_VALUES)
def test_any_lookup_answer_lands_in_one_class(status: int, body: bytes, retry_after: bytes) -> None:
    found = compile_asserts({"status": "in:200", "OrderNumber": "present|filled"}, path="f")
    not_found = compile_asserts({"status": "in:404"}, path="n")
    response = httpx.Response(status, content=body, headers={"Retry-After": retry_after})
    result = classify_lookup(
        Answer(response, None, request_sent=True),
        found=found,
        found_fields=FIELDS,
        not_found=not_found,
        now=NOW,
    )
    assert result.outcome in set(LookupOutcome)
    assert result.reason.startswith(f"HTTP {status}")
    assert result.retry_after is None or 0 <= result.retry_after <= 86400
