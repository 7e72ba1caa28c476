"""The template context of an order: what ``order_object`` / ``item_object`` paths see.

The context is built from what intake stored — the normalised order (``orders.content``)
and the offer snapshot on each line (``order_lines``) — never from the live offers, so
an order renders the same payload on every attempt even after the feed changed.

Shape (SPEC §3 "Template context")::

    {"id": "5001",
     "order": {"order_number": "IU-100234"},
     "orderShippingAddress": {"full_name", "full_address", "zipcode", "city",
                              "country"},            # country: ISO alpha-2
     "items": [{"quantity": 1,
                "unit_price_tax_excl": Decimal("249.00"),
                "productVariant": {"refurbisherOffer": {
                    "sku", "ean", "name",
                    "price_purchase_amount", "price_selling_amount"}}}]}

Money is ``Decimal`` in its canonical form (:func:`canonical_money`): at least two
decimals, no trailing zeros beyond them (``249.0000`` as stored -> ``249.00``;
``0.1250`` -> ``0.125``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, cast

import sqlalchemy as sa

from irp.money import canonical_money

ADDRESS_FIELDS = ("full_name", "full_address", "zipcode", "city", "country")


def _money(value: object) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, float):  # never: the store and intake hand out Decimal
        raise TypeError(f"money must be Decimal, got float {value!r}")
    return canonical_money(Decimal(str(value)) if not isinstance(value, Decimal) else value)


def _as_mapping(row: Mapping[str, Any] | sa.Row[Any]) -> Mapping[str, Any]:
    if isinstance(row, sa.Row):
        return cast("Mapping[str, Any]", row._mapping)
    return row


def build_context(
    order_row: Mapping[str, Any] | sa.Row[Any],
    lines: Iterable[Mapping[str, Any] | sa.Row[Any]],
) -> dict[str, Any]:
    """The template context for one stored order (SPEC §3), from its row and its lines.

    ``order_row`` is an ``orders`` row (or a mapping with ``id``, ``order_number`` and
    ``content``, the normalised inbound order); ``lines`` are its ``order_lines`` rows,
    taken in ``line_no`` order when they carry one.
    """
    order = _as_mapping(order_row)
    content = order["content"] or {}
    address = content.get("shipping_address") or {}
    line_maps = [_as_mapping(line) for line in lines]
    line_maps.sort(key=lambda line: int(line.get("line_no") or 0))
    return {
        "id": str(order["id"]),
        "order": {"order_number": order.get("order_number") or content.get("order_number")},
        "orderShippingAddress": {name: address.get(name) for name in ADDRESS_FIELDS},
        "items": [_item_context(line) for line in line_maps],
    }


def _item_context(line: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "quantity": int(line["quantity"]),
        "unit_price_tax_excl": _money(line["unit_price_tax_excl"]),
        "productVariant": {
            "refurbisherOffer": {
                "sku": line["sku"],
                "ean": line.get("ean"),
                "name": line.get("name"),
                "price_purchase_amount": _money(line.get("price_purchase_amount")),
                "price_selling_amount": _money(line.get("price_selling_amount")),
            }
        },
    }
