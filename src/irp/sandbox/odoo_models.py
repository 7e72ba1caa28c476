"""The sandbox Odoo's schema: its models, their fields, the public methods, Odoo's errors.

What :mod:`irp.sandbox.odoo_orm` serves — each model with its fields and defaults,
many2one targets, required fields and one2many lines, and each method with its
parameters (as Odoo's signatures name them) and the versions that have it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

__all__ = [
    "METHODS",
    "MODELS",
    "OPERATION_OF",
    "MethodSpec",
    "ModelSpec",
    "OdooException",
    "bad_arguments",
    "user_error",
]


class OdooException(Exception):
    """An exception as Odoo serialises it: ``name`` (dotted), ``message``, HTTP ``status``."""

    def __init__(self, name: str, message: str, status: int) -> None:
        self.name = name
        self.message = message
        self.status = status
        super().__init__(message)


def user_error(message: str) -> OdooException:
    return OdooException("odoo.exceptions.UserError", message, 422)


def bad_arguments(message: str) -> OdooException:
    return OdooException("builtins.TypeError", message, 422)


@dataclass(frozen=True)
class ModelSpec:
    """A model: its label, fields with defaults, relations, required fields."""

    label: str
    fields: Mapping[str, Any]
    many2one: Mapping[str, str]
    required: tuple[str, ...] = ()
    one2many: Mapping[str, tuple[str, str]] | None = None  # field -> (model, inverse)


MODELS: dict[str, ModelSpec] = {
    "res.partner": ModelSpec(
        "Contact",
        {
            "name": "",
            "supplier_rank": 0,
            "type": "contact",
            "street": False,
            "zip": False,
            "city": False,
            "country_id": False,
            "active": True,
        },
        {"country_id": "res.country"},
        ("name",),
    ),
    "res.country": ModelSpec("Country", {"name": "", "code": ""}, {}, ("name", "code")),
    "res.company": ModelSpec("Companies", {"name": ""}, {}, ("name",)),
    "res.users": ModelSpec("User", {"name": "", "login": ""}, {}, ("login",)),
    "product.product": ModelSpec(
        "Product Variant",
        {"name": "", "default_code": False, "barcode": False, "active": True},
        {},
        ("name",),
    ),
    "stock.picking.type": ModelSpec(
        "Picking Type", {"name": "", "code": "incoming"}, {}, ("name",)
    ),
    "purchase.order": ModelSpec(
        "Purchase Order",
        {
            "name": "",
            "partner_id": False,
            "partner_ref": False,
            "origin": False,
            "state": "draft",
            "company_id": 1,
            "picking_type_id": 1,
            "dest_address_id": False,
            "date_order": False,
            "date_approve": False,
            "amount_total": Decimal("0"),
            "order_line": [],
        },
        {
            "partner_id": "res.partner",
            "company_id": "res.company",
            "picking_type_id": "stock.picking.type",
            "dest_address_id": "res.partner",
        },
        ("partner_id",),
        {"order_line": ("purchase.order.line", "order_id")},
    ),
    "purchase.order.line": ModelSpec(
        "Purchase Order Line",
        {
            "order_id": False,
            "product_id": False,
            "name": "",
            "product_qty": Decimal("1"),
            "price_unit": Decimal("0"),
            "price_subtotal": Decimal("0"),
        },
        {"order_id": "purchase.order", "product_id": "product.product"},
        ("order_id", "product_id"),
    ),
}

OPERATION_OF = {
    "search_read": "read",
    "search": "read",
    "search_count": "read",
    "read": "read",
    "create": "create",
    "write": "write",
    "button_confirm": "write",
}


@dataclass(frozen=True)
class MethodSpec:
    """A public method: model-level or on records, its parameters, the required ones."""

    model_level: bool
    params: tuple[str, ...]
    required: tuple[str, ...] = ()
    models: frozenset[str] | None = None  # only on these models
    versions: Callable[[int], bool] = lambda major: True


METHODS: dict[str, MethodSpec] = {
    "search_read": MethodSpec(True, ("domain", "fields", "offset", "limit", "order")),
    "search": MethodSpec(True, ("domain", "offset", "limit", "order"), ("domain",)),
    "search_count": MethodSpec(True, ("domain", "limit"), ("domain",)),
    "read": MethodSpec(False, ("fields", "load")),
    "create": MethodSpec(True, ("vals_list",), ("vals_list",)),
    "write": MethodSpec(False, ("vals",), ("vals",)),
    "button_confirm": MethodSpec(False, (), (), frozenset({"purchase.order"})),
    "context_get": MethodSpec(True, (), (), frozenset({"res.users"})),
    # has_access arrived in Odoo 18; check_access_rights left in Odoo 19.
    "has_access": MethodSpec(False, ("operation",), ("operation",), None, lambda v: v >= 18),
    "check_access_rights": MethodSpec(
        True, ("operation", "raise_exception"), ("operation",), None, lambda v: v < 19
    ),
}
