"""Small FlexIT feeds written by hand, and a config pointed at a test SFTP server."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from irp.config import Config, load_config
from irp.sandbox.feed import FLEXIT_COLUMNS
from irp.sandbox.flexit import example_config
from irp.store.db import Database
from irp.store.tables import offers, sync_runs
from tests.fixtures.sftp import SFTP_PASSWORD

FEED_PATH = "Outbound/FlexIT_Feed.csv"


def set_test_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """The secrets ``examples/flexit.json`` refers to, as the test SFTP server knows them."""
    monkeypatch.setenv("FLEXIT_SFTP_PASSWORD", SFTP_PASSWORD)
    monkeypatch.setenv("FLEXIT_CLIENT_ID", "client-id-for-tests")
    monkeypatch.setenv("FLEXIT_CLIENT_SECRET", "client-secret-for-tests")


#: (sku, description, ean, stock, sales price, srp) — prices as FlexIT writes them (nl_NL).
BASE_ROWS: tuple[tuple[str, str, str, str, str, str], ...] = (
    (
        "FLX-1",
        "Apple iPhone 13 128GB Midnight – Grade A",
        "0194252707319",
        "5",
        "249,00",
        "€ 399,00",
    ),
    ("FLX-2", 'Apple MacBook Pro 14" – Grade B', "0194252707326", "0", "1.249,00", "1.999,00"),
    ("FLX-3", "Samsung Galaxy A54 – Grade C", "8806094725612", "12", "99,95", ""),
    ("FLX-4", "Lenovo ThinkPad T14 Café edition", "", "1", "10,50", "€\xa049,00"),
    ("FLX-5", "Apple iPad Air 64GB – Grade A", "0194252795330", "3", "500,00", "649,00"),
)


def feed_bytes(rows: Sequence[Sequence[str]], *, bom: bool = True, eol: str = "\r\n") -> bytes:
    """A FlexIT CSV: every FlexIT column, our values in the mapped ones."""
    lines = [";".join(FLEXIT_COLUMNS)]
    for sku, name, ean, stock, price, srp in rows:
        values = {
            "Flex IT Part Number": sku,
            "Manufacturer": "Apple",
            "Manufacturer Part Number": "MPN-" + sku,
            "Description": name,
            "EAN": ean,
            "Status": "Active",
            "OS": "iOS",
            "Product Group": "Smartphones",
            "Category": "Refurbished",
            "Stock Quantity": stock,
            "Incoming Quantity": "0",
            "Incoming Date": "",
            "Sales Price": price,
            "SRP": srp,
            "MainImageURL": f"https://img.example/{sku}.jpg",
        }
        lines.append(";".join(values[c] for c in FLEXIT_COLUMNS))
    text = eol.join(lines) + eol
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def write_config(
    folder: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 22,
    host_key: str | None = None,
    settings: Mapping[str, Any] | None = None,
    offers_extra: Mapping[str, Any] | None = None,
) -> Path:
    """``examples/flexit.json`` with the SFTP auth pointed at a test server."""
    config = example_config()
    flexit = config["flexit"]
    auth = flexit["offers"]["auth"]
    auth.update({"host": host, "port": port})
    if host_key:
        auth["host_key"] = host_key
    flexit["offers"]["settle_seconds"] = 0.05
    flexit["offers"].update(offers_extra or {})
    flexit["settings"].update(settings or {})
    path = folder / "irp.json"
    path.write_text(json.dumps(config, indent=2))
    return path


def load(path: Path) -> Config:
    return load_config(path, "acceptance")


def stored(db: Database) -> dict[str, dict[str, Any]]:
    """Stored offers by SKU."""
    with db.connect() as conn:
        rows = conn.execute(sa.select(offers).order_by(offers.c.sku)).mappings().all()
    return {r["sku"]: dict(r) for r in rows}


def runs(db: Database) -> list[dict[str, Any]]:
    with db.connect() as conn:
        rows = conn.execute(sa.select(sync_runs).order_by(sync_runs.c.id)).mappings().all()
    return [dict(r) for r in rows]


def money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))
