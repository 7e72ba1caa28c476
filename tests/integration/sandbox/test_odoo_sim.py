"""The sandbox Odoo answers like Odoo where IRP touches it (raw HTTP, no IRP client)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from irp.sandbox.odoo import FLEXIT_VENDOR_ID, OdooSimulator
from tests.fixtures.odoo import ODOO_API_KEY, MakeOdoo


def _json2(
    odoo: OdooSimulator, model: str, method: str, body: dict[str, Any], **headers: str
) -> httpx.Response:
    sent = {
        "Authorization": f"bearer {ODOO_API_KEY}",
        "X-Odoo-Database": odoo.database,
        **headers,
    }
    return httpx.post(f"{odoo.url}/json/2/{model}/{method}", json=body, headers=sent)


def _rpc(odoo: OdooSimulator, service: str, method: str, *args: Any) -> dict[str, Any]:
    envelope = {
        "jsonrpc": "2.0",
        "method": "call",
        "id": 7,
        "params": {"service": service, "method": method, "args": list(args)},
    }
    response = httpx.post(f"{odoo.url}/jsonrpc", json=envelope)
    assert response.status_code == 200
    return dict(response.json())


def test_version_needs_no_key(odoo_sim: OdooSimulator) -> None:
    response = httpx.get(f"{odoo_sim.url}/web/version")

    assert response.json() == {"version_info": [19, 0, 0, "final", 0, ""], "version": "19.0"}


def test_json2_refuses_a_bad_key_with_odoo_401_body(odoo_sim: OdooSimulator) -> None:
    response = _json2(odoo_sim, "res.partner", "search_read", {}, Authorization="bearer nope")

    assert response.status_code == 401
    body = response.json()
    assert {k: body[k] for k in ("name", "message", "arguments", "context")} == {
        "name": "werkzeug.exceptions.Unauthorized",
        "message": "Invalid apikey",
        "arguments": ["Invalid apikey", 401],
        "context": {},
    }


def test_json2_on_an_unknown_database_is_werkzeugs_html_404(odoo_sim: OdooSimulator) -> None:
    response = _json2(odoo_sim, "res.partner", "search_read", {}, **{"X-Odoo-Database": "x"})

    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "<title>404 Not Found</title>" in response.text


@pytest.mark.parametrize(
    ("model", "method", "body", "status", "message"),
    [
        (
            "res.partner",
            "frobnicate",
            {},
            404,
            "The method 'res.partner.frobnicate' does not exist",
        ),
        (
            "no.such.model",
            "search",
            {"domain": []},
            404,
            "the model 'no.such.model' does not exist",
        ),
        (
            "res.partner",
            "search_read",
            {"colour": "red"},
            422,
            "got an unexpected keyword argument 'colour'",
        ),
        ("res.partner", "search", {}, 422, "missing a required argument: 'domain'"),
        (
            "purchase.order",
            "create",
            {"ids": [1], "vals_list": []},
            422,
            "cannot call purchase.order.create with ids",
        ),
        (
            "res.partner",
            "read",
            {"ids": [404], "fields": ["name"]},
            404,
            "Record does not exist or has been deleted.\n(Record: res.partner(404,), User: 2)",
        ),
        (
            "purchase.order",
            "create",
            {"vals_list": [{"partner_id": FLEXIT_VENDOR_ID, "order_line": [[1, 5, {}]]}]},
            422,
            "order_line: unsupported x2many command [1, 5, {}]",
        ),
        (
            "purchase.order",
            "create",
            {"vals_list": [{"origin": "x"}]},
            422,
            "The operation cannot be completed: a mandatory field is not set.\n"
            "Model: Purchase Order (purchase.order)\nField: partner_id",
        ),
    ],
    ids=[
        "method",
        "model",
        "kwarg",
        "required",
        "ids-on-model-method",
        "missing",
        "command",
        "mandatory",
    ],
)
def test_json2_errors_have_odoos_status_and_message(
    odoo_sim: OdooSimulator,
    model: str,
    method: str,
    body: dict[str, Any],
    status: int,
    message: str,
) -> None:
    response = _json2(odoo_sim, model, method, body)

    assert (response.status_code, response.json()["message"]) == (status, message)


def test_access_rights_are_checked_per_model_and_operation(odoo_sim: OdooSimulator) -> None:
    odoo_sim.orm.deny("purchase.order", "create")

    denied = _json2(odoo_sim, "purchase.order", "create", {"vals_list": [{"partner_id": 1}]})
    has = _json2(odoo_sim, "purchase.order", "has_access", {"operation": "create"})
    read = _json2(odoo_sim, "purchase.order", "search_count", {"domain": []})

    assert (denied.status_code, denied.json()["name"]) == (403, "odoo.exceptions.AccessError")
    assert (has.json(), read.json()) == (False, 0)


def test_create_commands_make_lines_and_confirm_moves_draft_to_purchase(
    odoo_sim: OdooSimulator,
) -> None:
    line = {"product_id": 1, "name": "x", "product_qty": 2, "price_unit": 10.5}
    created = _json2(
        odoo_sim,
        "purchase.order",
        "create",
        {
            "vals_list": [
                {
                    "partner_id": FLEXIT_VENDOR_ID,
                    "origin": "IU-1",
                    "order_line": [[0, 0, line], [0, 0, {**line, "product_qty": 1}]],
                }
            ]
        },
    )
    [po_id] = created.json()
    confirmed = _json2(odoo_sim, "purchase.order", "button_confirm", {"ids": [po_id]})
    read = _json2(
        odoo_sim,
        "purchase.order",
        "read",
        {"ids": [po_id], "fields": ["name", "state", "order_line", "amount_total"]},
    )

    assert confirmed.json() is True
    assert read.json() == [
        {
            "id": po_id,
            "name": "P00001",
            "state": "purchase",
            "order_line": [1, 2],
            "amount_total": 31.5,
        }
    ]


def test_domains_use_prefix_operators_and_hide_archived_records(
    odoo_sim: OdooSimulator,
) -> None:
    odoo_sim.add_product("OLD-1", barcode="4006381333931", name="archived")
    odoo_sim.orm.update("product.product", 2, {"active": False})
    domain = ["|", ["default_code", "=", "FLX-1001"], ["barcode", "=", "4006381333931"]]

    visible = _json2(odoo_sim, "product.product", "search", {"domain": domain})
    everything = _json2(
        odoo_sim,
        "product.product",
        "search",
        {"domain": ["&", ["active", "in", [True, False]], *domain]},
    )

    assert (visible.json(), everything.json()) == ([1], [1, 2])


def test_jsonrpc_authenticates_and_reports_errors_in_the_envelope(make_odoo: MakeOdoo) -> None:
    odoo = make_odoo(major_version=17)
    uid = _rpc(odoo, "common", "authenticate", odoo.database, odoo.login, ODOO_API_KEY, {})
    wrong = _rpc(odoo, "common", "authenticate", odoo.database, odoo.login, "nope", {})
    denied = _rpc(
        odoo, "object", "execute_kw", odoo.database, 2, "nope", "res.partner", "search", [[]]
    )
    no_db = _rpc(odoo, "common", "authenticate", "nope", odoo.login, ODOO_API_KEY, {})
    created = _rpc(
        odoo,
        "object",
        "execute_kw",
        odoo.database,
        2,
        ODOO_API_KEY,
        "purchase.order",
        "create",
        [{"partner_id": FLEXIT_VENDOR_ID}],
    )
    json2 = httpx.post(f"{odoo.url}/json/2/res.partner/search", json={"domain": []})

    assert (uid["result"], wrong["result"], created["result"]) == (2, False, 1)
    assert denied["error"]["code"] == 200
    assert denied["error"]["message"] == "Odoo Server Error"
    assert (denied["error"]["data"]["name"], denied["error"]["data"]["message"]) == (
        "odoo.exceptions.AccessDenied",
        "Access Denied",
    )
    assert no_db["error"]["data"]["message"].endswith('FATAL:  database "nope" does not exist')
    assert json2.status_code == 404  # Odoo 17 has no JSON-2


def test_timeout_after_create_creates_and_never_answers(odoo_sim: OdooSimulator) -> None:
    odoo_sim.inject("timeout_after_create", seconds=3)

    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            f"{odoo_sim.url}/json/2/purchase.order/create",
            json={"vals_list": [{"partner_id": FLEXIT_VENDOR_ID}]},
            headers={"Authorization": f"bearer {ODOO_API_KEY}"},
            timeout=0.3,
        )

    assert [po["partner_id"] for po in odoo_sim.purchase_orders()] == [FLEXIT_VENDOR_ID]
