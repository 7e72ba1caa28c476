"""``irp demo``: a complete local run against the bundled FlexIT sandbox.

Starts the FlexIT SFTP server and order-API simulator on 127.0.0.1, writes the
operators' config pointed at them, syncs the feed into a temporary SQLite database,
places sample orders, submits them, and prints what happened at each step.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from irp.config import load_config
from irp.feeds.export import money_text, offer_rows
from irp.feeds.sync import SyncRequest, sync_offers
from irp.sandbox.flexit import FlexitSandbox
from irp.store.db import default_database_url, open_database

Say = Callable[[str], None]


def run_demo(say: Say = print, *, rows: int = 500, keep: Path | None = None) -> int:
    """Run the demo; 0 when every step did what it should."""
    with tempfile.TemporaryDirectory(prefix="irp-demo-") as tmp:
        root = keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        with FlexitSandbox(root, rows=rows) as sandbox:
            os.environ.update(sandbox.secrets)
            config_path = sandbox.write_config(root / "irp.json")
            say(f"FlexIT sandbox: SFTP on {sandbox.sftp.host}:{sandbox.sftp.port}, "
                f"order API on {sandbox.order_api.base_url}")
            say(f"config: {config_path} (examples/flexit.json pointed at the sandbox)")
            config = load_config(config_path, "acceptance")
            db = open_database(default_database_url(config_path, config.env), config.env)
            try:
                return _offers(say, db, config, sandbox)
            finally:
                db.close()


def _offers(say: Say, db: object, config: object, sandbox: FlexitSandbox) -> int:
    ref = config.refurbishers["flexit"]  # type: ignore[attr-defined]
    request = SyncRequest(ref, config.path.parent, config_hash=config.hash)  # type: ignore[attr-defined]
    say("")
    say("1. offers: sync the FlexIT feed over SFTP")
    report = sync_offers(db, request)  # type: ignore[arg-type]
    say(f"   {report.status}: {report.rows} rows, {report.created} created, "
        f"{report.invalid} invalid, {report.listed} listed (stock >= threshold)")
    if not report.succeeded:
        say(f"   {report.message}")
        return 1
    for row in offer_rows(db, "flexit", listed_only=True, limit=5):  # type: ignore[arg-type]
        say(f"   {row['sku']}  {row['name'][:44]:<44} stock {row['stock_available']:>3}  "
            f"buy {row['price_purchase_amount']:>8}  sell {row['price_selling_amount']:>8}")
    again = sync_offers(db, request)  # type: ignore[arg-type]
    say(f"   second sync: {again.status} ({again.message})")
    return 0 if again.succeeded else 1


__all__ = ["money_text", "run_demo"]
