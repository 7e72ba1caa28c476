"""``irp serve`` as a real process: HTTP intake to the FlexIT simulator, and every route.

One test starts its own service (a fresh database, so counts are exact); the rest
share one service for the module and use order ids of their own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from irp.sandbox.flexit import FlexitSandbox
from tests.integration.service.conftest import FEED_ROWS
from tests.integration.service.support import (
    API_TOKENS,
    CI_TOKEN,
    OPS_TOKEN,
    Served,
    Services,
    order,
    wait_for,
    write_config,
)

FINAL = {"submitted", "rejected", "failed", "cancelled", "uncertain"}


def test_posted_order_is_submitted_at_the_simulator_with_no_cli_call(
    services: Services, sandbox: FlexitSandbox, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "irp.json", sandbox)
    served = services.serve(config)
    sku = wait_for(served.listed_skus, "the first scheduled sync lists offers")[0]

    answer = served.api("POST", "/api/orders", json=order("5001", sku))

    assert answer.status_code == 201
    assert answer.json() == {
        "id": "5001",
        "result": "accepted",
        "status": "pending",
        "message": "5001: accepted",
    }
    wait_for(lambda: served.order_status("5001") == "submitted", "5001 submitted")
    created = [o for o in sandbox.order_api.orders if o["external_document_number"] == "5001"]
    assert len(created) == 1
    assert created[0]["payload"]["lines"][0]["sku"] == sku
    shown = served.api("GET", "/api/orders/5001").json()
    assert shown["external_reference"] == created[0]["order_number"]
    cli = services.cli(config, "orders", "show", "5001", "--json")
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout) == shown

    metrics = served.http.get("/metrics").text.splitlines()
    assert 'irp_orders{refurbisher="flexit",status="submitted"} 1.0' in metrics
    assert 'irp_orders{refurbisher="flexit",status="pending"} 0.0' in metrics
    assert (
        'irp_order_attempts_total{kind="submit",outcome="submitted",refurbisher="flexit"} 1.0'
        in metrics
    )
    assert 'irp_syncs_total{refurbisher="flexit",status="ok"} 1.0' in metrics
    assert f'irp_sync_rows_total{{refurbisher="flexit"}} {FEED_ROWS}.0' in metrics

    records = served.process.log_lines()
    submitted = [r for r in records if r.get("order_id") == "5001" and r.get("task") == "orders"]
    assert {
        "level": "info",
        "logger": "irp.jobs.tasks",
        "message": f"order 5001 is submitted {shown['external_reference']}",
        "task": "orders",
        "refurbisher": "flexit",
        "order_id": "5001",
    }.items() <= submitted[-1].items()
    log_text = served.process.log_path.read_text()
    for secret in [*sandbox.secrets.values(), OPS_TOKEN, CI_TOKEN]:
        assert secret not in log_text


# -- one service shared by the tests below --------------------------------------------


@dataclass
class Shared:
    served: Served
    sandbox: FlexitSandbox
    skus: list[str]
    services: Services
    config: Path


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shared]:
    root = tmp_path_factory.mktemp("shared")
    with FlexitSandbox(root / "sandbox", rows=FEED_ROWS) as sandbox:
        services = Services(root, sandbox, {})
        try:
            config = write_config(root / "irp.json", sandbox)
            served = services.serve(config)
            skus = wait_for(served.listed_skus, "the first scheduled sync lists offers")
            yield Shared(served, sandbox, skus, services, config)
        finally:
            services.close()


def _settled(shared: Shared, order_id: str, status: str = "submitted") -> dict[str, Any]:
    wait_for(lambda: shared.served.order_status(order_id) == status, f"{order_id} {status}")
    answer: dict[str, Any] = shared.served.api("GET", f"/api/orders/{order_id}").json()
    return answer


def test_missing_or_wrong_token_is_401_with_no_hint_which(shared: Shared) -> None:
    http = shared.served.http
    wrong = [
        {},
        {"Authorization": "Bearer not-a-token-of-this-service"},
        {"Authorization": f"Bearer {OPS_TOKEN}x"},
        {"Authorization": f"Basic {OPS_TOKEN}"},
        {"Authorization": OPS_TOKEN},
    ]
    for headers in wrong:
        for method, path in [("GET", "/api/orders"), ("GET", "/api/refurbishers")]:
            answer = http.request(method, path, headers=headers)
            assert answer.status_code == 401, (headers, path)
            assert answer.json() == {"detail": "missing or invalid bearer token"}
            assert answer.headers["www-authenticate"] == "Bearer"
    refused = http.post("/api/orders", json=order("T-401", shared.skus[0]))
    assert refused.status_code == 401
    assert shared.served.order_status("T-401") is None
    assert (
        http.get("/api/orders", headers={"Authorization": f"Bearer {CI_TOKEN}"}).status_code == 200
    )
    assert http.get("/healthz").status_code == 200
    assert http.get("/metrics").status_code == 200
    assert API_TOKENS not in shared.served.process.log_path.read_text()


def test_same_order_again_is_200_unchanged_and_other_content_409(shared: Shared) -> None:
    api = shared.served.api
    first = order("C-1", shared.skus[0])
    assert api("POST", "/api/orders", json=first).status_code == 201
    _settled(shared, "C-1")
    same = order("C-1", shared.skus[0])
    same["items"][0]["unit_price_tax_excl"] = "249.0"
    same["shipping_address"]["country"] = "NLD"

    again = api("POST", "/api/orders", json=same)

    assert again.status_code == 200
    assert again.json() == {
        "id": "C-1",
        "result": "unchanged",
        "status": "submitted",
        "message": "C-1: already accepted, unchanged",
    }
    other = api("POST", "/api/orders", json=order("C-1", shared.skus[0], order_number="IU-9"))
    assert other.status_code == 409
    assert other.json() == {
        "detail": "C-1: already accepted with different content (order_number differ); an "
        "accepted order cannot be changed — send a correction as a new order id, and cancel "
        "this one with `irp orders resolve C-1 --cancel` if needed"
    }
    created = [o for o in shared.sandbox.order_api.orders if o["external_document_number"] == "C-1"]
    assert len(created) == 1


def test_refused_orders_are_422_with_the_intake_message(shared: Shared) -> None:
    api = shared.served.api
    unknown_sku = api("POST", "/api/orders", json=order("U-1", "FLX-NOPE"))
    assert unknown_sku.status_code == 422
    assert unknown_sku.json() == {
        "detail": "U-1: SKU FLX-NOPE is not an offer of flexit; check the SKU or run "
        "`irp offers sync flexit` first"
    }
    unknown_refurbisher = api("POST", "/api/orders", json=order("U-2", "X", refurbisher="acme"))
    assert unknown_refurbisher.status_code == 422
    assert unknown_refurbisher.json() == {
        "detail": "U-2: refurbisher 'acme' is not in the config (known: flexit)"
    }
    currency = api("POST", "/api/orders", json=order("U-3", shared.skus[0], currency="USD"))
    assert currency.status_code == 422
    assert currency.json() == {
        "detail": "U-3: currency USD does not match flexit's currency EUR (settings.currency)"
    }
    for order_id in ("U-1", "U-2", "U-3"):
        assert api("GET", f"/api/orders/{order_id}").status_code == 404


def test_a_list_is_answered_200_with_one_result_each(shared: Shared) -> None:
    body = [order("L-1", shared.skus[1]), order("L-2", "FLX-NOPE"), order("L-1", shared.skus[1])]

    answer = shared.served.api("POST", "/api/orders", json=body)

    assert answer.status_code == 200
    assert answer.json() == [
        {"id": "L-1", "result": "accepted", "message": "L-1: accepted"},
        {
            "id": "L-2",
            "result": "refused",
            "message": "L-2: SKU FLX-NOPE is not an offer of flexit; check the SKU or run "
            "`irp offers sync flexit` first",
        },
        {"id": "L-1", "result": "unchanged", "message": "L-1: already accepted, unchanged"},
    ]
    _settled(shared, "L-1")


def test_hostile_requests_get_a_clean_4xx(shared: Shared) -> None:
    api = shared.served.api
    json_type = {"Content-Type": "application/json"}
    limit = 1024 * 1024
    too_large = {
        "detail": f"the request body is larger than {limit} bytes "
        "(platform.service.max_request_bytes)"
    }
    big = b"[" + b" " * limit + b"]"
    assert api("POST", "/api/orders", content=big, headers=json_type).json() == too_large

    def chunks() -> Iterator[bytes]:
        yield b"["
        for _ in range(20):
            yield b" " * 65536
        yield b"]"

    chunked = api("POST", "/api/orders", content=chunks(), headers=json_type)
    assert (chunked.status_code, chunked.json()) == (413, too_large)
    wrong_type = api("POST", "/api/orders", content=b"{}", headers={"Content-Type": "text/plain"})
    assert (wrong_type.status_code, wrong_type.json()) == (
        415,
        {"detail": "send the body as JSON (Content-Type: application/json)"},
    )
    latin1 = api("POST", "/api/orders", content='{"id": "é"}'.encode("latin-1"), headers=json_type)
    assert (latin1.status_code, latin1.json()) == (
        400,
        {"detail": "request body: not UTF-8 text (byte 8); save it as UTF-8"},
    )
    broken = api("POST", "/api/orders", content=b'{"id": ', headers=json_type)
    assert (broken.status_code, broken.json()) == (
        400,
        {"detail": "request body line 1, column 8: not valid JSON: Expecting value"},
    )
    nested = (
        400,
        {"detail": "request body: not an order document: nested more than 64 levels deep"},
    )
    for depth in (70, 200_000):
        deep = b"[" * depth + b"]" * depth
        answer = api("POST", "/api/orders", content=deep, headers=json_type)
        assert (answer.status_code, answer.json()) == nested
    huge_number = b'{"id": ' + b"9" * 5000 + b"}"
    answer = api("POST", "/api/orders", content=huge_number, headers=json_type)
    assert answer.status_code == 400
    assert answer.json()["detail"].startswith("request body: not an order document: ")
    many = [order(f"M-{n}", "FLX-NOPE") for n in range(501)]
    answer = api("POST", "/api/orders", json=many)
    assert (answer.status_code, answer.json()) == (
        413,
        {"detail": "501 orders in one request; send at most 500"},
    )
    # Bodies FastAPI parses: its own answers, 4xx all the same.
    for body in (b"not json", b"\xff\xfe"):
        answer = api("POST", "/api/orders/C-1/resolve", content=body, headers=json_type)
        assert answer.status_code == 422
        assert [error["type"] for error in answer.json()["detail"]] == ["json_invalid"]
    very_deep = b"[" * 200_000 + b"]" * 200_000
    answer = api("POST", "/api/orders/C-1/resolve", content=very_deep, headers=json_type)
    assert (answer.status_code, answer.json()) == (
        400,
        {"detail": "There was an error parsing the body"},
    )
    assert shared.served.http.get("/healthz").status_code == 200
    errors = [r for r in shared.served.process.log_lines() if r["level"] == "error"]
    assert errors == []


def test_offers_come_in_pages_with_a_cursor_and_an_etag(shared: Shared) -> None:
    api = shared.served.api
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 7, "refurbisher": "flexit"}
        if cursor:
            params["cursor"] = cursor
        page = api("GET", "/api/offers", params=params).json()
        seen.extend(offer["sku"] for offer in page["offers"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == FEED_ROWS
    assert len(set(seen)) == FEED_ROWS
    listed = api("GET", "/api/offers", params={"listed": "true", "limit": 1000}).json()["offers"]
    assert sorted(o["sku"] for o in listed) == sorted(shared.skus)
    assert all(o["listed"] is True for o in listed)

    first = api("GET", "/api/offers", params={"limit": 5})
    etag = first.headers["etag"]
    unchanged = api("GET", "/api/offers", params={"limit": 5}, headers={"If-None-Match": etag})
    assert (unchanged.status_code, unchanged.content, unchanged.headers["etag"]) == (304, b"", etag)
    other = api("GET", "/api/offers", params={"limit": 6}, headers={"If-None-Match": etag})
    assert other.status_code == 200

    bad = api("GET", "/api/offers", params={"cursor": "bm90LWEtY3Vyc29y"})
    assert (bad.status_code, bad.json()) == (
        400,
        {"detail": "cursor: not one this API gave out; start again without it"},
    )
    unknown = api("GET", "/api/offers", params={"refurbisher": "acme"})
    assert (unknown.status_code, unknown.json()) == (
        422,
        {"detail": "refurbisher 'acme' is not in the config (known: flexit)"},
    )
    money = first.json()["offers"][0]["price_purchase_amount"]
    assert isinstance(money, str)


def test_operator_actions_record_the_token_name_and_409_on_a_state_conflict(
    shared: Shared,
) -> None:
    api, ci = shared.served.api, {"Authorization": f"Bearer {CI_TOKEN}"}
    shared.sandbox.order_api.inject("422")
    assert api("POST", "/api/orders", json=order("A-1", shared.skus[2])).status_code == 201
    _settled(shared, "A-1", "rejected")

    retried = api("POST", "/api/orders/A-1/retry", json={"reason": "fixed"}, headers=ci)

    assert retried.status_code == 200
    assert retried.json() == {
        "id": "A-1",
        "action": "retry",
        "from": "rejected",
        "to": "pending",
        "ok": True,
        "message": "A-1: rejected -> pending, due now (attempts reset to 0); the refurbisher "
        "refused it before and will refuse it again unless the config or their data was fixed",
    }
    shown = _settled(shared, "A-1")
    assert [(a["action"], a["actor"], a["reason"]) for a in shown["actions"]] == [
        ("retry", "ci", "fixed")
    ]
    again = api("POST", "/api/orders/A-1/retry")
    assert (again.status_code, again.json()) == (
        409,
        {
            "detail": f"A-1 is submitted (reference {shown['external_reference']}); the "
            "refurbisher has it, there is nothing to retry"
        },
    )
    cancel = api("POST", "/api/orders/A-1/resolve", json={"cancel": True})
    assert (cancel.status_code, cancel.json()) == (
        409,
        {
            "detail": "A-1 is submitted; only uncertain, pending, failed or rejected orders "
            "can be cancelled"
        },
    )
    two = api("POST", "/api/orders/A-1/resolve", json={"cancel": True, "resend": True})
    assert (two.status_code, two.json()) == (
        422,
        {"detail": "give exactly one of external_ref, resend, cancel"},
    )
    missing = api("POST", "/api/orders/NOPE/resolve", json={"external_ref": "SO-1"})
    assert (missing.status_code, missing.json()) == (404, {"detail": "order NOPE not found"})
    assert api("GET", "/api/orders/NOPE").status_code == 404


def test_orders_list_pages_newest_change_first(shared: Shared) -> None:
    api = shared.served.api
    for order_id in ("P-1", "P-2", "P-3"):
        api("POST", "/api/orders", json=order(order_id, shared.skus[3]))
    for order_id in ("P-1", "P-2", "P-3"):
        _settled(shared, order_id)
    wait_for(
        lambda: all(
            row["status"] in FINAL
            for row in api("GET", "/api/orders", params={"limit": 1000}).json()["orders"]
        ),
        "every order of this service settled",
    )
    everything = api("GET", "/api/orders", params={"limit": 1000}).json()
    assert everything["next_cursor"] is None
    walked: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = api("GET", "/api/orders", params=params).json()
        walked.extend(row["id"] for row in page["orders"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert walked == [row["id"] for row in everything["orders"]]
    times = [row["updated_at"] for row in everything["orders"]]
    assert times == sorted(times, reverse=True)
    submitted = api("GET", "/api/orders", params={"status": "submitted", "limit": 1000}).json()
    assert {"P-1", "P-2", "P-3"} <= {row["id"] for row in submitted["orders"]}
    assert {row["status"] for row in submitted["orders"]} == {"submitted"}
    bogus = api("GET", "/api/orders", params={"status": "sent"})
    assert (bogus.status_code, bogus.json()) == (
        422,
        {
            "detail": "status 'sent' is not an order state; expected one of pending, "
            "submitting, submitted, shipped, delivered, failed, rejected, uncertain, cancelled"
        },
    )


def test_a_sync_is_queued_on_demand_and_runs_on_a_worker(shared: Shared) -> None:
    api = shared.served.api
    before = api("GET", "/api/refurbishers").json()[0]["offers"]["last_sync"]["run_id"]

    queued = api("POST", "/api/refurbishers/flexit/sync")

    assert (queued.status_code, queued.json()) == (202, {"queued": True})
    overview = wait_for(
        lambda: [
            r
            for r in api("GET", "/api/refurbishers").json()
            if r["offers"]["last_sync"]["run_id"] > before
            and r["offers"]["last_sync"]["status"] not in ("running",)
        ],
        "a new sync run",
    )[0]
    assert overview["offers"]["last_sync"]["status"] == "unchanged"
    checks = {c["check"] for c in overview["checks"]}  # the scheduler's monitoring run
    assert checks == {c["check"] for c in api("GET", "/api/monitor").json()}
    assert {key: overview[key] for key in overview if key not in ("offers", "checks")} == {
        "name": "flexit",
        "state": "ok",
        "errors": [],
        "refurbisher_id": 15,
        "supplier_id": 10,
        "env": "acceptance",
        "orders": {
            "connection": "web",
            "auth": "client_id_secret",
            "paused": False,
            "paused_reason": None,
        },
        "shipment_webhook": "not configured",
    }
    assert {k: v for k, v in overview["offers"].items() if k != "last_sync"} == {
        "connection": "sftp",
        "type": "csv",
        "schedule": "*/30 * * * *",
        "listed": len(shared.skus),
    }
    unknown = api("POST", "/api/refurbishers/acme/sync")
    assert (unknown.status_code, unknown.json()) == (
        404,
        {"detail": "no refurbisher 'acme'; the config defines: flexit"},
    )


def test_openapi_documents_every_body_with_an_example(shared: Shared) -> None:
    document = shared.served.http.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    bodies = 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody")
            if body is None:
                continue
            bodies += 1
            media = body["content"]["application/json"]
            schema = media["schema"]
            for option in schema.get("anyOf", [schema]):
                if "$ref" in option:
                    name = option["$ref"].rsplit("/", 1)[-1]
                    assert schemas[name].get("examples") or media.get("examples"), (path, method)
    assert bodies == 4  # POST /api/orders, retry, resolve, and the shipment webhook
    orders = document["paths"]["/api/orders"]["post"]["requestBody"]["content"]["application/json"]
    assert orders["examples"]["one"]["value"]["id"] == "5001"
    assert "InboundOrder" in schemas
    docs = shared.served.http.get("/docs")
    assert docs.status_code == 200
    assert "swagger-ui" in docs.text


def test_the_status_page_is_served_and_takes_the_api_tokens(shared: Shared) -> None:
    http = shared.served.http
    anonymous = http.get("/", follow_redirects=False)
    assert (anonymous.status_code, anonymous.headers["location"]) == (303, "/login?next=%2F")
    page = http.get("/", headers={"Authorization": f"Bearer {OPS_TOKEN}"})
    assert page.status_code == 200
    assert "flexit" in page.text
