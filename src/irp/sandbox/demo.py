"""``irp demo``: a complete local run against the bundled FlexIT sandbox.

Starts the FlexIT SFTP server and order-API simulator and the sandbox Odoo on
127.0.0.1, writes the operators' config pointed at them, syncs the feed into a
temporary SQLite database, places sample orders, submits them, books them as purchase
orders in Odoo, and prints what happened at each step.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from irp.config import Config, load_config
from irp.feeds.export import offer_rows
from irp.feeds.sync import SyncRequest, sync_offers
from irp.orders.cycle import submit_pass
from irp.orders.intake import accept_orders
from irp.orders.queries import list_orders
from irp.orders.results import SubmitResult
from irp.sandbox.flexit import FlexitSandbox
from irp.sandbox.odoo import OdooSimulator
from irp.sandbox.odoo_demo import add_odoo_block, book_in_odoo
from irp.store.db import Database, default_database_url, open_database

Say = Callable[[str], None]


def run_demo(say: Say = print, *, rows: int = 500, keep: Path | None = None) -> int:
    """Run the demo; 0 when every step did what it should."""
    with tempfile.TemporaryDirectory(prefix="irp-demo-") as tmp:
        root = keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        with FlexitSandbox(root, rows=rows) as sandbox, OdooSimulator() as odoo:
            os.environ.update(sandbox.secrets)
            # The one change to the operators' config: the lookup's first look comes after
            # 1 s instead of 120 s, so the demo can show an uncertain order being settled.
            config_path = sandbox.write_config(
                root / "irp.json", overrides={"order": {"lookup": {"delay_seconds": 1}}}
            )
            odoo.add_feed_products(sandbox.feed_file.read_bytes())
            add_odoo_block(config_path, odoo)
            say(
                f"FlexIT sandbox: SFTP on {sandbox.sftp.host}:{sandbox.sftp.port}, "
                f"order API on {sandbox.order_api.base_url}; sandbox Odoo on {odoo.url}"
            )
            say(
                f"config: {config_path} (examples/flexit.json pointed at the sandbox, "
                "plus platform.odoo)"
            )
            config = load_config(config_path, "acceptance")
            db = open_database(default_database_url(config_path, config.env), config.env)
            try:
                if _offers(say, db, config, sandbox) != 0:
                    return 1
                if _orders(say, db, config, sandbox) != 0:
                    return 1
                return book_in_odoo(say, db, config, odoo)
            finally:
                db.close()


def _offers(say: Say, db: Database, config: Config, sandbox: FlexitSandbox) -> int:
    ref = config.refurbishers["flexit"]
    request = SyncRequest(ref, config.path.parent, config_hash=config.hash)
    say("")
    say("1. offers: sync the FlexIT feed over SFTP")
    report = sync_offers(db, request)
    say(
        f"   {report.status}: {report.rows} rows, {report.created} created, "
        f"{report.invalid} invalid, {report.listed} listed (stock >= threshold)"
    )
    if not report.succeeded:
        say(f"   {report.message}")
        return 1
    for row in offer_rows(db, "flexit", listed_only=True, limit=5):
        say(
            f"   {row['sku']}  {row['name'][:44]:<44} stock {row['stock_available']:>3}  "
            f"buy {row['price_purchase_amount']:>8}  sell {row['price_selling_amount']:>8}"
        )
    again = sync_offers(db, request)
    say(f"   second sync: {again.status} ({again.message})")
    return 0 if again.succeeded else 1


def _orders(say: Say, db: Database, config: Config, sandbox: FlexitSandbox) -> int:
    listed = offer_rows(db, "flexit", listed_only=True, limit=4)
    addresses = [
        ("Jan Jansen", "Damrak 1", "1012 AB", "Amsterdam", "Netherlands"),
        ("Marie Peeters", "Grote Markt 7", "1000", "Brussel", "BEL"),
        ("Anna Schmidt", "Unter den Linden 5", "10117", "Berlin", "DE"),
        ("Piet de Vries", "Vismarkt 3", "9711 KS", "Groningen", "NL"),
    ]
    orders = [
        {
            "id": f"DEMO-{5001 + i}",
            "refurbisher": "flexit",
            "order_number": f"IU-{100234 + i}",
            "shipping_address": dict(
                zip(("full_name", "full_address", "zipcode", "city", "country"), addr, strict=True)
            ),
            "items": [
                {
                    "sku": offer["sku"],
                    "quantity": 1 + i % 2,
                    "unit_price_tax_excl": offer["price_selling_amount"],
                }
            ],
        }
        for i, (offer, addr) in enumerate(zip(listed, addresses, strict=False))
    ]
    say("")
    say(f"2. orders: accept {len(orders)} marketplace orders (countries as name, alpha-3, alpha-2)")
    for result in accept_orders(db, config, orders):
        say(f"   {result.message}")
    say("   the sandbox will cut the connection right after FlexIT created one of them")
    _inject_last(sandbox, len(orders))

    say("")
    say("3. submit: every due order, with bounded concurrency")
    _print_results(say, submit_pass(db, config, "flexit"))
    say("   an uncertain order is never resent blindly: it is looked up first")
    time.sleep(1.2)
    say("")
    say("4. submit again, one lookup delay later")
    _print_results(say, submit_pass(db, config, "flexit"))
    created = {o["external_document_number"] for o in sandbox.order_api.orders}
    duplicates = [d for d in created if sandbox.order_api.created_count(d) > 1]
    say("")
    say(
        f"FlexIT holds {len(sandbox.order_api.orders)} order(s) for {len(orders)} placed; "
        f"duplicates: {len(duplicates)}"
    )
    with db.connect() as conn:
        states = {s.id: s.status for s in list_orders(conn, refurbisher="flexit")}
    ok = all(state == "submitted" for state in states.values()) and not duplicates
    return 0 if ok else 1


def _inject_last(sandbox: FlexitSandbox, count: int) -> None:
    """Let ``count - 1`` orders through and reset the connection after creating one."""
    sandbox.order_api.inject("slow", times=count - 1, seconds=0)
    sandbox.order_api.inject("reset_after_create")


def _print_results(say: Say, results: list[SubmitResult]) -> None:
    for r in sorted(results, key=lambda r: r.order_id):
        detail = f"reference {r.external_reference}" if r.external_reference else (r.error or "")
        say(f"   {r.order_id}: {r.status:<10} {detail}")
