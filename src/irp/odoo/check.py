"""``irp odoo check``: can IRP book purchase orders in this Odoo? Nothing is created.

In order, each failure naming the setting to fix:

1. ``connection`` — the URL answers as an Odoo (``platform.odoo.url``);
2. ``login`` — the database exists and the key is accepted (``platform.odoo.database``,
   ``platform.odoo.api_key``, with ``jsonrpc`` also ``platform.odoo.login``);
3. ``rights`` — the key's user may read products and partners, create and confirm
   purchase orders (and create delivery addresses for a drop-ship set-up);
4. ``company_id`` / ``picking_type`` — when set, the records exist;
5. ``vendor <name>`` — per refurbisher: ``settings.odoo_vendor_id`` is set, exists, is
   active and is a supplier (``supplier_rank`` > 0).

The first two stop the check when they fail: nothing after them can be asked.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from irp.config import Config, Refurbisher
from irp.config.odoo import OdooConfig
from irp.odoo.client import OdooClient, open_client
from irp.odoo.errors import OdooError, OdooNotFoundError

#: (model, operation) the key's user needs; button_confirm writes the order.
REQUIRED_RIGHTS: tuple[tuple[str, str], ...] = (
    ("purchase.order", "read"),
    ("purchase.order", "create"),
    ("purchase.order", "write"),
    ("purchase.order.line", "create"),
    ("product.product", "read"),
    ("res.partner", "read"),
)
DROPSHIP_RIGHTS: tuple[tuple[str, str], ...] = (("res.partner", "create"),)


@dataclass(frozen=True)
class OdooCheck:
    """One line of ``irp odoo check``."""

    check: str
    ok: bool
    detail: str


def check_odoo(config: Config) -> list[OdooCheck]:
    """Every check of the module docstring against ``platform.odoo``, in order."""
    settings = config.platform.odoo
    if settings is None:
        detail = "platform.odoo is not configured: add url, database and api_key (docs/odoo.md)"
        return [OdooCheck("config", False, detail)]
    results: list[OdooCheck] = []
    with open_client(settings) as client:
        for result in _checks(client, settings, config):
            results.append(result)
            if not result.ok and result.check in ("connection", "login"):
                break
    return results


def _checks(client: OdooClient, settings: OdooConfig, config: Config) -> Iterator[OdooCheck]:
    try:
        version = client.version()
    except OdooError as exc:
        yield OdooCheck("connection", False, str(exc))
        return
    yield _version(version, settings)
    yield _login(client, settings)
    yield _rights(client, settings)
    if settings.company_id is not None:
        yield _exists(client, "res.company", settings.company_id, "platform.odoo.company_id")
    if settings.picking_type is not None:
        where = "platform.odoo.picking_type"
        yield _exists(client, "stock.picking.type", settings.picking_type, where)
    for key in sorted(config.refurbishers):
        yield _vendor(client, config.refurbishers[key])


def _version(version: str, settings: OdooConfig) -> OdooCheck:
    major = int(version.split(".")[0]) if version.split(".")[0].isdigit() else None
    detail = f"Odoo {version} at {settings.url} ({settings.api})"
    if settings.api == "json2" and major is not None and major < 19:
        return OdooCheck(
            "connection",
            False,
            f"{detail}: Odoo {version} has no JSON-2 API (Odoo 19 and later); set "
            "platform.odoo.api to 'jsonrpc' and platform.odoo.login",
        )
    if settings.api == "jsonrpc" and major is not None and major >= 19:
        detail += "; /jsonrpc is deprecated since Odoo 19 (removed in 22): consider api 'json2'"
    return OdooCheck("connection", True, detail)


def _login(client: OdooClient, settings: OdooConfig) -> OdooCheck:
    try:
        context = client.user_context()
    except OdooError as exc:
        return OdooCheck("login", False, str(exc))
    who = settings.login or "the API key's user"
    uid = context.get("uid")
    return OdooCheck("login", True, f"database {settings.database} as {who} (uid {uid})")


def _rights(client: OdooClient, settings: OdooConfig) -> OdooCheck:
    needed = REQUIRED_RIGHTS + (DROPSHIP_RIGHTS if settings.picking_type is not None else ())
    missing: list[str] = []
    try:
        for model, operation in needed:
            if not client.has_access(model, operation):
                missing.append(f"{operation} {model}")
    except OdooError as exc:
        return OdooCheck("rights", False, str(exc))
    if missing:
        return OdooCheck(
            "rights",
            False,
            f"the Odoo user of platform.odoo.api_key may not {', '.join(missing)}; give it "
            "the Purchase / User group (and Contact Creation for drop-ship addresses)",
        )
    granted = ", ".join(f"{operation} {model}" for model, operation in needed)
    return OdooCheck("rights", True, granted)


def _exists(client: OdooClient, model: str, record_id: int, setting: str) -> OdooCheck:
    name = setting.rsplit(".", 1)[-1]
    try:
        found = _read_one(client, model, record_id, ["display_name"])
    except OdooError as exc:
        return OdooCheck(name, False, str(exc))
    if found is None:
        return OdooCheck(name, False, f"{setting}: Odoo has no {model} {record_id}")
    return OdooCheck(name, True, f"{model} {record_id} ({found.get('display_name')})")


def _vendor(client: OdooClient, refurbisher: Refurbisher) -> OdooCheck:
    check = f"vendor {refurbisher.key}"
    setting = f"{refurbisher.key}.settings.odoo_vendor_id"
    vendor_id = refurbisher.settings.odoo_vendor_id
    if vendor_id is None:
        detail = f"{setting} is not set: set it to the refurbisher's partner id in Odoo"
        return OdooCheck(check, False, detail)
    try:
        partner = _read_one(client, "res.partner", vendor_id, ["name", "supplier_rank", "active"])
    except OdooError as exc:
        return OdooCheck(check, False, str(exc))
    if partner is None:
        return OdooCheck(check, False, f"{setting}: Odoo has no partner (res.partner) {vendor_id}")
    label = f"partner {vendor_id} ({partner.get('name')})"
    if partner.get("active") is False:
        return OdooCheck(check, False, f"{setting}: {label} is archived in Odoo")
    if not partner.get("supplier_rank"):
        return OdooCheck(
            check,
            False,
            f"{setting}: {label} is not a supplier (supplier_rank 0); pick the vendor's "
            "partner, or make it one (Purchase > Vendors)",
        )
    return OdooCheck(check, True, f"{label}, supplier")


def _read_one(
    client: OdooClient, model: str, record_id: int, fields: list[str]
) -> dict[str, Any] | None:
    """The record, or None when Odoo has no such record (archived ones included)."""
    try:
        found = client.read(model, [record_id], fields)
    except OdooNotFoundError:
        return None
    return found[0] if found else None
