"""``irp demo``: a complete local run against the bundled sandbox, two refurbishers strong.

Starts FlexIT (SFTP feed + order API), the fictional GreenByte (HTTP JSON feed, OAuth2
order API, signed shipment webhooks) and the sandbox Odoo on 127.0.0.1, plus a
stand-in for the marketplace's event webhook; writes the operators' configs pointed at
them; syncs both feeds into a temporary SQLite database; places and submits orders;
books them as purchase orders in Odoo; follows them to the customer (FlexIT by
polling, GreenByte by webhook); pushes every order event to the marketplace; and runs
``irp monitor``. It prints what happened at each step.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from irp.config import Config, load_config
from irp.events.push import push_due_events
from irp.events.read import read_events
from irp.feeds.export import offer_rows
from irp.feeds.sync import SyncRequest, sync_offers
from irp.monitoring.run import run_monitor
from irp.orders.cycle import submit_pass
from irp.orders.intake import accept_orders
from irp.orders.queries import list_orders
from irp.orders.results import SubmitResult
from irp.sandbox.flexit import FlexitSandbox
from irp.sandbox.odoo import OdooSimulator
from irp.sandbox.odoo_demo import add_odoo_block, book_in_odoo
from irp.sandbox.receiver import WebhookReceiver
from irp.sandbox.world import SandboxWorld
from irp.shipments.poll import poll_shipments
from irp.shipments.webhook import receive_shipment_webhook
from irp.store.db import Database, default_database_url, open_database

Say = Callable[[str], None]

ADDRESSES = [
    ("Jan Jansen", "Damrak 1", "1012 AB", "Amsterdam", "Netherlands"),
    ("Marie Peeters", "Grote Markt 7", "1000", "Brussel", "BEL"),
    ("Anna Schmidt", "Unter den Linden 5", "10117", "Berlin", "DE"),
    ("Piet de Vries", "Vismarkt 3", "9711 KS", "Groningen", "NL"),
]


def run_demo(say: Say = print, *, rows: int = 500, keep: Path | None = None) -> int:
    """Run the demo; 0 when every step did what it should."""
    with tempfile.TemporaryDirectory(prefix="irp-demo-") as tmp:
        root = keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        with (
            SandboxWorld(root, flexit_rows=rows) as world,
            WebhookReceiver() as market,
            OdooSimulator() as odoo,
        ):
            os.environ.update(world.secrets)
            sandbox = world.flexit
            # The changes to the operators' configs: the lookup's first look comes after
            # 1 s instead of 120 s, so the demo can show an uncertain order being settled;
            # platform.odoo is the sandbox Odoo and platform.events the local stand-in
            # for the marketplace's event webhook.
            config_path = world.write_config(
                root / "irp.json", flexit={"order": {"lookup": {"delay_seconds": 1}}}
            )
            odoo.add_feed_products(sandbox.feed_file.read_bytes())
            add_odoo_block(config_path, odoo)
            _add_events(config_path, market)
            say(
                f"FlexIT sandbox: SFTP on {sandbox.sftp.host}:{sandbox.sftp.port}, "
                f"order API on {sandbox.order_api.base_url}; sandbox Odoo on {odoo.url}"
            )
            say(f"GreenByte sandbox (fictional, pure configuration): {world.greenbyte.base_url}")
            say(
                f"config: {config_path} (examples/flexit.json and examples/greenbyte.json, "
                "plus platform.odoo and platform.events)"
            )
            config = load_config(config_path, "acceptance")
            db = open_database(default_database_url(config_path, config.env), config.env)
            try:
                steps: list[Callable[[], int]] = [
                    lambda: _offers(say, db, config),
                    lambda: _orders(say, db, config, sandbox),
                    lambda: book_in_odoo(say, db, config, odoo),
                    lambda: _flexit_shipments(say, db, config, sandbox),
                    lambda: _greenbyte(say, db, config, world),
                    lambda: _events(say, db, config, market),
                    lambda: _monitor(say, db, config),
                ]
                return next((code for step in steps if (code := step()) != 0), 0)
            finally:
                db.close()


def _add_events(config_path: Path, market: WebhookReceiver) -> None:
    """Point ``platform.events`` at the marketplace stand-in (secret from the environment)."""
    os.environ["IRP_DEMO_EVENTS_SECRET"] = (
        "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    )
    document = json.loads(config_path.read_text())
    document.setdefault("platform", {})["events"] = {
        "url": market.url,
        "secret": "${IRP_DEMO_EVENTS_SECRET}",
        "retry_seconds": 0.2,
    }
    config_path.write_text(json.dumps(document, indent=2) + "\n")


def _offers(say: Say, db: Database, config: Config) -> int:
    say("")
    say("1. offers: sync the FlexIT feed over SFTP")
    flexit = config.refurbishers["flexit"]
    request = SyncRequest(flexit, config.path.parent, config_hash=config.hash)
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
    if not again.succeeded:
        return 1
    say("   and GreenByte's JSON feed over HTTP, prices in en_US (1,049.00)")
    greenbyte = config.refurbishers["greenbyte"]
    report = sync_offers(db, SyncRequest(greenbyte, config.path.parent, config_hash=config.hash))
    say(
        f"   greenbyte {report.status}: {report.rows} rows, {report.created} created, "
        f"{report.invalid} invalid, {report.listed} listed"
    )
    for row in offer_rows(db, "greenbyte", listed_only=True, limit=2):
        say(
            f"   {row['sku']:<13} {row['name'][:37]:<37} buy {row['price_purchase_amount']:>8}"
            f"  sell {row['price_selling_amount']:>8}"
        )
    return 0 if report.succeeded else 1


def _inbound(refurbisher: str, first: int, offers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "id": f"DEMO-{first + i}",
            "refurbisher": refurbisher,
            "order_number": f"IU-{100234 + first - 5001 + i}",
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
        for i, (offer, addr) in enumerate(zip(offers, ADDRESSES, strict=False))
    ]


def _orders(say: Say, db: Database, config: Config, sandbox: FlexitSandbox) -> int:
    orders = _inbound("flexit", 5001, offer_rows(db, "flexit", listed_only=True, limit=4))
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


def _flexit_shipments(say: Say, db: Database, config: Config, sandbox: FlexitSandbox) -> int:
    poll = config.refurbishers["flexit"].shipment_poll
    assert poll is not None
    interval = poll.interval_seconds
    say("")
    say(
        f"7. shipments by polling: FlexIT is asked every {interval:g} s "
        "(the demo moves IRP's clock one interval per poll)"
    )
    api = sandbox.order_api
    for step in range(3):
        now = db.now() + timedelta(seconds=interval * step + (1 if step else 0))
        results = poll_shipments(db, config, refurbisher="flexit", now=now)
        found = Counter(r.outcome.replace("_", " ") for r in results)
        say(f"   poll {step + 1}: " + ", ".join(f"{n} {what}" for what, n in sorted(found.items())))
        if step == 0:
            say("   FlexIT's warehouse ships them; the carrier delivers a second later")
            api.ship_after_seconds, api.deliver_after_seconds = 0.0, 1.0
        else:
            time.sleep(1.1)
    with db.connect() as conn:
        states = Counter(str(s.status) for s in list_orders(conn, refurbisher="flexit"))
    say(f"   FlexIT orders now: {dict(sorted(states.items()))}")
    return 0 if states == Counter({"delivered": 4}) else 1


def _greenbyte(say: Say, db: Database, config: Config, world: SandboxWorld) -> int:
    say("")
    say("8. GreenByte: one order sent with OAuth2, then its shipment arrives, signed with")
    say("   Standard Webhooks (what POST /webhooks/greenbyte/shipments runs)")
    orders = _inbound("greenbyte", 6001, offer_rows(db, "greenbyte", listed_only=True, limit=1))
    for result in accept_orders(db, config, orders):
        say(f"   {result.message}")
    _print_results(say, submit_pass(db, config, "greenbyte"))
    (order,) = world.greenbyte.orders
    body, headers = world.greenbyte.shipment_delivery(order.id)
    answers = [
        ("signed delivery", receive_shipment_webhook(db, config, "greenbyte", body, headers)),
        ("the same again", receive_shipment_webhook(db, config, "greenbyte", body, headers)),
    ]
    forged = {**headers, "webhook-signature": "v1," + base64.b64encode(b"x" * 32).decode()}
    answers.append(
        ("forged signature", receive_shipment_webhook(db, config, "greenbyte", body, forged))
    )
    body, headers = world.greenbyte.shipment_delivery(order.id, status="delivered")
    answers.append(("delivered", receive_shipment_webhook(db, config, "greenbyte", body, headers)))
    for label, answer in answers:
        say(f"   {label:<17} -> {answer.status_code} {_brief(answer.body)}")
    codes = [answer.status_code for _, answer in answers]
    last = answers[-1][1].body
    return 0 if codes == [200, 200, 401, 200] and last.get("status") == "delivered" else 1


def _brief(body: dict[str, Any]) -> str:
    shown = {k: v for k, v in body.items() if k != "shipments"}
    return ", ".join(f"{k}={v}" for k, v in shown.items())


def _events(say: Say, db: Database, config: Config, market: WebhookReceiver) -> int:
    say("")
    say("9. events to the marketplace: GET /api/events, and pushed (Standard Webhooks)")
    with db.connect() as conn:
        page = read_events(conn, limit=1000)
    kinds = Counter(event["type"] for event in page.events)
    say(f"   {len(page.events)} events: " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))
    market.fail(1, status=503)
    deadline = time.monotonic() + 30
    pushed = 0
    while pushed < len(page.events) and time.monotonic() < deadline:
        pushed += push_due_events(db, config, budget_seconds=10).pushed
        time.sleep(0.2)
    repeats = len(market.requests) - len(market.accepted())
    say(
        f"   pushed {pushed} of {len(page.events)}; the marketplace refused {repeats} "
        "attempt(s) at first, each was sent again with the same webhook-id"
    )
    return 0 if pushed == len(page.events) else 1


def _monitor(say: Say, db: Database, config: Config) -> int:
    say("")
    say("10. irp monitor: every check of both refurbishers")
    run = run_monitor(db, config)
    for r in run.results:
        value = "" if r.value is None else f"{r.value:g}"
        detail = r.detail if len(r.detail) <= 72 else r.detail[:71] + "…"
        mark = "ok" if r.ok else "FAIL"
        say(f"   {r.refurbisher:<9} {r.check:<19} {mark:<4} {value:>6}  {detail}")
    say(f"   {'all checks pass' if run.ok else 'some checks fail'}")
    return 0 if run.ok else 1


def _inject_last(sandbox: FlexitSandbox, count: int) -> None:
    """Let ``count - 1`` orders through and reset the connection after creating one."""
    sandbox.order_api.inject("slow", times=count - 1, seconds=0)
    sandbox.order_api.inject("reset_after_create")


def _print_results(say: Say, results: list[SubmitResult]) -> None:
    for r in sorted(results, key=lambda r: r.order_id):
        detail = f"reference {r.external_reference}" if r.external_reference else (r.error or "")
        say(f"   {r.order_id}: {r.status:<10} {detail}")
