"""Shared set-up for the intake/actions/CLI tests: the FlexIT config and stored offers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from irp.config import Config, load_config
from irp.sandbox.flexit import example_inbound_order
from irp.store.db import Database
from irp.store.tables import offers, orders, refurbishers

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "flexit.json"
SECRETS = {
    "FLEXIT_SFTP_PASSWORD": "sftp-pw",
    "FLEXIT_CLIENT_ID": "client-id",
    "FLEXIT_CLIENT_SECRET": "client-secret",
}


def spec_order(**changes: Any) -> dict[str, Any]:
    """The SPEC §3 example inbound order, with top-level ``changes``."""
    return example_inbound_order(**changes)


def write_config(folder: Path, monkeypatch: pytest.MonkeyPatch, **extra: Any) -> Path:
    """examples/flexit.json (plus ``extra`` refurbishers) in ``folder``, secrets in the env."""
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    document = json.loads(EXAMPLE.read_text())
    document.update(extra)
    path = folder / "irp.json"
    path.write_text(json.dumps(document))
    return path


def flexit_config(folder: Path, monkeypatch: pytest.MonkeyPatch, **extra: Any) -> Config:
    """The loaded FlexIT example config (acceptance)."""
    return load_config(write_config(folder, monkeypatch, **extra), "acceptance")


def store_offers(db: Database, refurbisher: str = "flexit") -> None:
    """Two FlexIT offers, written directly with SQLAlchemy Core."""
    now = datetime.now(UTC)
    with db.begin() as conn:
        conn.execute(
            sa.insert(refurbishers).values(
                key=refurbisher, name=refurbisher, refurbisher_id=15, created_at=now, updated_at=now
            )
        )
        base = {
            "refurbisher": refurbisher,
            "stock_available": 5,
            "listed": True,
            "above_srp": False,
            "row_hash": 1,
            "created_at": now,
            "updated_at": now,
        }
        conn.execute(
            sa.insert(offers),
            [
                {
                    **base,
                    "sku": "FLX-1001",
                    "name": "iPhone 12 128GB",
                    "ean": "8712345678906",
                    "price_purchase_amount": Decimal("200.00"),
                    "price_selling_amount": Decimal("249.00"),
                },
                {
                    **base,
                    "sku": "FLX-1002",
                    "name": "Galaxy S21",
                    "ean": None,
                    "price_purchase_amount": Decimal("150.5"),
                    "price_selling_amount": Decimal("195.7250"),
                },
            ],
        )


def set_order(db: Database, order_id: str, **values: Any) -> None:
    """Put a stored order in a given state directly (as the submitter would have)."""
    with db.begin() as conn:
        conn.execute(sa.update(orders).where(orders.c.id == order_id).values(**values))


def order_row(db: Database, order_id: str) -> dict[str, Any]:
    """The stored ``orders`` row."""
    with db.connect() as conn:
        row = conn.execute(sa.select(orders).where(orders.c.id == order_id)).one()
    return dict(row._mapping)
