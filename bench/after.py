"""After-the-order benchmark (SQLite): shipment webhooks, event push, a monitoring run.

Prints the machine, then
1. signed Standard Webhooks shipment deliveries taken per second by
   ``receive_shipment_webhook`` (verify the raw body, read, store once, match, move the
   order submitted -> shipped, write the outbox event, record the delivery);
2. events pushed per second to a loopback receiver (sign, POST, mark accepted), in
   order per order;
3. the time of one ``run_monitor`` over every refurbisher without the network probes
   (the database side: every check, stored results, alerts).

Orders are stored as intake stores them and submitted through ``transition`` (not
timed). Run it on a quiet machine and repeat: other work on the box shows up directly.

    .venv/bin/python bench/after.py [--orders 500]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from standardwebhooks import Webhook

from irp.config import load_config
from irp.events.push import push_due_events
from irp.monitoring.run import run_monitor
from irp.orders.states import OrderStatus, transition
from irp.sandbox.flexit import example_config
from irp.sandbox.receiver import WebhookReceiver
from irp.shipments.webhook import receive_shipment_webhook
from irp.store.db import Database, open_database
from irp.store.tables import orders, refurbishers

S = OrderStatus
SECRET = "whsec_" + base64.b64encode(b"bench-webhook-secret-0123456789").decode()


def write_config(folder: Path, events_url: str) -> Path:
    document = example_config()
    flexit = document["flexit"]
    for key in ("offers", "environments", "shipment_poll"):
        flexit.pop(key, None)
    flexit["order"]["auth"].update(client_id="bench-id", client_secret="bench-secret")
    flexit["shipment_webhook"] = {
        "auth": {"type": "standard_webhooks", "secret": SECRET},
        "fields": {"external_reference": "ref", "carrier": "carrier", "tracking_code": "code"},
    }
    document["platform"] = {"events": {"url": events_url, "secret": SECRET}}
    path = folder / "irp.json"
    path.write_text(json.dumps(document))
    return path


def submitted_orders(db: Database, count: int) -> None:
    now = db.now()
    with db.begin() as conn:
        conn.execute(
            refurbishers.insert().values(
                key="flexit", name="flexit", created_at=now, updated_at=now
            )
        )
        conn.execute(
            orders.insert(),
            [
                {
                    "id": str(n),
                    "refurbisher": "flexit",
                    "order_number": f"IU-{n}",
                    "status": "submitting",
                    "content": {},
                    "content_hash": "0" * 64,
                    "attempts": 1,
                    "lookup_not_found_count": 0,
                    "resend_allowed": False,
                    "version": 0,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(count)
            ],
        )
    for n in range(count):
        with db.write_transaction() as conn:
            values = {"external_reference": f"SO-{n}", "submitted_at": now}
            transition(conn, str(n), [S.SUBMITTING], S.SUBMITTED, values=values)


def bench_webhooks(db: Database, config_path: Path, count: int) -> float:
    config = load_config(config_path, "acceptance")
    oracle = Webhook(SECRET)
    deliveries = []
    for n in range(count):
        body = json.dumps({"ref": f"SO-{n}", "carrier": "PostNL", "code": f"3S{n:09d}"})
        at = datetime.now(UTC)
        headers = {
            "webhook-id": f"msg_{n}",
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": oracle.sign(f"msg_{n}", at, body),
        }
        deliveries.append((body.encode(), headers))
    started = time.perf_counter()
    for body, headers in deliveries:
        answer = receive_shipment_webhook(db, config, "flexit", body, headers)
        assert answer.status_code == 200, answer
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=500)
    args = parser.parse_args()
    print(
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs, SQLite"
    )
    with tempfile.TemporaryDirectory() as tmp, WebhookReceiver() as market:
        folder = Path(tmp)
        config_path = write_config(folder, market.url)
        db = open_database(f"sqlite:///{folder / 'bench.db'}", "acceptance")
        try:
            submitted_orders(db, args.orders)
            rate = bench_webhooks(db, config_path, args.orders)
            print(f"shipment webhooks: {args.orders} deliveries, {rate:,.0f}/s")
            config = load_config(config_path, "acceptance")
            events = 2 * args.orders  # submitted + shipped per order
            started = time.perf_counter()
            pushed = 0
            while pushed < events:
                pushed += push_due_events(db, config, budget_seconds=60).pushed
            elapsed = time.perf_counter() - started
            print(f"event push: {pushed} events to a loopback receiver, {pushed / elapsed:,.0f}/s")
            started = time.perf_counter()
            run = run_monitor(db, config, probe=False, notify=False)
            took = (time.perf_counter() - started) * 1000
            print(
                f"monitor run (no probes): {len(run.results)} checks over "
                f"{args.orders} orders, {took:,.0f} ms"
            )
        finally:
            db.close()


if __name__ == "__main__":
    main()
