"""Booking one order in Odoo: find it, or check everything and create it, then confirm.

The order of the calls is the exactly-once rule of SPEC §9:

1. :func:`find_purchase_order` — ``purchase.order`` by ``origin`` + ``partner_id``; a
   found PO is linked (and confirmed if still a draft), never created again. This is
   also how a create whose answer was lost is settled: the next try finds it;
2. :func:`prepare_purchase_order` — every product looked up (one search for all
   lines), the drop-ship address found or created, the values built; a missing
   product raises before anything is created, so there is never a half-made PO;
3. :func:`create_purchase_order` — one ``create`` (order and lines in one call, so one
   Odoo transaction), ``button_confirm`` when ``confirm``, and the PO's name read back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from irp.config.odoo import OdooConfig
from irp.odoo.client import OdooClient
from irp.odoo.purchase import (
    OrderToBook,
    delivery_address_values,
    match_products,
    product_domain,
    purchase_order_values,
)

PURCHASE_ORDER = "purchase.order"
DRAFT_STATES = frozenset({"draft", "sent"})  # what button_confirm moves to "purchase"
_PO_FIELDS = ["id", "name", "state"]


@dataclass(frozen=True)
class Booking:
    """The purchase order an order is booked as."""

    po_id: int
    po_name: str
    state: str
    created: bool  # False: an existing PO (found by origin + vendor) was linked

    def to_json(self) -> dict[str, Any]:
        return {"id": self.po_id, "name": self.po_name, "state": self.state}


def find_purchase_order(
    client: OdooClient, order: OrderToBook, vendor_id: int, *, confirm: bool
) -> Booking | None:
    """The PO already booked for ``order`` (the oldest, if several), confirmed if asked."""
    domain = [("origin", "=", order.origin), ("partner_id", "=", vendor_id)]
    found = client.search_read(PURCHASE_ORDER, domain, _PO_FIELDS, order="id asc", limit=1)
    if not found:
        return None
    return _confirmed(client, found[0], confirm=confirm, created=False)


def prepare_purchase_order(
    client: OdooClient, order: OrderToBook, vendor_id: int, settings: OdooConfig
) -> dict[str, Any]:
    """The create values for ``order``; OdooDataError, nothing created, for a missing product."""
    products = client.search_read(
        "product.product", product_domain(order.lines), ["id", "default_code", "barcode"]
    )
    product_ids = match_products(order.lines, products)
    dest_address_id = None
    if settings.picking_type is not None and order.address:
        dest_address_id = delivery_address(client, order.address)
    return purchase_order_values(
        order,
        vendor_id,
        product_ids,
        company_id=settings.company_id,
        picking_type_id=settings.picking_type,
        dest_address_id=dest_address_id,
    )


def create_purchase_order(
    client: OdooClient, values: Mapping[str, Any], *, confirm: bool
) -> Booking:
    """Create the PO (with its lines), confirm it if asked, and read its name back."""
    po_id = client.create(PURCHASE_ORDER, values)
    record: dict[str, Any] = {"id": po_id, "state": "draft"}
    return _confirmed(client, record, confirm=confirm, created=True)


def delivery_address(client: OdooClient, address: Mapping[str, Any]) -> int:
    """The ``res.partner`` (type delivery) for the customer's address: found, else created.

    Found by every field it is created with, so a retry after a lost answer finds the
    partner the first try made instead of making a second one.
    """
    country_id = _country_id(client, address.get("country"))
    values = delivery_address_values(address, country_id)
    domain = [(key, "=", value) for key, value in values.items()]
    found = client.search_read("res.partner", domain, ["id"], order="id asc", limit=1)
    if found:
        return int(found[0]["id"])
    return client.create("res.partner", values)


def _country_id(client: OdooClient, code: Any) -> int | None:
    if not isinstance(code, str) or not code:
        return None
    found = client.search_read("res.country", [("code", "=", code.upper())], ["id"], limit=1)
    return int(found[0]["id"]) if found else None


def _confirmed(
    client: OdooClient, record: Mapping[str, Any], *, confirm: bool, created: bool
) -> Booking:
    po_id = int(record["id"])
    if confirm and record.get("state") in DRAFT_STATES:
        client.call_button(PURCHASE_ORDER, "button_confirm", [po_id])
        record = {}
    if "name" not in record:
        read = client.read(PURCHASE_ORDER, [po_id], _PO_FIELDS)
        record = read[0] if read else {"id": po_id, "name": "", "state": "unknown"}
    return Booking(po_id, str(record.get("name") or ""), str(record.get("state")), created)
