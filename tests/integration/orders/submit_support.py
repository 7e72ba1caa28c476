"""Shared by the submit / lookup / kill tests: a FlexIT config aimed at the simulator,
orders stored as intake stores them, and a driver that runs passes of the pipeline."""

from __future__ import annotations

import copy
import json
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa

from irp.config import Config, load_config
from irp.orders.cycle import submit_pass
from irp.sandbox.flexit import example_inbound_order
from irp.store.db import Database
from irp.store.tables import order_attempts, order_lines, orders, refurbishers
from tests.fixtures.order_api import FLEXIT_CLIENT_ID, FLEXIT_CLIENT_SECRET

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "flexit.json"
LOOKUP_DELAY_SECONDS = 0.1  # short for tests; 0 is refused (see OrderConfig)
SETTLED = ("submitted", "failed", "rejected", "cancelled")


class Endpoints(Protocol):
    """Where the config sends orders and lookups: the simulator, or a fake's URLs."""

    @property
    def endpoint(self) -> str: ...

    @property
    def lookup_endpoint(self) -> str: ...


@dataclass(frozen=True)
class FakeEndpoints:
    """URLs nobody listens on, for a config driven through a MockSender."""

    endpoint: str = "https://flexit.test/order/api/order"
    lookup_endpoint: str = "https://flexit.test/order/api/order/{externalDocumentNumber}/status"


def flexit_config(
    tmp_path: Path,
    api: Endpoints,
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
        section["lookup"]["delay_seconds"] = LOOKUP_DELAY_SECONDS
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


def drive(
    database: Database, config: Config, order_id: str, *, deadline_seconds: float = 60
) -> dict[str, Any]:
    """Run `irp orders submit` passes until the order settles (no operator step).

    Lookups wait ``LOOKUP_DELAY_SECONDS``; passes repeat until the order is settled or
    the (generous) deadline passes, so load on the machine changes nothing but time.
    """
    deadline = time.monotonic() + deadline_seconds
    while True:
        submit_pass(database, config, None)
        row = order_row(database, order_id)
        if row["status"] in SETTLED or time.monotonic() > deadline:
            return row
        time.sleep(LOOKUP_DELAY_SECONDS / 2)


@dataclass(frozen=True)
class Shown:
    """What `irp orders show ID` tells the operator: its lines, and the --json document."""

    lines: list[str]
    document: dict[str, Any]

    @property
    def headline(self) -> str:
        """The first line: id, refurbisher, status, reference, order number."""
        return self.lines[0]

    @property
    def advice(self) -> str:
        """The second line: what the state means and what to do."""
        return self.lines[1]


def shown(config: Config, database: Database, order_id: str) -> Shown:
    """Run `irp orders show ID` (text and --json) as an operator would."""
    from typer.testing import CliRunner

    from irp.cli.app import app

    base = ["--config", str(config.path), "--db", database.url, "orders", "show", order_id]
    runner = CliRunner()
    text = runner.invoke(app, [*base], terminal_width=400)
    as_json = runner.invoke(app, [*base, "--json"])
    assert text.exit_code == 0, text.output
    assert as_json.exit_code == 0, as_json.output
    return Shown([line.rstrip() for line in text.stdout.splitlines()], json.loads(as_json.stdout))
