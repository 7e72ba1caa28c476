"""``irp orders submit``: exit 0 when orders are sent or wait for a retry, 1 when one needs
an operator; and one name, ``attempts``, for the attempt count in every JSON output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from irp.cli.app import app
from irp.config import Config
from irp.sandbox.order_api import FlexitOrderApi
from irp.store.db import Database
from tests.integration.orders.submit_support import add_order, flexit_config, order_row


def irp(config: Config, database: Database, *args: str) -> tuple[int, str]:
    base = ["--config", str(config.path), "--db", database.url]
    result = CliRunner().invoke(app, [*base, *args], terminal_width=400)
    return result.exit_code, result.stdout


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_submit_exits_0_when_an_order_waits_for_a_retry(
    database: Database, order_api: FlexitOrderApi, tmp_path: Path
) -> None:
    config = flexit_config(tmp_path, order_api, lookup=False)
    add_order(database, "5001")
    order_api.inject("503")

    code, out = irp(config, database, "orders", "submit", "--json")

    row = order_row(database, "5001")
    assert (code, json.loads(out)) == (
        0,
        [
            {
                "id": "5001",
                "status": "pending",
                "external_reference": None,
                "attempts": 1,
                "error": row["last_error"],
            }
        ],
    )


@pytest.mark.parametrize(
    ("fault", "status"),
    [("422", "rejected"), ("500", "uncertain"), ("401", "failed")],
)
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_submit_exits_1_when_an_order_needs_an_operator(
    database: Database, order_api: FlexitOrderApi, tmp_path: Path, fault: str, status: str
) -> None:
    config = flexit_config(tmp_path, order_api, lookup=False, max_concurrency=1)
    add_order(database, "5001")
    add_order(database, "5002")
    order_api.inject(fault)

    code, out = irp(config, database, "orders", "submit", "--json")

    statuses = {r["id"]: r["status"] for r in json.loads(out)}
    expected = {"5001": status, "5002": "pending" if fault == "401" else "submitted"}
    assert (code, statuses) == (1, expected)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_attempts_is_the_one_name_of_the_count_and_show_lists_them(
    database: Database, order_api: FlexitOrderApi, tmp_path: Path
) -> None:
    config = flexit_config(tmp_path, order_api, lookup=False)
    add_order(database, "5001")
    irp(config, database, "orders", "submit")

    _, listed = irp(config, database, "orders", "list", "--json")
    _, shown = irp(config, database, "orders", "show", "5001", "--json")

    [row] = json.loads(listed)
    assert (row["id"], row["status"], row["attempts"]) == ("5001", "submitted", 1)
    document = json.loads(shown)
    # Before, show also carried "attempt_count" beside the list called "attempts".
    assert list(document) == [
        "id",
        "refurbisher",
        "status",
        "external_reference",
        "order_number",
        "currency",
        "shipping_address",
        "next_attempt_at",
        "lease_until",
        "last_error",
        "lookup_not_found_count",
        "resend_allowed",
        "created_at",
        "updated_at",
        "submitted_at",
        "shipped_at",
        "carrier",
        "tracking_code",
        "tracking_url",
        "odoo",
        "lines",
        "attempts",
        "actions",
    ]
    assert [(a["kind"], a["outcome"], a["status_code"]) for a in document["attempts"]] == [
        ("submit", "submitted", 201)
    ]
