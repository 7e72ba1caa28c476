"""Acceptance never reaches production by accident (SPEC §1, issue 11 item 5).

FlexIT here has no ``environments`` block: in acceptance its only endpoint would be
production's. ``irp orders submit`` refuses it before anything is claimed or sent,
lookups included, and says why and how to fix it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from irp.sandbox.flexit import example_config, example_inbound_order
from irp.sandbox.order_api import FlexitOrderApi
from irp.store.db import open_database
from tests.integration.cli.support import Irp, flexit_secrets
from tests.integration.orders.intake_support import order_row, set_order, store_offers

REFUSAL = (
    "flexit has no environments.acceptance block, so in acceptance its orders would go to "
    "the endpoint it uses in production ({host}); add environments.acceptance "
    "with flexit's acceptance endpoints (order.endpoint, order.lookup.endpoint), or set "
    '"environment_endpoints_reviewed": true on flexit if its endpoints are right for '
    "acceptance"
)


@pytest.fixture
def irp(
    tmp_path: Path, db_url: str, order_api: FlexitOrderApi, monkeypatch: pytest.MonkeyPatch
) -> Irp:
    flexit_secrets(monkeypatch)
    document = example_config()
    flexit = document["flexit"]
    del flexit["environments"]
    flexit["order"]["endpoint"] = order_api.endpoint
    flexit["order"]["lookup"]["endpoint"] = order_api.lookup_endpoint
    cli = Irp(tmp_path, db_url)
    cli.write(document)
    db = open_database(db_url, "acceptance")
    store_offers(db)
    db.close()
    orders = [example_inbound_order(id="8001"), example_inbound_order(id="8002")]
    (tmp_path / "orders.json").write_text(json.dumps(orders))
    added = cli("orders", "add", str(tmp_path / "orders.json"))
    assert added.exit_code == 0, added.output
    return cli


def _make_uncertain_and_due(db_url: str, order_id: str) -> None:
    db = open_database(db_url, "acceptance")
    due = datetime.now(UTC) - timedelta(minutes=1)
    set_order(db, order_id, status="uncertain", lookup_next_at=due)
    db.close()


def test_named_submission_is_refused_before_anything_is_claimed_or_sent(
    irp: Irp, order_api: FlexitOrderApi
) -> None:
    _make_uncertain_and_due(irp.db_url, "8002")

    result = irp("orders", "submit", "flexit", "--json")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "error: flexit: no order is sent or looked up: "
        + REFUSAL.format(host=urlsplit(order_api.base_url).netloc)
        + "\n"
    )
    assert order_api.requests == []
    db = open_database(irp.db_url, "acceptance")
    assert (order_row(db, "8001")["status"], order_row(db, "8001")["attempts"]) == ("pending", 0)
    assert order_row(db, "8002")["status"] == "uncertain"
    db.close()


def test_a_pass_over_all_refurbishers_skips_it_warns_and_exits_1(
    irp: Irp, order_api: FlexitOrderApi
) -> None:
    _make_uncertain_and_due(irp.db_url, "8002")

    result = irp("orders", "submit", "--json")

    assert result.exit_code == 1
    assert json.loads(result.stdout) == []
    assert result.stderr == (
        "warning: flexit was skipped: "
        + REFUSAL.format(host=urlsplit(order_api.base_url).netloc)
        + "\n"
    )
    assert order_api.requests == []


def test_once_reviewed_the_orders_go_out(irp: Irp, order_api: FlexitOrderApi) -> None:
    document = json.loads((irp.folder / "irp.json").read_text())
    document["flexit"]["environment_endpoints_reviewed"] = True
    irp.write(document)

    result = irp("orders", "submit", "flexit", "--json")

    assert result.exit_code == 0, result.output
    assert sorted((r["id"], r["status"]) for r in json.loads(result.stdout)) == [
        ("8001", "submitted"),
        ("8002", "submitted"),
    ]
    assert order_api.created_count("8001") == 1


def test_check_does_not_reach_production_from_acceptance(
    irp: Irp, order_api: FlexitOrderApi
) -> None:
    result = irp("check", "flexit", "--json")

    assert result.exit_code == 1
    checks = {check["check"]: check for check in json.loads(result.stdout)["checks"]}
    assert checks["order"] == {
        "check": "order",
        "ok": False,
        "detail": "not reached: " + REFUSAL.format(host=urlsplit(order_api.base_url).netloc),
    }
    assert order_api.requests == []
