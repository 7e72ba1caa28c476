"""The Odoo client on both APIs against the sandbox Odoo: calls, and errors to act on."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest

from irp.odoo.client import OdooClient
from irp.odoo.errors import (
    OdooAccessError,
    OdooAuthError,
    OdooConnectionError,
    OdooDatabaseError,
    OdooNoAnswerError,
    OdooNotFoundError,
    OdooRequestError,
    OdooServerError,
)
from irp.odoo.json2 import Json2Transport
from irp.odoo.jsonrpc import JsonRpcTransport
from irp.sandbox.odoo import FLEXIT_VENDOR_ID, OdooSimulator
from tests.fixtures.odoo import ODOO_API_KEY, MakeOdoo

APIS = ["json2", "jsonrpc"]


@contextmanager
def client_for(
    odoo: OdooSimulator,
    api: str,
    *,
    key: str = ODOO_API_KEY,
    database: str | None = None,
    url: str | None = None,
    read_timeout: float = 5.0,
) -> Iterator[OdooClient]:
    where = url or odoo.url
    db = database or odoo.database
    transport: Json2Transport | JsonRpcTransport
    if api == "json2":
        transport = Json2Transport(
            where, database=db, api_key=key, connect_timeout=2, read_timeout=read_timeout
        )
    else:
        transport = JsonRpcTransport(
            where,
            database=db,
            login=odoo.login,
            api_key=key,
            connect_timeout=2,
            read_timeout=read_timeout,
        )
    client = OdooClient(transport)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(params=APIS)
def api(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def odoo(api: str, make_odoo: MakeOdoo) -> OdooSimulator:
    return make_odoo(major_version=19 if api == "json2" else 17)


def test_orm_calls_work_the_same_on_both_apis(api: str, odoo: OdooSimulator) -> None:
    with client_for(odoo, api) as client:
        version = client.version()
        products = client.search_read(
            "product.product",
            ["|", ("default_code", "in", ["FLX-1001"]), ("barcode", "in", ["0"])],
            ["default_code", "barcode"],
        )
        po_id = client.create(
            "purchase.order",
            {
                "partner_id": FLEXIT_VENDOR_ID,
                "origin": "IU-1",
                "order_line": [
                    [0, 0, {"product_id": 1, "product_qty": 3, "price_unit": Decimal("19.99")}]
                ],
            },
        )
        draft = client.read("purchase.order", [po_id], ["name", "state", "partner_id"])
        client.call_button("purchase.order", "button_confirm", [po_id])
        count = client.search_count("purchase.order", [("state", "=", "purchase")])
        rights = client.has_access("purchase.order", "create")

    assert version == ("19.0" if api == "json2" else "17.0")
    assert products == [{"id": 1, "default_code": "FLX-1001", "barcode": "8712345678906"}]
    assert draft == [
        {
            "id": po_id,
            "name": "P00001",
            "state": "draft",
            "partner_id": [FLEXIT_VENDOR_ID, "FlexIT Distribution B.V."],
        }
    ]
    assert (count, rights) == (1, True)
    assert odoo.purchase_orders()[0]["lines"][0]["price_unit"] == Decimal("19.99")


def test_company_id_goes_in_every_context(odoo_sim: OdooSimulator) -> None:
    transport = Json2Transport(odoo_sim.url, database=odoo_sim.database, api_key=ODOO_API_KEY)
    client = OdooClient(transport, company_id=1)
    try:
        client.search_count("purchase.order", [])
    finally:
        client.close()

    assert odoo_sim.requests[-1].body == ('{"context":{"allowed_company_ids":[1]},"domain":[]}')


def test_refused_key_names_the_setting_and_hides_the_key(api: str, odoo: OdooSimulator) -> None:
    wrong = "not-the-key-0123456789abcdef"
    with client_for(odoo, api, key=wrong) as client, pytest.raises(OdooAuthError) as raised:
        client.search_count("purchase.order", [])

    expected = {
        "json2": "purchase.order.search_count: Odoo answered 401 (Invalid apikey): the API key "
        "was refused; check platform.odoo.api_key (keys expire: at most three months in "
        "Odoo 19)",
        "jsonrpc": "Odoo refused login 'irp-bot@example.com' with the API key on database "
        "'marketplace': check platform.odoo.login and platform.odoo.api_key",
    }
    assert str(raised.value) == expected[api]


def test_unknown_database_is_told_apart_from_a_refused_key(api: str, odoo: OdooSimulator) -> None:
    with (
        client_for(odoo, api, database="marketplace-acc") as client,
        pytest.raises(OdooDatabaseError) as raised,
    ):
        client.search_count("purchase.order", [])

    expected = {
        "json2": "purchase.order.search_count: Odoo answered 404 without an Odoo error: there "
        f"is no database 'marketplace-acc' at {odoo.url} (Odoo then serves no /json/2 route); "
        "check platform.odoo.database and platform.odoo.url",
        "jsonrpc": "common.authenticate: Odoo answered psycopg2.OperationalError: there is no "
        f"database 'marketplace-acc' at {odoo.url}; check platform.odoo.database",
    }
    assert str(raised.value) == expected[api]


def test_unreachable_url_names_the_setting(api: str, odoo: OdooSimulator) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with client_for(odoo, api, url=url) as client, pytest.raises(OdooConnectionError) as raised:
        client.search_count("purchase.order", [])

    assert str(raised.value).startswith(f"cannot reach Odoo at {url} (")
    assert str(raised.value).endswith("; check platform.odoo.url and that Odoo is running")


def test_missing_access_right_names_the_right(api: str, odoo: OdooSimulator) -> None:
    odoo.orm.deny("purchase.order", "create")
    with client_for(odoo, api) as client:
        allowed = client.has_access("purchase.order", "create")
        with pytest.raises(OdooAccessError) as raised:
            client.create("purchase.order", {"partner_id": FLEXIT_VENDOR_ID})

    assert allowed is False
    message = str(raised.value)
    assert "You are not allowed to create 'Purchase Order' (purchase.order) records." in message
    assert message.endswith("(e.g. the Purchase / User group)")
    assert odoo.purchase_orders() == []


def test_missing_record_and_unknown_model_are_not_found(api: str, odoo: OdooSimulator) -> None:
    with client_for(odoo, api) as client:
        with pytest.raises(OdooNotFoundError) as record:
            client.read("res.partner", [99], ["name"])
        with pytest.raises(OdooNotFoundError) as model:
            client.search_count("purchase.requisition", [])

    assert "Record does not exist or has been deleted. (Record: res.partner(99,), User: 2)" in str(
        record.value
    )
    expected = {
        "json2": "purchase.requisition.search_count: Odoo answered 404: the model "
        "'purchase.requisition' does not exist (werkzeug.exceptions.NotFound)",
        "jsonrpc": "purchase.requisition.search_count: Odoo answered builtins.KeyError: "
        "'purchase.requisition'",
    }
    assert str(model.value) == expected[api]


def test_refused_values_are_a_request_error(api: str, odoo: OdooSimulator) -> None:
    with client_for(odoo, api) as client, pytest.raises(OdooRequestError) as raised:
        client.create("purchase.order", {"partner_id": FLEXIT_VENDOR_ID, "order_line": [[4, 1]]})

    assert "order_line: unsupported x2many command [4, 1]" in str(raised.value)


def test_timeout_after_create_is_a_lost_answer(api: str, odoo: OdooSimulator) -> None:
    odoo.inject("timeout_after_create", seconds=3)
    with (
        client_for(odoo, api, read_timeout=0.3) as client,
        pytest.raises(OdooNoAnswerError) as raised,
    ):
        client.create("purchase.order", {"partner_id": FLEXIT_VENDOR_ID})

    assert str(raised.value) == (
        "no answer from Odoo within 0.3 s (purchase.order.create); Odoo may still have "
        "acted on it (platform.odoo.read_timeout)"
    )
    assert len(odoo.purchase_orders()) == 1


def test_server_errors_are_retriable_server_errors(api: str, odoo: OdooSimulator) -> None:
    odoo.inject("503", on="search_count")
    with client_for(odoo, api) as client, pytest.raises(OdooServerError) as raised:
        client.search_count("purchase.order", [])

    assert raised.value.status == 503
    endpoint = (
        f"{odoo.url}/json/2/purchase.order/search_count"
        if api == "json2"
        else (f"{odoo.url}/jsonrpc")
    )
    page = "an HTML page titled '503 Service Temporarily Unavailable'"
    assert str(raised.value) == (
        f"purchase.order.search_count: Odoo answered 503: {page}"
        if api == "json2"
        else f"purchase.order.search_count: {endpoint} answered 503: {page}; Odoo or a proxy "
        "before it failed"
    )


def test_unexpected_server_error_is_a_server_error(api: str, odoo: OdooSimulator) -> None:
    odoo.inject("500", on="search_count")
    with client_for(odoo, api) as client, pytest.raises(OdooServerError) as raised:
        client.search_count("purchase.order", [])

    expected = {
        "json2": "purchase.order.search_count: Odoo answered 500: internal server error",
        "jsonrpc": "purchase.order.search_count: Odoo answered builtins.RuntimeError: internal "
        "server error",
    }
    assert str(raised.value) == expected[api]
