"""Every fault of the FlexIT simulator, through real sockets and a real database.

For each fault: the final state, how many orders the simulator created for the id
(never two), and what the operator sees: last_error, the attempt rows, and what
`irp orders show` prints (text and --json).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from irp.orders.submit import submit_due
from irp.sandbox.order_api import FlexitOrderApi
from irp.store.db import Database
from tests.integration.orders.submit_support import (
    add_order,
    attempt_rows,
    drive,
    flexit_config,
    order_row,
    shown,
)

FAST = {"read_timeout": 0.5, "connect_timeout": 2}


@dataclass(frozen=True)
class Case:
    fault: str
    params: dict[str, Any] = field(default_factory=dict)
    created: bool = False  # does the simulator create the order on this fault?


def posts(api: FlexitOrderApi) -> int:
    return sum(1 for r in api.requests if r.method == "POST" and r.path == "/order/api/order")


# -- without a lookup: the first answer decides --------------------------------------

UNCERTAIN_WITHOUT_LOOKUP = [
    (Case("500"), 500, "HTTP 500: the refurbisher may have the order"),
    (Case("409"), 409, "HTTP 409: the refurbisher may have the order"),
    (Case("reset_before_create"), None, "the connection was lost while waiting for the answer"),
    (Case("reset_after_create", created=True), None, "the connection was lost while waiting"),
    (
        Case("timeout_after_create", {"seconds": 2}, created=True),
        None,
        "no answer within the read timeout after the order was sent",
    ),
    (
        Case("201_without_order_number", created=True),
        201,
        "HTTP 201, but the answer fails the response asserts (OrderNumber",
    ),
    (
        Case("200_instead_of_201", created=True),
        200,
        "HTTP 200, but the answer fails the response asserts (status: 200",
    ),
    (Case("non_json", created=True), 201, "HTTP 201, but the answer fails the response asserts"),
    # Hostile JSON crashed the submitter before (RecursionError; NaN into min:/max:).
    (
        Case("raw_body", {"body": '{"OrderNumber": ' + "[" * 50_000 + "]" * 50_000 + "}"}, True),
        201,
        "HTTP 201, but the answer fails the response asserts (OrderNumber: present but "
        "missing); the body is not usable JSON: nested more than 64 levels deep; the "
        "refurbisher may have the order",
    ),
    (
        Case("raw_body", {"body": '{"OrderNumber": NaN}'}, True),
        201,
        "HTTP 201, but the answer fails the response asserts (OrderNumber: present but "
        "missing); the body is not usable JSON: NaN is not a JSON number; the refurbisher "
        "may have the order",
    ),
]


# The state rules are the same on both backends (the lookup matrix below runs on both).
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("case", "status_code", "reason"),
    UNCERTAIN_WITHOUT_LOOKUP,
    ids=[
        c[0].fault + ("_nan" if "NaN" in str(c[0].params) else "") for c in UNCERTAIN_WITHOUT_LOOKUP
    ],
)
def test_maybe_acted_on_without_lookup_waits_for_an_operator(
    database: Database,
    order_api: FlexitOrderApi,
    tmp_path: Path,
    case: Case,
    status_code: int | None,
    reason: str,
) -> None:
    config = flexit_config(tmp_path, order_api, lookup=False, **FAST)
    add_order(database, "5001")
    order_api.inject(case.fault, **case.params)

    first = submit_due(database, config)
    again = submit_due(database, config)  # nothing is due: never resent blindly

    row = order_row(database, "5001")
    assert [r.status for r in first] == ["uncertain"] and again == []
    assert row["status"] == "uncertain"
    assert order_api.created_count("5001") == (1 if case.created else 0)
    assert posts(order_api) == 1
    assert row["last_error"].startswith(reason)
    assert row["last_error"].endswith(
        "check with flexit, then `irp orders resolve 5001` with --external-ref REF, "
        "--resend --confirm-absent, or --cancel"
    )
    (attempt,) = attempt_rows(database, "5001")
    assert (attempt["kind"], attempt["outcome"], attempt["status_code"]) == (
        "submit",
        "uncertain",
        status_code,
    )
    assert attempt["request_payload"]["externalDocumentNumber"] == "5001"
    assert row["lease_owner"] is None and row["lease_until"] is None
    seen = shown(config, database, "5001")
    assert seen.headline == "5001  flexit  status uncertain  reference -  order number IU-5001"
    assert seen.advice == (
        "The refurbisher may have this order: it must not be sent again blindly. Check their "
        "portal for document number 5001, then: irp orders resolve 5001 --external-ref REF | "
        "--resend --confirm-absent | --cancel"
    )
    document = seen.document
    assert (document["status"], document["external_reference"]) == ("uncertain", None)
    assert [(a["kind"], a["outcome"]) for a in document["attempts"]] == [("submit", "uncertain")]


# -- with the lookup (examples/flexit.json): every maybe ends submitted, exactly once --


MAYBE = [case for case, _, _ in UNCERTAIN_WITHOUT_LOOKUP]


@pytest.mark.parametrize(
    "case", MAYBE, ids=[c.fault + ("_nan" if "NaN" in str(c.params) else "") for c in MAYBE]
)
def test_maybe_acted_on_with_lookup_ends_submitted_exactly_once(
    database: Database, order_api: FlexitOrderApi, tmp_path: Path, case: Case
) -> None:
    config = flexit_config(tmp_path, order_api, **FAST)
    add_order(database, "5001")
    order_api.inject(case.fault, **case.params)

    row = drive(database, config, "5001")

    assert row["status"] == "submitted"
    assert order_api.created_count("5001") == 1
    assert row["external_reference"] == order_api.orders[0]["order_number"]
    seen = shown(config, database, "5001")
    reference = order_api.orders[0]["order_number"]
    assert seen.advice == (
        f"The refurbisher accepted it as {reference}. Nothing to do; it becomes shipped when "
        "the shipment arrives."
    )
    document = seen.document
    assert (document["status"], document["external_reference"]) == ("submitted", reference)
    assert document["actions"] == []  # settled without an operator step
    assert row["last_error"] is None
    outcomes = [(a["kind"], a["outcome"]) for a in attempt_rows(database, "5001")]
    if case.created:  # found by the first lookup
        assert outcomes == [("submit", "uncertain"), ("lookup", "found")]
        assert posts(order_api) == 1
    else:  # two definite not-founds, then the one automatic resend
        assert outcomes == [
            ("submit", "uncertain"),
            ("lookup", "not_found"),
            ("lookup", "not_found"),
            ("submit", "submitted"),
        ]
        assert posts(order_api) == 2


# -- certainly not acted on: retried with a backoff ----------------------------------


BUSY = "the refurbisher is busy or unavailable"
NOT_TAKEN = "the order was not taken and will be sent again"


@pytest.mark.parametrize(
    ("fault", "params", "wait", "reason"),
    [
        ("503", {}, None, f"HTTP 503: {BUSY}; {NOT_TAKEN}"),
        ("429", {"retry_after": 120}, 120.0, f"HTTP 429: {BUSY} (Retry-After 120 s); {NOT_TAKEN}"),
        # str.isdigit() accepted "²" and float("²") raised: the order stayed submitting.
        ("429", {"retry_after": "²"}, None, f"HTTP 429: {BUSY}; {NOT_TAKEN}"),
        # now + timedelta(seconds=999999999999) raised OverflowError: capped at a day.
        (
            "429",
            {"retry_after": "999999999999"},
            86400.0,
            f"HTTP 429: {BUSY} (Retry-After 86400 s); {NOT_TAKEN}",
        ),
    ],
    ids=["503", "429_retry_after", "429_superscript_two", "429_a_trillion_seconds"],
)
def test_busy_refurbisher_is_retried_after_the_backoff(
    database: Database,
    order_api: FlexitOrderApi,
    tmp_path: Path,
    fault: str,
    params: dict[str, Any],
    wait: float | None,
    reason: str,
) -> None:
    config = flexit_config(tmp_path, order_api, **FAST)
    add_order(database, "5001")
    order_api.inject(fault, **params)
    before = database.now()

    (first,) = submit_due(database, config)

    after = database.now()
    row = order_row(database, "5001")
    due = row["next_attempt_at"]
    assert (first.status, first.attempts) == ("pending", 1)
    if wait is None:  # the backoff: 30 s with jitter in [0.5, 1)
        assert before + timedelta(seconds=15) <= due < after + timedelta(seconds=30)
    else:  # the refurbisher's Retry-After, never more than a day
        assert before + timedelta(seconds=wait) <= due <= after + timedelta(seconds=wait)
    next_at = due.isoformat(timespec="seconds")
    assert row["last_error"] == f"attempt 1 of 8: {reason}; next attempt at {next_at}"
    assert submit_due(database, config) == []  # not due yet
    assert order_api.created_count("5001") == 0
    seen = shown(config, database, "5001")
    assert seen.advice == (
        f"Waiting to be sent (attempt 2), due {next_at}. `irp orders submit` (or irp serve) "
        "sends due orders; to send it now: irp orders retry 5001"
    )
    assert [a["outcome"] for a in seen.document["attempts"]] == ["retry"]

    (second,) = submit_due(database, config, now=due)
    assert (second.status, second.attempts, second.error) == ("submitted", 2, None)
    assert order_api.created_count("5001") == 1
    assert [a["outcome"] for a in attempt_rows(database, "5001")] == ["retry", "submitted"]


def test_retries_stop_at_max_attempts_and_fail(
    database: Database, order_api: FlexitOrderApi, tmp_path: Path
) -> None:
    config = flexit_config(tmp_path, order_api, max_attempts=3, **FAST)
    add_order(database, "5001")
    order_api.inject("503", times=3)
    start = database.now()

    for day in (1, 2, 3):  # each pass a day later: past any backoff
        submit_due(database, config, now=start + timedelta(days=day))

    row = order_row(database, "5001")
    assert (row["status"], row["attempts"]) == ("failed", 3)
    error = (
        f"gave up after 3 attempts (order.max_attempts); last: HTTP 503: {BUSY}; {NOT_TAKEN}. "
        "`irp orders retry 5001` sends it again"
    )
    assert row["last_error"] == error
    assert order_api.created_count("5001") == 0
    assert [a["outcome"] for a in attempt_rows(database, "5001")] == ["retry"] * 3
    seen = shown(config, database, "5001")
    assert seen.advice == (
        f"Never accepted by the refurbisher: {error}. The refurbisher did not act on it. Fix "
        "the cause (credentials, endpoint, the refurbisher's outage), then: irp orders retry "
        "5001 (or irp orders resolve 5001 --cancel)"
    )
    assert seen.document["status"] == "failed"


def test_refused_order_is_rejected_with_the_response_kept(
    database: Database, order_api: FlexitOrderApi, tmp_path: Path
) -> None:
    config = flexit_config(tmp_path, order_api, **FAST)
    add_order(database, "5001")
    order_api.inject("422")

    (result,) = submit_due(database, config)

    (attempt,) = attempt_rows(database, "5001")
    body = attempt["response_body"]
    assert json.loads(body) == {"errors": [{"field": "", "message": "refused (injected fault)"}]}
    assert (attempt["status_code"], attempt["outcome"]) == (422, "rejected")
    error = f"HTTP 422: the refurbisher refused the order: {body}"
    assert (result.status, result.error) == ("rejected", error)
    assert order_api.created_count("5001") == 0
    assert submit_due(database, config) == []
    seen = shown(config, database, "5001")
    assert seen.advice == (
        f"The refurbisher refused it ({error}); the response is in the last attempt. Fix the "
        "data or the config, then: irp orders retry 5001; or tell the marketplace and: irp "
        "orders resolve 5001 --cancel"
    )
    assert seen.document["attempts"][0]["status_code"] == 422


def test_slow_answer_within_the_read_timeout_is_submitted(
    database: Database, order_api: FlexitOrderApi, tmp_path: Path
) -> None:
    config = flexit_config(tmp_path, order_api, read_timeout=2)
    add_order(database, "5001")
    order_api.inject("slow", seconds=0.3)

    (result,) = submit_due(database, config)

    assert (result.status, result.external_reference, result.attempts) == (
        "submitted",
        "SO-000001",
        1,
    )
    assert order_api.created_count("5001") == 1
    (attempt,) = attempt_rows(database, "5001")
    assert attempt["duration_ms"] >= 300
    assert attempt["status_code"] == 201


def test_stored_attempt_never_holds_the_credentials(
    database: Database, order_api: FlexitOrderApi, tmp_path: Path
) -> None:
    config = flexit_config(tmp_path, order_api)
    add_order(database, "5001")
    submit_due(database, config)
    (attempt,) = attempt_rows(database, "5001")
    stored = repr(attempt)
    assert "sandbox-client-secret" not in stored and "sandbox-client-id" not in stored
    assert attempt["config_hash"] == config.hash
