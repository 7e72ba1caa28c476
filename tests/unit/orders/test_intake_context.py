"""build_context: the SPEC §3 context shape, and the FlexIT payload rendered from it."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from irp.config import load_config
from irp.money import canonical_money
from irp.orders.context import build_context
from irp.sandbox.flexit import example_inbound_order
from irp.template.payload_json import encode_payload
from tests.unit.orders.flexit_example import EXPECTED_FLEXIT_PAYLOAD

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "flexit.json"

ORDER_ROW: dict[str, Any] = {
    "id": "5001",
    "order_number": "IU-100234",
    "content": example_inbound_order(currency="EUR"),
}
# As the store hands them back: Money columns padded to four decimals.
LINES: list[dict[str, Any]] = [
    {
        "line_no": 1,
        "sku": "FLX-1001",
        "ean": "8712345678906",
        "name": "iPhone 12 128GB",
        "quantity": 1,
        "unit_price_tax_excl": Decimal("249.0000"),
        "price_purchase_amount": Decimal("200.0000"),
        "price_selling_amount": Decimal("249.0000"),
    }
]


def test_context_of_the_spec_example_has_exactly_the_documented_shape() -> None:
    context = build_context(ORDER_ROW, LINES)
    assert context == {
        "id": "5001",
        "order": {"order_number": "IU-100234"},
        "orderShippingAddress": {
            "full_name": "Jan Jansen",
            "full_address": "Damrak 1",
            "zipcode": "1012 AB",
            "city": "Amsterdam",
            "country": "NL",
        },
        "items": [
            {
                "quantity": 1,
                "unit_price_tax_excl": Decimal("249.00"),
                "productVariant": {
                    "refurbisherOffer": {
                        "sku": "FLX-1001",
                        "ean": "8712345678906",
                        "name": "iPhone 12 128GB",
                        "price_purchase_amount": Decimal("200.00"),
                        "price_selling_amount": Decimal("249.00"),
                    }
                },
            }
        ],
    }
    assert str(context["items"][0]["unit_price_tax_excl"]) == "249.00"


def test_context_orders_items_by_line_number() -> None:
    second = {**LINES[0], "line_no": 2, "sku": "FLX-1002", "quantity": 2}
    context = build_context(ORDER_ROW, [second, LINES[0]])
    skus = [item["productVariant"]["refurbisherOffer"]["sku"] for item in context["items"]]
    assert skus == ["FLX-1001", "FLX-1002"]


@pytest.mark.parametrize(
    ("stored", "canonical"),
    [("249.0000", "249.00"), ("249.1000", "249.10"), ("0.1250", "0.125"), ("7", "7.00")],
)
def test_money_is_canonical(stored: str, canonical: str) -> None:
    assert str(canonical_money(Decimal(stored))) == canonical


def test_flexit_example_template_renders_the_payload_flexit_expects(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FLEXIT_SFTP_PASSWORD", "sftp-pw")
    monkeypatch.setenv("FLEXIT_CLIENT_ID", "client-id")
    monkeypatch.setenv("FLEXIT_CLIENT_SECRET", "client-secret")
    order_config = load_config(EXAMPLE, "acceptance").refurbishers["flexit"].order
    assert order_config is not None
    payload = order_config.template.render(build_context(ORDER_ROW, LINES))
    wire = encode_payload(payload)
    assert json.loads(wire, parse_float=Decimal) == EXPECTED_FLEXIT_PAYLOAD
    assert b'"customerNumber":218535,' in wire
    assert b'"isBlindShip":true' in wire
    assert wire.endswith(b'"lines":[{"sku":"FLX-1001","quantity":1,"unitPrice":249.00}]}')
