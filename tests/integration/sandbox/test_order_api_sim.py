"""The FlexIT order-API simulator, exercised over real HTTP with httpx."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from irp.sandbox.flexit_schema import example_order
from irp.sandbox.order_api import FlexitOrderApi
from tests.fixtures.order_api import FLEXIT_CLIENT_ID, FLEXIT_CLIENT_SECRET, MakeOrderApi


@pytest.fixture
def client(flexit_headers: dict[str, str]) -> Iterator[httpx.Client]:
    with httpx.Client(headers=flexit_headers, timeout=5) as http:
        yield http


def _status_url(api: FlexitOrderApi, number: str) -> str:
    return api.lookup_endpoint.format(externalDocumentNumber=number)


# -- creating orders ------------------------------------------------------------------


def test_valid_order_is_created_with_sequential_order_numbers(
    order_api: FlexitOrderApi, client: httpx.Client
) -> None:
    first = client.post(order_api.endpoint, json=example_order("5001"))
    second = client.post(order_api.endpoint, json=example_order("5002"))

    assert first.status_code == 201
    assert first.json() == {
        "OrderNumber": "SO-000001",
        "externalDocumentNumber": "5001",
        "Status": "Open",
    }
    assert second.status_code == 201
    assert second.json()["OrderNumber"] == "SO-000002"
    assert [o["order_number"] for o in order_api.orders] == ["SO-000001", "SO-000002"]
    assert order_api.orders[0]["payload"]["shipping"]["address"]["city"] == "Amsterdam"
    assert order_api.orders[0]["created_at"].tzinfo is not None
    assert order_api.created_count("5001") == 1
    assert order_api.created_count("9999") == 0


def test_same_document_number_is_created_twice_by_default(
    order_api: FlexitOrderApi, client: httpx.Client
) -> None:
    client.post(order_api.endpoint, json=example_order("5001"))
    again = client.post(order_api.endpoint, json=example_order("5001"))

    assert again.status_code == 201
    assert order_api.created_count("5001") == 2


def test_deduplicating_supplier_answers_409_with_the_first_order_number(
    make_order_api: MakeOrderApi, client: httpx.Client
) -> None:
    api = make_order_api(reject_duplicates=True)
    client.post(api.endpoint, json=example_order("5001"))
    again = client.post(api.endpoint, json=example_order("5001"))

    assert again.status_code == 409
    assert again.json() == {"error": "duplicate externalDocumentNumber", "OrderNumber": "SO-000001"}
    assert api.created_count("5001") == 1


def test_unit_price_keeps_its_exact_decimal_digits(
    order_api: FlexitOrderApi, client: httpx.Client
) -> None:
    body = json.dumps(example_order()).replace('"unitPrice": 249.0', '"unitPrice": 249.00')
    assert '"unitPrice": 249.00' in body

    answer = client.post(
        order_api.endpoint, content=body, headers={"Content-Type": "application/json"}
    )

    assert answer.status_code == 201
    price = order_api.orders[0]["payload"]["lines"][0]["unitPrice"]
    assert isinstance(price, Decimal)
    assert str(price) == "249.00"


@pytest.mark.parametrize(
    "headers",
    [
        {"client_id": FLEXIT_CLIENT_ID, "client_secret": "wrong"},
        {"client_id": "wrong", "client_secret": FLEXIT_CLIENT_SECRET},
        {"client_id": FLEXIT_CLIENT_ID},
        {},
    ],
    ids=["wrong-secret", "wrong-id", "no-secret", "no-headers"],
)
def test_wrong_credentials_are_refused_with_401_and_nothing_is_created(
    order_api: FlexitOrderApi, headers: dict[str, str]
) -> None:
    answer = httpx.post(order_api.endpoint, json=example_order(), headers=headers, timeout=5)

    assert answer.status_code == 401
    assert answer.json() == {"error": "invalid client"}
    assert order_api.orders == []


def _set(payload: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    *parents, last = path.split(".")
    node: Any = payload
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[last] = value
    return payload


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("customerNumber", "218535", 'must be an integer, got string "218535"'),
        ("customerNumber", True, "must be an integer, got boolean true"),
        ("shipping.isBlindShip", "true", 'must be the JSON boolean true, got string "true"'),
        ("shipping.isBlindShip", False, "must be the JSON boolean true, got boolean false"),
        ("lines.0.unitPrice", "249.00", 'must be a JSON number, got string "249.00"'),
        ("lines.0.unitPrice", 249.001, "must have at most 2 decimals, got 249.001"),
        ("lines.0.unitPrice", 0, "must be greater than 0, got 0"),
        ("lines.0.quantity", 0, "must be at least 1, got 0"),
        ("lines.0.quantity", "1", 'must be an integer, got string "1"'),
        (
            "shipping.address.countryCode",
            "NLD",
            "must be an ISO 3166 alpha-2 code like NL, got 'NLD'",
        ),
        (
            "shipping.address.countryCode",
            "nl",
            "must be an ISO 3166 alpha-2 code like NL, got 'nl'",
        ),
        ("shipping.address.countryCode", "XX", "'XX' is not an ISO 3166 country"),
        ("externalDocumentNumber", "", "must not be empty"),
        ("externalDocumentNumber", 5001, "must be a string, got number 5001"),
        ("currencyCode", "USD", 'must be "EUR", got string "USD"'),
        ("shipping.contact.email", None, "must be a string, got null"),
        ("lines", [], "must be a non-empty array, got array"),
    ],
)
def test_payload_of_the_wrong_type_is_refused_with_422_naming_the_field(
    order_api: FlexitOrderApi, client: httpx.Client, path: str, value: object, message: str
) -> None:
    payload = _set(example_order(), path, value)

    answer = client.post(order_api.endpoint, json=payload)

    assert answer.status_code == 422
    assert answer.json() == {"errors": [{"field": path, "message": message}]}
    assert order_api.orders == []


def test_unknown_and_missing_keys_are_refused(
    order_api: FlexitOrderApi, client: httpx.Client
) -> None:
    payload = example_order()
    payload["discount"] = 5
    del payload["shipping"]["address"]["city"]

    answer = client.post(order_api.endpoint, json=payload)

    assert answer.status_code == 422
    assert answer.json() == {
        "errors": [
            {"field": "discount", "message": "is not a known field"},
            {"field": "shipping.address.city", "message": "is required"},
        ]
    }


def test_body_that_is_not_json_is_refused_with_422(
    order_api: FlexitOrderApi, client: httpx.Client
) -> None:
    answer = client.post(order_api.endpoint, content=b"customerNumber=218535")

    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == ""
    assert answer.json()["errors"][0]["message"].startswith("not JSON: ")


# -- faults -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "status", "body"),
    [
        ("500", 500, {"error": "internal server error"}),
        ("503", 503, {"error": "service unavailable"}),
        ("401", 401, {"error": "invalid client"}),
        ("409", 409, {"error": "conflict"}),
        ("422", 422, {"errors": [{"field": "", "message": "refused (injected fault)"}]}),
    ],
)
def test_status_fault_answers_that_status_without_creating(
    order_api: FlexitOrderApi, client: httpx.Client, fault: str, status: int, body: object
) -> None:
    order_api.inject(fault)

    answer = client.post(order_api.endpoint, json=example_order())
    after = client.post(order_api.endpoint, json=example_order())

    assert (answer.status_code, answer.json()) == (status, body)
    assert after.status_code == 201
    assert order_api.created_count("5001") == 1


def test_429_carries_retry_after(order_api: FlexitOrderApi, client: httpx.Client) -> None:
    order_api.inject("429", retry_after=7)
    order_api.inject("429")

    first = client.post(order_api.endpoint, json=example_order())
    second = client.post(order_api.endpoint, json=example_order())

    assert (first.status_code, first.headers["Retry-After"]) == (429, "7")
    assert (second.status_code, second.headers["Retry-After"]) == (429, "1")
    assert order_api.orders == []


def test_500_with_create_creates_the_order_then_answers_500(
    order_api: FlexitOrderApi, client: httpx.Client
) -> None:
    order_api.inject("500", create=True)

    answer = client.post(order_api.endpoint, json=example_order())

    assert answer.status_code == 500
    assert order_api.created_count("5001") == 1


def test_reset_before_create_drops_the_connection_without_creating(
    order_api: FlexitOrderApi, client: httpx.Client
) -> None:
    order_api.inject("reset_before_create")

    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        client.post(order_api.endpoint, json=example_order())

    assert order_api.created_count("5001") == 0
    assert client.post(order_api.endpoint, json=example_order()).status_code == 201


def test_reset_after_create_drops_the_connection_after_creating(
    order_api: FlexitOrderApi, client: httpx.Client
) -> None:
    order_api.inject("reset_after_create")

    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        client.post(order_api.endpoint, json=example_order())

    assert order_api.created_count("5001") == 1


def test_timeout_after_create_makes_the_client_time_out_and_stop_does_not_hang(
    order_api: FlexitOrderApi, client: httpx.Client
) -> None:
    order_api.inject("timeout_after_create", seconds=60)

    with pytest.raises(httpx.ReadTimeout):
        client.post(order_api.endpoint, json=example_order(), timeout=httpx.Timeout(5, read=0.2))
    started = time.monotonic()
    order_api.stop()

    assert time.monotonic() - started < 1.0
    assert order_api.created_count("5001") == 1


@pytest.mark.parametrize(
    ("fault", "status", "content_type", "body"),
    [
        ("201_without_order_number", 201, "application/json", b"{}"),
        (
            "200_instead_of_201",
            200,
            "application/json",
            b'{"OrderNumber": "SO-000001", "externalDocumentNumber": "5001", "Status": "Open"}',
        ),
        ("non_json", 201, "text/html", b"<html><body><h1>Order received</h1></body></html>"),
    ],
)
def test_odd_success_answers_still_create_the_order(
    order_api: FlexitOrderApi,
    client: httpx.Client,
    fault: str,
    status: int,
    content_type: str,
    body: bytes,
) -> None:
    order_api.inject(fault)

    answer = client.post(order_api.endpoint, json=example_order())

    assert (answer.status_code, answer.headers["Content-Type"], answer.content) == (
        status,
        content_type,
        body,
    )
    assert order_api.created_count("5001") == 1


def test_slow_fault_delays_a_normal_answer(order_api: FlexitOrderApi, client: httpx.Client) -> None:
    order_api.inject("slow", seconds=0.3)

    started = time.monotonic()
    answer = client.post(order_api.endpoint, json=example_order())

    assert time.monotonic() - started >= 0.3
    assert answer.status_code == 201
    assert order_api.created_count("5001") == 1


def test_faults_are_consumed_first_in_first_out_times_over(
    order_api: FlexitOrderApi, client: httpx.Client
) -> None:
    order_api.inject("503", times=2)
    order_api.inject("429")

    statuses = [client.post(order_api.endpoint, json=example_order()).status_code for _ in range(4)]

    assert statuses == [503, 503, 429, 201]
    assert order_api.pending_faults() == []


def test_a_fault_for_lookups_does_not_touch_order_creation(
    order_api: FlexitOrderApi, client: httpx.Client
) -> None:
    order_api.inject("500", on="lookup")

    created = client.post(order_api.endpoint, json=example_order())
    looked_up = client.get(_status_url(order_api, "5001"))
    again = client.get(_status_url(order_api, "5001"))

    assert [created.status_code, looked_up.status_code, again.status_code] == [201, 500, 200]


@pytest.mark.parametrize(
    ("fault", "on", "params", "message"),
    [
        ("418", "create", {}, "unknown fault '418'"),
        ("500", "refund", {}, "unknown fault target 'refund'"),
        ("reset_after_create", "lookup", {}, "only applies to on='create'"),
        ("slow", "create", {"retry_after": 2}, "takes no parameter(s) ['retry_after']"),
    ],
)
def test_impossible_faults_are_refused(
    order_api: FlexitOrderApi, fault: str, on: str, params: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        order_api.inject(fault, on=on, **params)
    assert order_api.pending_faults() == []


# -- lookup, shipments, routes ----------------------------------------------------------


def test_lookup_finds_an_order_and_marks_a_missing_one(
    order_api: FlexitOrderApi, client: httpx.Client
) -> None:
    client.post(order_api.endpoint, json=example_order("5001"))

    found = client.get(_status_url(order_api, "5001"))
    missing = client.get(_status_url(order_api, "5002"))
    wrong_url = client.get(order_api.base_url + "/order/api/orders/5001/status")

    assert (found.status_code, found.json()) == (
        200,
        {"OrderNumber": "SO-000001", "externalDocumentNumber": "5001", "Status": "Open"},
    )
    assert (missing.status_code, missing.json()) == (
        404,
        {"error": "order not found", "code": "ORDER_NOT_FOUND"},
    )
    assert (wrong_url.status_code, wrong_url.json()) == (404, {"error": "no route"})


def test_lookup_needs_credentials(order_api: FlexitOrderApi) -> None:
    answer = httpx.get(_status_url(order_api, "5001"), timeout=5)

    assert (answer.status_code, answer.json()) == (401, {"error": "invalid client"})


def test_asynchronous_supplier_shows_the_order_only_after_a_delay(
    make_order_api: MakeOrderApi, client: httpx.Client
) -> None:
    api = make_order_api(async_creation_seconds=0.4)
    client.post(api.endpoint, json=example_order("5001"))

    early = client.get(_status_url(api, "5001"))
    time.sleep(0.5)
    later = client.get(_status_url(api, "5001"))

    assert (early.status_code, early.json()["code"]) == (404, "ORDER_NOT_FOUND")
    assert (later.status_code, later.json()["OrderNumber"]) == (200, "SO-000001")


def test_shipment_appears_once_the_order_is_shipped(
    order_api: FlexitOrderApi, client: httpx.Client
) -> None:
    client.post(order_api.endpoint, json=example_order("5001"))
    url = order_api.shipment_endpoint.format(reference="SO-000001")

    before = client.get(url)
    shipment = order_api.ship("SO-000001")
    after = client.get(url)
    status = client.get(_status_url(order_api, "5001"))

    assert (before.status_code, before.json()) == (
        404,
        {"error": "shipment not found", "code": "SHIPMENT_NOT_FOUND"},
    )
    assert after.status_code == 200
    assert after.json() == shipment
    assert shipment["OrderNumber"] == "SO-000001"
    assert shipment["Carrier"] == "PostNL"
    assert shipment["TrackAndTrace"] == "3SABCD000000001"
    assert shipment["TrackingUrl"] == (
        "https://jouw.postnl.nl/track-and-trace/3SABCD000000001-NL-1012AB"
    )
    assert shipment["ShippedAt"].endswith("+00:00")
    assert status.json()["Status"] == "Shipped"


def test_shipping_an_unknown_order_is_refused(order_api: FlexitOrderApi) -> None:
    with pytest.raises(LookupError, match="the simulator holds no order 'SO-000042'"):
        order_api.ship("SO-000042")


def test_known_path_with_another_method_answers_405(
    order_api: FlexitOrderApi, client: httpx.Client
) -> None:
    answer = client.get(order_api.endpoint)

    assert (answer.status_code, answer.json()) == (405, {"error": "method not allowed"})


# -- control endpoint and request log --------------------------------------------------


def test_control_endpoint_queues_faults_and_lists_orders(
    order_api: FlexitOrderApi, client: httpx.Client
) -> None:
    queued = httpx.post(
        order_api.base_url + "/_sandbox/faults", json={"fault": "503", "times": 2}, timeout=5
    )
    refused = httpx.post(order_api.base_url + "/_sandbox/faults", json={"fault": "418"}, timeout=5)
    statuses = [client.post(order_api.endpoint, json=example_order()).status_code for _ in range(3)]
    shipped = httpx.post(
        order_api.base_url + "/_sandbox/shipments", json={"OrderNumber": "SO-000001"}, timeout=5
    )
    listed = httpx.get(order_api.base_url + "/_sandbox/orders", timeout=5)

    assert (queued.status_code, queued.json()) == (201, {"queued": 2, "pending": ["503", "503"]})
    assert refused.status_code == 400
    assert refused.json()["error"].startswith("unknown fault '418'")
    assert statuses == [503, 503, 201]
    assert shipped.status_code == 201
    orders = listed.json()["orders"]
    assert [(o["order_number"], o["external_document_number"], o["shipped"]) for o in orders] == [
        ("SO-000001", "5001", True)
    ]
    assert orders[0]["payload"]["lines"] == [{"sku": "FLX-1001", "quantity": 1, "unitPrice": 249.0}]


def test_request_log_masks_credentials(order_api: FlexitOrderApi, client: httpx.Client) -> None:
    client.post(order_api.endpoint, json=example_order())

    (seen,) = order_api.requests
    assert (seen.method, seen.path) == ("POST", "/order/api/order")
    assert seen.headers["client_id"] == "***"
    assert seen.headers["client_secret"] == "***"
    assert seen.json()["externalDocumentNumber"] == "5001"
    assert FLEXIT_CLIENT_SECRET not in repr(order_api.requests)


def test_concurrent_orders_get_distinct_numbers(
    order_api: FlexitOrderApi, flexit_headers: dict[str, str]
) -> None:
    numbers: list[str] = []

    def send(i: int) -> None:
        with httpx.Client(headers=flexit_headers, timeout=5) as http:
            numbers.append(
                http.post(order_api.endpoint, json=example_order(str(i))).json()["OrderNumber"]
            )

    threads = [threading.Thread(target=send, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(numbers) == [f"SO-{n:06d}" for n in range(1, 9)]
