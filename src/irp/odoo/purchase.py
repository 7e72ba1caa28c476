"""The purchase order of SPEC §9, as data: what IRP sends Odoo for one accepted order.

Pure functions over the stored order — no I/O — so the mapping is tested on its own:

- ``partner_id`` = the refurbisher's ``settings.odoo_vendor_id``;
- ``partner_ref`` = the refurbisher's order number (``orders.external_reference``);
- ``origin`` = the marketplace order number (the marketplace id when there is none);
- one line per order line: ``product_id`` (found by ``default_code`` = SKU, else
  ``barcode`` = EAN), ``name``, ``product_qty``, and ``price_unit`` = the purchase price
  snapshotted at intake, as the exact decimal (``200.00`` goes on the wire as the JSON
  number ``200.00``, never through a binary float);
- ``picking_type_id`` and ``dest_address_id`` (the customer's address) for a drop-ship
  set-up, ``company_id`` when configured.

Lines use Odoo's create command ``(0, 0, values)`` — ``[0, 0, {...}]`` in JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from irp.money import canonical_money
from irp.odoo.errors import OdooDataError
from irp.orders.intake import LineSnapshot

CREATE = 0  # Odoo's x2many command: (0, 0, values) creates a linked record


@dataclass(frozen=True)
class OrderToBook:
    """One accepted order, as the purchase order needs it."""

    order_id: str
    refurbisher: str
    order_number: str | None
    external_reference: str | None
    address: Mapping[str, Any] | None
    lines: Sequence[LineSnapshot]  # with the offer snapshot taken at intake

    @property
    def origin(self) -> str:
        """The PO's ``origin``: the marketplace order number (its id when absent)."""
        return self.order_number or self.order_id


def product_domain(lines: Sequence[LineSnapshot]) -> list[Any]:
    """One ``product.product`` search for every line: by SKU, or by EAN."""
    skus = sorted({line.sku for line in lines})
    eans = sorted({line.ean for line in lines if line.ean})
    by_code: list[Any] = ["default_code", "in", skus]
    if not eans:
        return [by_code]
    return ["|", by_code, ["barcode", "in", eans]]


def match_products(
    lines: Sequence[LineSnapshot], products: Sequence[Mapping[str, Any]]
) -> dict[int, int]:
    """``line_no -> product id`` for every line; OdooDataError naming every line that has none.

    A line takes the product whose ``default_code`` is its SKU; only when there is none,
    the one whose ``barcode`` is its EAN. Two candidates are an error too: guessing
    would book the wrong article.
    """
    found: dict[int, int] = {}
    problems: list[str] = []
    for line in lines:
        by_code = [p for p in products if p.get("default_code") == line.sku]
        by_barcode = [p for p in products if line.ean and p.get("barcode") == line.ean]
        if len(by_code) == 1 or (not by_code and len(by_barcode) == 1):
            found[line.line_no] = int((by_code or by_barcode)[0]["id"])
        elif len(by_code) > 1:
            problems.append(_ambiguous("default_code", line.sku, by_code))
        elif len(by_barcode) > 1:
            problems.append(_ambiguous("barcode", line.ean or "", by_barcode))
        else:
            missing = f"no product with default_code {line.sku}"
            problems.append(missing + (f" nor barcode {line.ean}" if line.ean else ""))
    if problems:
        raise OdooDataError(
            "; ".join(problems) + " — fix the products in Odoo (Internal Reference = SKU, "
            "Barcode = EAN); the order is booked on the next try"
        )
    return found


def line_values(line: LineSnapshot, product_id: int) -> dict[str, Any]:
    """One purchase order line: product, description, quantity, exact unit price."""
    if line.price_purchase_amount is None:
        raise OdooDataError(
            f"line {line.line_no} ({line.sku}) has no purchase price: intake took no "
            "snapshot of the offer, so there is no price to book"
        )
    return {
        "product_id": product_id,
        "name": f"[{line.sku}] {line.name}" if line.name else line.sku,
        "product_qty": line.quantity,
        "price_unit": canonical_money(line.price_purchase_amount),
    }


def purchase_order_values(
    order: OrderToBook,
    vendor_id: int,
    product_ids: Mapping[int, int],
    *,
    company_id: int | None = None,
    picking_type_id: int | None = None,
    dest_address_id: int | None = None,
) -> dict[str, Any]:
    """The values of ``purchase.order.create`` for ``order``.

    >>> purchase_order_values(order, 21469, {1: 7})["order_line"]  # doctest: +SKIP
    [[0, 0, {'product_id': 7, 'name': '[FLX-1001] ...', 'product_qty': 1,
             'price_unit': Decimal('200.00')}]]
    """
    values: dict[str, Any] = {
        "partner_id": vendor_id,
        "origin": order.origin,
    }
    if order.external_reference:
        values["partner_ref"] = order.external_reference
    if company_id is not None:
        values["company_id"] = company_id
    if picking_type_id is not None:
        values["picking_type_id"] = picking_type_id
    if dest_address_id is not None:
        values["dest_address_id"] = dest_address_id
    values["order_line"] = [
        [CREATE, 0, line_values(line, product_ids[line.line_no])] for line in order.lines
    ]
    return values


def delivery_address_values(address: Mapping[str, Any], country_id: int | None) -> dict[str, Any]:
    """A ``res.partner`` of type ``delivery`` for the customer's address."""
    values: dict[str, Any] = {
        "name": str(address.get("full_name") or ""),
        "type": "delivery",
        "street": str(address.get("full_address") or ""),
        "zip": str(address.get("zipcode") or ""),
        "city": str(address.get("city") or ""),
    }
    if country_id is not None:
        values["country_id"] = country_id
    return values


def _ambiguous(field: str, value: str, products: Sequence[Mapping[str, Any]]) -> str:
    ids = ", ".join(str(p["id"]) for p in products)
    return f"{len(products)} products with {field} {value} (ids {ids}): make it unique"
