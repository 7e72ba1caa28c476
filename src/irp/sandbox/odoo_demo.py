"""The Odoo part of ``irp demo``: the accepted orders booked as purchase orders (SPEC §9).

The demo's config gets a ``platform.odoo`` block pointed at the sandbox Odoo (its key
as ``${ODOO_API_KEY}``, like an operator would write it). The sandbox swallows the
answer to the first ``create``, so the demo shows a lost answer settled by a search
instead of a second purchase order.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from irp.config import Config
from irp.odoo.push import PushResult, push_due
from irp.sandbox.odoo import DROPSHIP_PICKING_TYPE_ID, OdooSimulator
from irp.store.db import Database

Say = Callable[[str], None]
READ_TIMEOUT_SECONDS = 1.5  # the demo waits this long for the swallowed answer


def add_odoo_block(config_path: Path, odoo: OdooSimulator) -> None:
    """Point the demo config's ``platform.odoo`` at ``odoo`` (key from ``ODOO_API_KEY``)."""
    os.environ["ODOO_API_KEY"] = odoo.api_key
    document = json.loads(config_path.read_text())
    document["platform"] = {
        "odoo": odoo.platform_config(
            api_key="${ODOO_API_KEY}",
            company_id=1,
            picking_type=DROPSHIP_PICKING_TYPE_ID,
            read_timeout=READ_TIMEOUT_SECONDS,
        )
    }
    config_path.write_text(json.dumps(document, indent=2) + "\n")


def book_in_odoo(say: Say, db: Database, config: Config, odoo: OdooSimulator) -> int:
    """Push the accepted orders to Odoo twice (the second after the backoff); 0 when all are
    booked exactly once."""
    say("")
    say(
        "5. odoo: every submitted order becomes a drop-ship purchase order "
        f"(the sandbox Odoo swallows the answer to the first create; {odoo.url})"
    )
    odoo.inject("timeout_after_create", on="purchase.order.create", seconds=30)
    _print(say, push_due(db, config))
    say("")
    say("6. odoo again, after the backoff: the lost answer is settled by a search, not a create")
    _print(say, push_due(db, config, now=db.now() + timedelta(hours=1)))
    orders = odoo.purchase_orders()
    partners = {p["id"]: p for p in odoo.orm.records("res.partner")}
    products = {p["id"]: p for p in odoo.orm.records("product.product")}
    for po in orders:
        ship_to = partners.get(po["dest_address_id"], {})
        lines = ", ".join(
            f"{line['product_qty']} x {products[line['product_id']]['default_code']} @ "
            f"{line['price_unit']}"
            for line in po["lines"]
        )
        say(
            f"   {po['name']} {po['state']:<8} {partners[po['partner_id']]['name']} "
            f"({po['partner_id']}), ref {po['partner_ref']}, origin {po['origin']}: {lines}; "
            f"ship to {ship_to.get('name', '-')}, {ship_to.get('city', '-')}"
        )
    origins = [po["origin"] for po in orders]
    duplicates = len(origins) - len(set(origins))
    with db.connect() as conn:
        from irp.odoo.store import due_orders

        waiting = due_orders(conn, sorted(config.refurbishers), db.now(), retry=True)
    say("")
    say(
        f"Odoo holds {len(orders)} purchase order(s) for the submitted orders; "
        f"duplicates: {duplicates}; not booked: {len(waiting)}"
    )
    confirmed = all(po["state"] == "purchase" for po in orders)
    return 0 if orders and not duplicates and not waiting and confirmed else 1


def _print(say: Say, results: list[PushResult]) -> None:
    for r in results:
        detail = f"{r.po_name} (id {r.po_id})" if r.po_id is not None else (r.error or "")
        say(f"   {r.order_id}: {r.outcome:<8} {detail}")
