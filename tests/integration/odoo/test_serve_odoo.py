"""``irp serve`` books accepted orders in Odoo on its own schedule; Odoo down delays only the PO."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from irp.sandbox.flexit import FlexitSandbox
from irp.sandbox.odoo import FLEXIT_VENDOR_ID, OdooSimulator
from tests.fixtures.odoo import MakeOdoo
from tests.integration.service.support import Services, order, wait_for, write_config


@pytest.fixture
def flexit(tmp_path: Path) -> Iterator[FlexitSandbox]:
    with FlexitSandbox(tmp_path / "sandbox", rows=20) as started:
        yield started


@pytest.fixture
def services(tmp_path: Path, flexit: FlexitSandbox) -> Iterator[Services]:
    running = Services(tmp_path, flexit, {})
    try:
        yield running
    finally:
        running.close()


def _config(tmp_path: Path, flexit: FlexitSandbox, odoo: OdooSimulator) -> Path:
    path = write_config(tmp_path / "irp.json", flexit)
    document = json.loads(path.read_text())
    document["platform"]["odoo"] = odoo.platform_config(push_every_seconds=5, connect_timeout=2)
    path.write_text(json.dumps(document, indent=2))
    return path


def test_serve_books_the_order_once_odoo_is_back_and_never_held_the_order_up(
    services: Services, flexit: FlexitSandbox, make_odoo: MakeOdoo, tmp_path: Path
) -> None:
    odoo = make_odoo(products=False)
    odoo.add_feed_products(flexit.feed_file.read_bytes())
    odoo.stop()  # Odoo is down when the order comes in
    served = services.serve(_config(tmp_path, flexit, odoo))
    sku = wait_for(served.listed_skus, "the first scheduled sync lists offers")[0]

    assert served.api("POST", "/api/orders", json=order("5001", sku)).status_code == 201
    wait_for(lambda: served.order_status("5001") == "submitted", "5001 reaches FlexIT")

    def odoo_view() -> dict[str, Any]:
        return dict(served.api("GET", "/api/orders/5001").json()["odoo"])

    down = wait_for(lambda: odoo_view()["error"], "a push fails while Odoo is down")
    assert down.startswith(f"odoo: cannot reach Odoo at {odoo.url} (")
    [sent] = flexit.order_api.orders

    odoo.start()  # Odoo is back; the next push after the backoff books the order
    booked = wait_for(lambda: odoo_view()["po_name"], "the PO is booked", timeout=120)

    [po] = odoo.purchase_orders()
    assert (booked, po["partner_id"], po["origin"], po["partner_ref"], po["state"]) == (
        "P00001",
        FLEXIT_VENDOR_ID,
        "IU-100234",
        sent["order_number"],
        "purchase",
    )
    assert odoo_view()["error"] is None
