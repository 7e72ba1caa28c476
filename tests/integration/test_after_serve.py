"""After the order, through ``irp serve`` as a real process, on both sandbox refurbishers.

FlexIT orders go submitted -> shipped (by polling) -> delivered with no operator; a
GreenByte shipment arrives at ``POST /webhooks/greenbyte/shipments`` signed with
Standard Webhooks; the marketplace reads ``GET /api/events`` and receives the events
pushed to it; the scheduler runs the monitoring checks (``GET /api/monitor``,
``/metrics``).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks import Webhook

from irp.sandbox.receiver import WebhookReceiver
from irp.sandbox.world import SandboxWorld
from tests.integration.service.support import Served, Services, order, wait_for

EVENTS_SECRET = "whsec_" + base64.b64encode(b"marketplace-events-key-2026!").decode()


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[SandboxWorld, WebhookReceiver, Served]]:
    with SandboxWorld(tmp_path / "sandbox", flexit_rows=20) as world, WebhookReceiver() as market:
        world.flexit.order_api.ship_after_seconds = 0.0
        world.flexit.order_api.deliver_after_seconds = 0.0
        config = world.write_config(
            tmp_path / "irp.json",
            flexit={"offers": {"settle_seconds": 0}, "order": {"lookup": {"delay_seconds": 1}}},
            platform={
                "service": {"sweep_seconds": 0.5},
                "monitor_every_seconds": 5,
                "events": {"url": market.url, "secret": EVENTS_SECRET, "retry_seconds": 1},
            },
        )
        services = Services(tmp_path, world.flexit, world.secrets)
        try:
            for name in ("flexit", "greenbyte"):
                done = services.cli(config, "offers", "sync", name)
                assert done.returncode == 0, done.stderr
            yield world, market, services.serve(config)
        finally:
            services.close()


def skus(served: Served, refurbisher: str) -> list[str]:
    answer = served.api(
        "GET", "/api/offers", params={"refurbisher": refurbisher, "listed": "true", "limit": 10}
    )
    return [offer["sku"] for offer in answer.json()["offers"]]


def test_orders_reach_delivery_and_the_marketplace_hears_each_step(
    running: tuple[SandboxWorld, WebhookReceiver, Served],
) -> None:
    world, market, served = running
    flexit = order("5001", skus(served, "flexit")[0])
    greenbyte: dict[str, Any] = {**order("6001", skus(served, "greenbyte")[0])}
    greenbyte["refurbisher"] = "greenbyte"
    assert served.api("POST", "/api/orders", json=[flexit, greenbyte]).status_code == 200

    # FlexIT: submitted by the worker, then shipped and delivered by polling alone.
    wait_for(lambda: served.order_status("5001") == "delivered", "5001 delivered by polling")
    shown = served.api("GET", "/api/orders/5001").json()
    assert (shown["carrier"], shown["tracking_code"]) == ("PostNL", "3SABCD000000001")
    assert [s["source"] for s in shown["shipments"]] == ["poll"]

    # GreenByte: its signed webhook over HTTP; a forged one changes nothing.
    wait_for(lambda: served.order_status("6001") == "submitted", "6001 submitted with OAuth2")
    (held,) = world.greenbyte.orders
    body, headers = world.greenbyte.shipment_delivery(held.id)
    forged = {**headers, "webhook-signature": "v1," + base64.b64encode(b"f" * 32).decode()}
    refused = served.http.post("/webhooks/greenbyte/shipments", content=body, headers=forged)
    accepted = served.http.post("/webhooks/greenbyte/shipments", content=body, headers=headers)
    unknown = served.http.post("/webhooks/nobody/shipments", content=body, headers=headers)

    assert refused.status_code == 401
    assert refused.json() == {"detail": "webhook-signature does not match (no valid v1 signature)"}
    assert accepted.status_code == 200
    assert accepted.json() == {
        "matched": True,
        "order_id": "6001",
        "status": "shipped",
        "shipments": [{"matched": True, "order_id": "6001", "status": "shipped"}],
    }
    assert unknown.status_code == 404

    # The marketplace: every step readable with a cursor, and pushed, signed.
    expected = {
        ("5001", "order.accepted"),
        ("5001", "order.submitted"),
        ("5001", "order.shipped"),
        ("5001", "order.delivered"),
        ("6001", "order.accepted"),
        ("6001", "order.submitted"),
        ("6001", "order.shipped"),
    }
    page = served.api("GET", "/api/events", params={"limit": 100}).json()
    assert {(e["data"]["order_id"], e["type"]) for e in page["events"]} == expected
    assert served.api("GET", "/api/events", params={"after": "x"}).status_code == 422
    assert served.http.get("/api/events").status_code == 401  # the API's bearer token

    def pushed() -> set[tuple[str, str]]:
        return {(r.json()["data"]["order_id"], r.json()["type"]) for r in market.accepted()}

    wait_for(lambda: pushed() == expected, "every event pushed to the marketplace")
    oracle = Webhook(EVENTS_SECRET)
    for request in market.accepted():
        assert oracle.verify(request.body, request.headers)["id"] == request.headers["webhook-id"]


def test_the_scheduler_runs_the_checks_for_the_api_and_metrics(
    running: tuple[SandboxWorld, WebhookReceiver, Served],
) -> None:
    _, _, served = running

    def checks() -> list[dict[str, Any]]:
        answer = served.api("GET", "/api/monitor")
        assert answer.status_code == 200
        return list(answer.json())

    found = wait_for(checks, "the first monitoring run")
    every = ["latest_order", "offers_stock", "open_orders", "offers_endpoint", "order_endpoint"]
    every += ["stuck_orders"]
    assert [(c["refurbisher"], c["check"]) for c in found] == [
        *[("flexit", name) for name in [*every, "secret_expiry"]],
        *[("greenbyte", name) for name in [*every, "unmatched_shipments", "secret_expiry"]],
    ]
    assert all(c["ok"] for c in found), found  # a fresh world breaches nothing
    assert {c["check"]: c["value"] for c in found if c["refurbisher"] == "greenbyte"} | {
        "latest_order": None,
        "offers_stock": None,
    } == {
        "latest_order": None,
        "offers_stock": None,
        "open_orders": 0,
        "offers_endpoint": 200,
        "order_endpoint": 1,
        "stuck_orders": 0,
        "unmatched_shipments": 0,
        "secret_expiry": None,  # no credential of greenbyte has an expiry date
    }
    assert set(found[0]) == {"refurbisher", "env", "check", "value", "threshold", "ok", "detail"}
    overview = served.api("GET", "/api/refurbishers").json()
    assert {c["check"] for c in overview[0]["checks"]} == {
        c["check"] for c in found if c["refurbisher"] == overview[0]["name"]
    }
    metrics = served.http.get("/metrics").text.splitlines()
    labels = 'check="offers_endpoint",env="acceptance",refurbisher="greenbyte"'
    assert f"irp_check_ok{{{labels}}} 1.0" in metrics
    assert f"irp_check_value{{{labels}}} 200.0" in metrics
    assert json.dumps(found)  # plain JSON
