"""Shared by the Odoo tests: a config aimed at the sandbox Odoo, and accepted orders."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from irp.config import Config, load_config
from irp.sandbox.flexit import example_inbound_order
from irp.sandbox.odoo import OdooSimulator
from irp.sandbox.order_api import FlexitOrderApi
from irp.store.db import Database
from irp.store.tables import order_attempts, order_lines, orders, refurbishers
from tests.fixtures.order_api import FLEXIT_CLIENT_ID, FLEXIT_CLIENT_SECRET

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "flexit.json"


def odoo_config(
    tmp_path: Path,
    odoo: OdooSimulator,
    *,
    api: str = "json2",
    settings: dict[str, Any] | None = None,
    order_api: FlexitOrderApi | None = None,
    **changes: Any,
) -> Config:
    """examples/flexit.json (orders only) with ``platform.odoo`` aimed at ``odoo`` (and the
    order connector at ``order_api``, when given)."""
    document = json.loads(EXAMPLE.read_text())
    flexit = document["flexit"]
    flexit.pop("offers")
    flexit.pop("environments")
    flexit["environment_endpoints_reviewed"] = True  # the simulators, whatever the env
    flexit["order"]["auth"]["client_id"] = FLEXIT_CLIENT_ID
    flexit["order"]["auth"]["client_secret"] = FLEXIT_CLIENT_SECRET
    flexit["settings"].update(copy.deepcopy(settings or {}))
    if order_api is not None:
        flexit["order"]["endpoint"] = order_api.endpoint
        flexit["order"]["lookup"]["endpoint"] = order_api.lookup_endpoint
    document["platform"] = {"odoo": odoo.platform_config(api, **changes)}
    path = tmp_path / "irp.json"
    path.write_text(json.dumps(document))
    return load_config(path, "acceptance")


def add_accepted_order(
    db: Database,
    order_id: str,
    *,
    status: str = "submitted",
    reference: str | None = "SO-000001",
    lines: list[dict[str, Any]] | None = None,
) -> None:
    """Store an order FlexIT accepted (``status``), as intake and submit leave it."""
    now = db.now()
    content = example_inbound_order(id=order_id, order_number=f"IU-{order_id}", currency="EUR")
    line_rows = lines or [
        {"sku": "FLX-1001", "ean": "8712345678906", "quantity": 1, "price": "200.00"}
    ]
    with db.begin() as conn:
        known = conn.execute(sa.select(refurbishers.c.key).where(refurbishers.c.key == "flexit"))
        if known.first() is None:
            conn.execute(
                sa.insert(refurbishers).values(
                    key="flexit", name="flexit", created_at=now, updated_at=now
                )
            )
        conn.execute(
            sa.insert(orders).values(
                id=order_id,
                refurbisher="flexit",
                order_number=f"IU-{order_id}",
                status=status,
                content=content,
                content_hash="0" * 64,
                currency="EUR",
                external_reference=reference,
                attempts=1,
                lookup_not_found_count=0,
                resend_allowed=False,
                version=2,
                created_at=now,
                updated_at=now,
                submitted_at=now if status != "pending" else None,
            )
        )
        for number, line in enumerate(line_rows, start=1):
            conn.execute(
                sa.insert(order_lines).values(
                    order_id=order_id,
                    line_no=number,
                    sku=line["sku"],
                    ean=line.get("ean"),
                    name=line.get("name", "iPhone 13 128GB"),
                    quantity=line.get("quantity", 1),
                    unit_price_tax_excl=Decimal("249.00"),
                    price_purchase_amount=Decimal(line["price"]) if line["price"] else None,
                    price_selling_amount=Decimal("299.00"),
                )
            )


def order_row(db: Database, order_id: str) -> dict[str, Any]:
    with db.connect() as conn:
        return dict(conn.execute(sa.select(orders).where(orders.c.id == order_id)).mappings().one())


def odoo_attempts(db: Database, order_id: str) -> list[dict[str, Any]]:
    with db.connect() as conn:
        rows = conn.execute(
            sa.select(order_attempts)
            .where(order_attempts.c.order_id == order_id, order_attempts.c.kind == "odoo")
            .order_by(order_attempts.c.id)
        ).mappings()
        return [dict(row) for row in rows]
