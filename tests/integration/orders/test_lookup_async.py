"""Lookup before resend with a supplier that creates orders asynchronously."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import httpx

from irp.orders.cycle import submit_pass
from irp.orders.lookup import fill_placeholders, run_due_lookups
from irp.orders.submit import submit_due
from irp.sandbox.order_api import FlexitOrderApi
from irp.store.db import Database
from tests.fixtures.order_api import MakeOrderApi
from tests.integration.orders.submit_support import (
    add_order,
    attempt_rows,
    flexit_config,
    order_row,
)


def wait_until_visible(api: FlexitOrderApi, number: str, headers: dict[str, str]) -> None:
    """Ask the simulator's lookup endpoint until the order shows (generous deadline)."""
    url = api.lookup_endpoint.format(externalDocumentNumber=number)
    deadline = time.monotonic() + 30
    while httpx.get(url, headers=headers).status_code != 200:
        assert time.monotonic() < deadline, f"{number} never became visible"
        time.sleep(0.1)


def test_first_not_found_of_an_async_supplier_does_not_resend(
    database: Database,
    make_order_api: MakeOrderApi,
    tmp_path: Path,
    flexit_headers: dict[str, str],
) -> None:
    api = make_order_api(async_creation_seconds=1.5)
    # The delay is longer than the supplier takes to create an order, as it must be.
    config = flexit_config(tmp_path, api, lookup_changes={"delay_seconds": 5})
    add_order(database, "5001")
    api.inject("reset_after_create")  # created, but the answer is lost

    submit_due(database, config)
    first_due = order_row(database, "5001")["lookup_next_at"]
    (first,) = run_due_lookups(database, config, now=first_due)  # still being created: 404

    row = order_row(database, "5001")
    assert (first.status, row["lookup_not_found_count"], row["resend_allowed"]) == (
        "uncertain",
        1,
        True,
    )
    assert row["last_error"].startswith("lookup: not found (1 of 2 needed before it is sent again)")
    assert submit_due(database, config, now=first_due) == []  # no resend after one not-found
    assert api.created_count("5001") == 1

    wait_until_visible(api, "5001", flexit_headers)  # the supplier finished creating it
    submit_pass(database, config, None, now=row["lookup_next_at"])

    row = order_row(database, "5001")
    assert (row["status"], row["external_reference"]) == ("submitted", "SO-000001")
    assert api.created_count("5001") == 1
    assert [(a["kind"], a["outcome"]) for a in attempt_rows(database, "5001")] == [
        ("submit", "uncertain"),
        ("lookup", "not_found"),
        ("lookup", "found"),
    ]


def test_a_404_without_the_not_found_marker_is_left_to_an_operator(
    database: Database, make_order_api: MakeOrderApi, tmp_path: Path
) -> None:
    api = make_order_api()
    # A wrong lookup URL: the gateway's 404 carries no ORDER_NOT_FOUND code.
    config = flexit_config(
        tmp_path,
        api,
        lookup_changes={
            "endpoint": api.base_url + "/wrong/{externalDocumentNumber}",
            "not_found": {"asserts": {"status": "in:404", "code": "in:ORDER_NOT_FOUND"}},
        },
    )
    add_order(database, "5001")
    api.inject("500")

    submit_pass(database, config, None)
    later = order_row(database, "5001")["lookup_next_at"] + timedelta(minutes=1)
    for _ in range(3):  # the lookup gives up once; later passes ask nothing more
        submit_pass(database, config, None, now=later)
        later += timedelta(hours=1)

    row = order_row(database, "5001")
    assert (row["status"], row["lookup_next_at"], row["lookup_not_found_count"]) == (
        "uncertain",
        None,
        0,
    )
    assert row["last_error"].startswith(
        "the lookup could not tell whether flexit has it: HTTP 404 matches neither"
    )
    assert api.created_count("5001") == 0
    assert [(a["kind"], a["outcome"]) for a in attempt_rows(database, "5001")] == [
        ("submit", "uncertain"),
        ("lookup", "unknown"),
    ]


def test_placeholders_are_paths_into_the_sent_payload() -> None:
    payload = {"externalDocumentNumber": "A/1 2", "shipping": {"id": 7}}
    url = fill_placeholders("https://x/o/{externalDocumentNumber}/{shipping.id}", payload)
    assert url == "https://x/o/A%2F1%202/7"
