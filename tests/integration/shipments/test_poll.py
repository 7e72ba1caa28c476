"""Shipment polling against the FlexIT order-API simulator: submitted -> shipped -> delivered."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from irp.config import Config, load_config
from irp.errors import OrderError
from irp.orders.submit import submit_due
from irp.sandbox.order_api import FlexitOrderApi
from irp.shipments.poll import PollResult, poll_shipments
from irp.store.db import Database
from irp.store.tables import order_events, shipment_polls
from tests.fixtures.order_api import FLEXIT_CLIENT_ID, FLEXIT_CLIENT_SECRET, MakeOrderApi
from tests.integration.orders.submit_support import EXAMPLE, add_order, order_row

TRACKING = "3SABCD000000001"


def polled_config(
    tmp_path: Path, api: FlexitOrderApi, *, reviewed: bool = True, **poll: Any
) -> Config:
    """examples/flexit.json, its order API and shipment_poll aimed at ``api``.

    Acceptance, no ``environments`` block: ``reviewed`` says the endpoints were chosen
    for acceptance on purpose (else the refurbisher may not be called here).
    """
    document = json.loads(EXAMPLE.read_text())
    flexit = document["flexit"]
    flexit.pop("offers")
    flexit.pop("environments")
    flexit["environment_endpoints_reviewed"] = reviewed
    flexit["order"]["endpoint"] = api.endpoint
    flexit["order"]["lookup"]["endpoint"] = api.lookup_endpoint
    flexit["order"]["auth"].update(client_id=FLEXIT_CLIENT_ID, client_secret=FLEXIT_CLIENT_SECRET)
    flexit["shipment_poll"]["endpoint"] = api.base_url + "/order/api/shipment/{external_reference}"
    flexit["shipment_poll"].update(poll)
    path = tmp_path / "irp.json"
    path.write_text(json.dumps(document))
    return load_config(path, "acceptance")


def submitted(db: Database, config: Config, order_id: str = "5001") -> None:
    add_order(db, order_id)
    (result,) = submit_due(db, config)
    assert result.status == "submitted"


def later(db: Database, intervals: int = 1) -> Any:
    """The database clock ``intervals`` poll intervals (900 s) from now."""
    return db.now() + timedelta(seconds=900 * intervals + 1)


def outcomes(results: list[PollResult]) -> list[tuple[str, str, str, int | None]]:
    return [(r.order_id, r.outcome, r.status, r.http_status) for r in results]


def test_polling_takes_a_flexit_order_to_shipped_then_delivered(
    database: Database, make_order_api: MakeOrderApi, tmp_path: Path
) -> None:
    api = make_order_api()
    config = polled_config(tmp_path, api)
    submitted(database, config)

    first = poll_shipments(database, config)
    api.ship("SO-000001")
    too_soon = poll_shipments(database, config)
    second = poll_shipments(database, config, now=later(database))
    api.deliver("SO-000001")
    third = poll_shipments(database, config, now=later(database, 2))
    after = poll_shipments(database, config, now=later(database, 3))

    assert outcomes(first) == [("5001", "not_shipped", "submitted", 404)]
    assert too_soon == []  # asked once per interval
    assert outcomes(second) == [("5001", "shipped", "shipped", 200)]
    assert outcomes(third) == [("5001", "delivered", "delivered", 200)]
    assert after == []  # a delivered order is not asked again
    row = order_row(database, "5001")
    assert (row["status"], row["carrier"], row["tracking_code"]) == (
        "delivered",
        "PostNL",
        TRACKING,
    )
    assert row["tracking_url"] == f"https://jouw.postnl.nl/track-and-trace/{TRACKING}-NL-1012AB"
    assert row["delivered_at"] is not None
    with database.connect() as conn:
        kinds = (
            conn.execute(sa.select(order_events.c.type).order_by(order_events.c.id)).scalars().all()
        )
        poll = conn.execute(sa.select(shipment_polls)).mappings().one()
    assert kinds == ["order.submitted", "order.shipped", "order.delivered"]
    assert (poll["polls"], poll["last_status"], poll["last_result"]) == (3, 200, "delivered")
    shipment_requests = [r for r in api.requests if r.path.startswith("/order/api/shipment/")]
    assert [r.path for r in shipment_requests] == ["/order/api/shipment/SO-000001"] * 3
    assert shipment_requests[0].headers["client_secret"] == "***"  # the connector's auth


def test_tracking_that_appears_by_itself_is_found_on_the_first_poll(
    database: Database, make_order_api: MakeOrderApi, tmp_path: Path
) -> None:
    api = make_order_api(ship_after_seconds=0, deliver_after_seconds=3600)
    config = polled_config(tmp_path, api)
    submitted(database, config)

    (result,) = poll_shipments(database, config)

    assert (result.outcome, result.status) == ("shipped", "shipped")
    assert result.detail == f"shipped: PostNL {TRACKING}"


def test_an_answer_without_tracking_means_not_shipped_yet(
    database: Database, make_order_api: MakeOrderApi, tmp_path: Path
) -> None:
    api = make_order_api()
    # The status endpoint answers 200 {"OrderNumber", "Status": "Open"}: no tracking code.
    config = polled_config(
        tmp_path,
        api,
        endpoint=api.base_url + "/order/api/order/{externalDocumentNumber}/status",
        fields={"tracking_code": "TrackAndTrace", "status": "Status"},
        status_map={"Shipped": "shipped", "Open": "shipped"},
    )
    submitted(database, config)

    (result,) = poll_shipments(database, config)

    assert outcomes([result]) == [("5001", "not_shipped", "submitted", 200)]
    assert result.detail == "no tracking code yet"


def test_a_refused_or_failing_poll_never_fails_the_order(
    database: Database, make_order_api: MakeOrderApi, tmp_path: Path
) -> None:
    api = make_order_api()
    config = polled_config(tmp_path, api)
    submitted(database, config)
    api.inject("503", on="shipment")
    api.inject("401", on="shipment")

    first = poll_shipments(database, config)
    second = poll_shipments(database, config, now=later(database))

    assert outcomes(first + second) == [
        ("5001", "failed", "submitted", 503),
        ("5001", "refused", "submitted", 401),
    ]
    assert second[0].detail == "HTTP 401: authentication refused; check flexit.order.auth"
    assert order_row(database, "5001")["last_error"] is None


def test_shipments_poll_from_the_command_line(
    database: Database, make_order_api: MakeOrderApi, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from irp.cli.app import app

    api = make_order_api(ship_after_seconds=0)
    config = polled_config(tmp_path, api)
    submitted(database, config)
    base = ["--config", str(config.path), "--db", database.url, "shipments", "poll"]

    first = CliRunner().invoke(app, [*base, "flexit", "--json"])
    again = CliRunner().invoke(app, base)

    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout) == [
        {
            "order_id": "5001",
            "refurbisher": "flexit",
            "outcome": "shipped",
            "status": "shipped",
            "http_status": 200,
            "detail": f"shipped: PostNL {TRACKING}",
        }
    ]
    assert (again.exit_code, again.stdout) == (0, "no poll was due\n")


def test_a_refurbisher_whose_endpoints_are_not_reviewed_here_is_never_polled(
    database: Database, make_order_api: MakeOrderApi, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from irp.cli.app import app

    api = make_order_api(ship_after_seconds=0)
    submitted(database, polled_config(tmp_path, api))
    config = polled_config(tmp_path, api, reviewed=False)
    refusal = config.refurbisher("flexit").order_endpoint_refusal
    assert refusal is not None and refusal.startswith("flexit has no environments.acceptance")
    before = len(api.requests)
    base = ["--config", str(config.path), "--db", database.url, "shipments", "poll"]

    unnamed = poll_shipments(database, config)
    with pytest.raises(OrderError) as named:
        poll_shipments(database, config, refurbisher="flexit")
    cli_all = CliRunner().invoke(app, base)
    cli_named = CliRunner().invoke(app, [*base, "flexit"])

    assert unnamed == []
    assert str(named.value) == f"flexit: no shipment poll is sent: {refusal}"
    assert cli_all.exit_code == 1
    assert cli_all.stdout == "no poll was due\n"
    assert " ".join(cli_all.stderr.split()) == f"warning: flexit was skipped: {refusal}"
    assert cli_named.exit_code == 1
    assert (
        " ".join(cli_named.stderr.split()) == f"error: flexit: no shipment poll is sent: {refusal}"
    )
    assert api.requests[before:] == []  # nothing reached the refurbisher
    assert order_row(database, "5001")["status"] == "submitted"
