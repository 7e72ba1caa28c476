"""The purchase order as data (SPEC §9): products by SKU then EAN, exact prices, no guesses."""

from __future__ import annotations

from decimal import Decimal

import pytest

from irp.odoo.errors import OdooDataError
from irp.odoo.purchase import (
    OrderToBook,
    delivery_address_values,
    match_products,
    product_domain,
    purchase_order_values,
)
from irp.odoo.push import backoff_seconds
from irp.orders.intake import LineSnapshot
from irp.template.payload_json import encode_payload


def _line(no: int = 1, sku: str = "FLX-1001", ean: str | None = "8712345678906", **kw: object):
    values: dict[str, object] = {
        "name": "iPhone 13",
        "quantity": 1,
        "price_purchase_amount": Decimal("200.0000"),
        "unit_price_tax_excl": Decimal("249.00"),
        "price_selling_amount": Decimal("299.00"),
    }
    values.update(kw)
    return LineSnapshot(line_no=no, sku=sku, ean=ean, **values)  # type: ignore[arg-type]


def _order(*lines: LineSnapshot, number: str | None = "IU-100234") -> OrderToBook:
    return OrderToBook(
        order_id="5001",
        refurbisher="flexit",
        order_number=number,
        external_reference="SO-000001",
        address=None,
        lines=list(lines) or [_line()],
    )


def test_one_search_finds_every_line_by_sku_or_ean() -> None:
    lines = [_line(1, "FLX-1001", "8712345678906"), _line(2, "FLX-1002", None)]

    assert product_domain(lines) == [
        "|",
        ["default_code", "in", ["FLX-1001", "FLX-1002"]],
        ["barcode", "in", ["8712345678906"]],
    ]
    assert product_domain([_line(ean=None)]) == [["default_code", "in", ["FLX-1001"]]]


def test_sku_wins_over_barcode_and_barcode_is_the_fallback() -> None:
    products = [
        {"id": 7, "default_code": "FLX-1001", "barcode": False},
        {"id": 8, "default_code": "OTHER", "barcode": "8712345678906"},
        {"id": 9, "default_code": False, "barcode": "8712345678913"},
    ]
    lines = [_line(1), _line(2, "FLX-1002", "8712345678913")]

    assert match_products(lines, products) == {1: 7, 2: 9}


def test_every_missing_product_is_named_in_one_error() -> None:
    lines = [_line(1, "FLX-1001", None), _line(2, "FLX-1002", "8712345678913")]

    with pytest.raises(OdooDataError) as raised:
        match_products(lines, [])

    assert str(raised.value) == (
        "no product with default_code FLX-1001; no product with default_code FLX-1002 nor "
        "barcode 8712345678913 — fix the products in Odoo (Internal Reference = SKU, "
        "Barcode = EAN); the order is booked on the next try"
    )


def test_two_products_with_the_same_code_are_an_error_not_a_guess() -> None:
    products = [
        {"id": 7, "default_code": "FLX-1001", "barcode": False},
        {"id": 11, "default_code": "FLX-1001", "barcode": False},
    ]

    with pytest.raises(OdooDataError) as raised:
        match_products([_line()], products)

    assert str(raised.value).startswith(
        "2 products with default_code FLX-1001 (ids 7, 11): make it unique"
    )


def test_values_map_the_order_onto_a_purchase_order_with_exact_prices() -> None:
    order = _order(
        _line(1, quantity=2, price_purchase_amount=Decimal("200.1000")),
        _line(2, "FLX-1002", None, name=None, price_purchase_amount=Decimal("0.1250")),
    )

    values = purchase_order_values(order, 21469, {1: 7, 2: 9})

    assert values == {
        "partner_id": 21469,
        "origin": "IU-100234",
        "partner_ref": "SO-000001",
        "order_line": [
            [
                0,
                0,
                {
                    "product_id": 7,
                    "name": "[FLX-1001] iPhone 13",
                    "product_qty": 2,
                    "price_unit": Decimal("200.10"),
                },
            ],
            [
                0,
                0,
                {
                    "product_id": 9,
                    "name": "FLX-1002",
                    "product_qty": 1,
                    "price_unit": Decimal("0.125"),
                },
            ],
        ],
    }
    wire = encode_payload(values).decode()
    assert '"price_unit":200.10}' in wire
    assert '"price_unit":0.125}' in wire


def test_drop_ship_company_and_picking_type_are_added_when_configured() -> None:
    values = purchase_order_values(
        _order(number=None), 21469, {1: 7}, company_id=1, picking_type_id=7, dest_address_id=44
    )

    assert values["origin"] == "5001"  # no marketplace number: the marketplace id
    assert (values["company_id"], values["picking_type_id"], values["dest_address_id"]) == (
        1,
        7,
        44,
    )


def test_a_line_without_purchase_price_cannot_be_booked() -> None:
    with pytest.raises(OdooDataError) as raised:
        purchase_order_values(_order(_line(price_purchase_amount=None)), 21469, {1: 7})

    assert str(raised.value) == (
        "line 1 (FLX-1001) has no purchase price: intake took no snapshot of the offer, so "
        "there is no price to book"
    )


def test_delivery_address_is_a_delivery_contact() -> None:
    address = {
        "full_name": "Jan Jansen",
        "full_address": "Damrak 1",
        "zipcode": "1012 AB",
        "city": "Amsterdam",
        "country": "NL",
    }

    assert delivery_address_values(address, 1) == {
        "name": "Jan Jansen",
        "type": "delivery",
        "street": "Damrak 1",
        "zip": "1012 AB",
        "city": "Amsterdam",
        "country_id": 1,
    }


def test_backoff_doubles_from_30_seconds_and_stops_at_an_hour() -> None:
    assert [backoff_seconds(n) for n in (1, 2, 3, 8, 20)] == [30.0, 60.0, 120.0, 3600.0, 3600.0]
