"""The status page's order page shows the order's Odoo purchase order, or why not yet."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from irp.odoo.push import push_due
from irp.sandbox.odoo import OdooSimulator
from irp.store.db import Database
from irp.web import WebBackend
from tests.integration.web.support import TOKENS, ServerThread, StaticTokens, status_app

from .support import add_accepted_order, odoo_config


def test_order_page_shows_the_purchase_order_or_the_error(
    database: Database, odoo_sim: OdooSimulator, tmp_path: Path
) -> None:
    config = odoo_config(tmp_path, odoo_sim)
    add_accepted_order(database, "5001")
    add_accepted_order(database, "5002", lines=[{"sku": "FLX-9999", "ean": None, "price": "1.00"}])
    push_due(database, config)
    backend = WebBackend(
        config=lambda: config,
        db=database,
        tokens=StaticTokens(TOKENS),
        queue_sync=lambda name: True,
    )
    server = ServerThread(status_app(backend))
    url = server.start()
    try:
        headers = {"Authorization": f"Bearer {TOKENS['alice']}"}
        booked = httpx.get(f"{url}/orders/5001", headers=headers)
        failed = httpx.get(f"{url}/orders/5002", headers=headers)
    finally:
        server.stop()

    def cell(page: httpx.Response) -> str:
        found = re.search(r'<td id="order-odoo">(.*?)</td>', page.text, re.DOTALL)
        assert found is not None, page.text
        return found.group(1)

    assert cell(booked) == "P00001 (id 1)"
    assert cell(failed).startswith(
        "odoo: no product with default_code FLX-9999 — fix the products in Odoo (Internal "
        "Reference = SKU, Barcode = EAN); the order is booked on the next try (not booked "
        "after 1 try; next try "
    )
