"""Shared by the submit / lookup / kill tests: a FlexIT config aimed at the simulator,
orders stored as intake stores them, and a driver that runs passes of the pipeline."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from irp.config import Config, load_config
from irp.sandbox.flexit import example_inbound_order
from irp.sandbox.order_api import FlexitOrderApi
from irp.store.db import Database
from irp.store.tables import order_attempts, order_lines, orders, refurbishers
from tests.fixtures.order_api import FLEXIT_CLIENT_ID, FLEXIT_CLIENT_SECRET

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "flexit.json"


def flexit_config(
    tmp_path: Path,
    api: FlexitOrderApi,
    *,
    lookup: bool = True,
    lookup_changes: dict[str, Any] | None = None,
    **order: Any,
) -> Config:
    """examples/flexit.json aimed at ``api`` (order overrides merged into ``order``)."""
    document = json.loads(EXAMPLE.read_text())
    flexit = document["flexit"]
    flexit.pop("offers")
    flexit.pop("environments")
    flexit["environment_endpoints_reviewed"] = True  # the simulator, whatever the env
    section = flexit["order"]
    section["endpoint"] = api.endpoint
    section["auth"]["client_id"] = FLEXIT_CLIENT_ID
    section["auth"]["client_secret"] = FLEXIT_CLIENT_SECRET
    if lookup:
        section["lookup"]["endpoint"] = api.lookup_endpoint
        section["lookup"]["delay_seconds"] = 0
        section["lookup"].update(lookup_changes or {})
    else:
        section.pop("lookup")
    for key, value in order.items():
        section[key] = copy.deepcopy(value)
    path = tmp_path / "irp.json"
    path.write_text(json.dumps(document))
    return load_config(path, "acceptance")


def add_order(db: Database, order_id: str, *, refurbisher: str = "flexit") -> None:
    """Store a pending order due now, with one line, as intake would."""
    now = db.now()  # the database clock, as intake does: due means due by that clock
    content = example_inbound_order(
        id=order_id, refurbisher=refurbisher, order_number=f"IU-{order_id}", currency="EUR"
    )
    with db.begin() as conn:
        known = conn.execute(sa.select(refurbishers.c.key).where(refurbishers.c.key == refurbisher))
        if known.first() is None:
            conn.execute(
                sa.insert(refurbishers).values(
                    key=refurbisher, name=refurbisher, created_at=now, updated_at=now
                )
            )
        conn.execute(
            sa.insert(orders).values(
                id=order_id,
                refurbisher=refurbisher,
                order_number=f"IU-{order_id}",
                status="pending",
                content=content,
                content_hash="0" * 64,
                currency="EUR",
                attempts=0,
                next_attempt_at=now,
                lookup_not_found_count=0,
                resend_allowed=False,
                version=0,
                created_at=now,
                updated_at=now,
            )
        )
        conn.execute(
            sa.insert(order_lines).values(
                order_id=order_id,
                line_no=1,
                sku="FLX-1001",
                ean="8712345678906",
                name="Refurbished laptop",
                quantity=1,
                unit_price_tax_excl=Decimal("249.00"),
                price_purchase_amount=Decimal("200.00"),
                price_selling_amount=Decimal("299.00"),
            )
        )


def order_row(db: Database, order_id: str) -> dict[str, Any]:
    with db.connect() as conn:
        row = conn.execute(sa.select(orders).where(orders.c.id == order_id)).mappings().one()
        return dict(row)


def attempt_rows(db: Database, order_id: str) -> list[dict[str, Any]]:
    with db.connect() as conn:
        rows = conn.execute(
            sa.select(order_attempts)
            .where(order_attempts.c.order_id == order_id)
            .order_by(order_attempts.c.id)
        ).mappings()
        return [dict(row) for row in rows]


def shown(config: Config, database: Database, order_id: str) -> tuple[str, dict[str, Any]]:
    """What `irp orders show ID` tells the operator: the text, and the --json document."""
    from typer.testing import CliRunner

    from irp.cli.app import app

    base = ["--config", str(config.path), "--db", database.url, "orders", "show", order_id]
    runner = CliRunner()
    text = runner.invoke(app, [*base], terminal_width=400)
    as_json = runner.invoke(app, [*base, "--json"])
    assert text.exit_code == 0, text.output
    assert as_json.exit_code == 0, as_json.output
    return " ".join(text.stdout.split()), json.loads(as_json.stdout)
