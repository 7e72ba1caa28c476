"""Order benchmark: payload render+validate throughput, and submit throughput (SQLite).

Prints the machine, then
1. FlexIT payload render + encode + strict validation (the simulator's schema
   validator), orders/s, with three lines per order;
2. ``submit_due`` of N pending orders against the bundled FlexIT simulator, with
   ``max_concurrency`` 4 and 8, orders/s: each order claimed (committed), sent over
   HTTP, its answer checked, its attempt and state committed.

Everything runs on the FlexIT sandbox with ``examples/flexit.json`` pointed at it; the
orders come in through the real intake after a real offer sync (neither is timed).

    .venv/bin/python bench/orders.py [--orders 500] [--renders 5000]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from irp.config import Config, load_config
from irp.feeds.export import offer_rows
from irp.feeds.sync import SyncRequest, sync_offers
from irp.orders.intake import accept_orders
from irp.orders.submit import submit_due
from irp.sandbox.flexit import FlexitSandbox, example_inbound_order
from irp.sandbox.flexit_schema import parse_json, validate_order
from irp.store.db import Database, open_database
from irp.template.payload_json import encode_payload


def inbound(order_id: str, skus: list[str]) -> dict[str, Any]:
    """The SPEC §3 example order with one line per SKU."""
    items = [{"sku": sku, "quantity": 1, "unit_price_tax_excl": "249.00"} for sku in skus]
    return example_inbound_order(id=order_id, order_number=f"IU-{order_id}", items=items)


def bench_render(config: Config, skus: list[str], count: int) -> float:
    from irp.orders.context import build_context

    order = config.refurbishers["flexit"].order
    assert order is not None
    row = {"id": "0", "order_number": "IU-0", "content": inbound("0", skus)}
    lines = [
        {"line_no": n, "sku": sku, "quantity": 1, "unit_price_tax_excl": Decimal("249.00")}
        for n, sku in enumerate(skus, start=1)
    ]
    started = time.perf_counter()
    for n in range(count):
        payload = order.template.render(build_context({**row, "id": str(n)}, lines))
        issues = validate_order(parse_json(encode_payload(payload)))
        assert not issues, issues
    return count / (time.perf_counter() - started)


def bench_submit(sandbox: FlexitSandbox, folder: Path, orders: int, concurrency: int) -> float:
    config_path = sandbox.write_config(
        folder / "irp.json", overrides={"order": {"max_concurrency": concurrency}}
    )
    config = load_config(config_path, "acceptance")
    db = open_database(f"sqlite:///{folder / 'irp.db'}", "acceptance")
    try:
        skus = _synced_skus(db, config, 3)
        results = accept_orders(
            db, config, (inbound(f"{concurrency}-{n}", skus) for n in range(orders))
        )
        assert all(r.result == "accepted" for r in results)
        before = len(sandbox.order_api.orders)
        started = time.perf_counter()
        submitted = submit_due(db, config, refurbisher="flexit")
        elapsed = time.perf_counter() - started
    finally:
        db.close()
    assert len(submitted) == orders and all(r.status == "submitted" for r in submitted)
    assert len(sandbox.order_api.orders) - before == orders
    return orders / elapsed


def _synced_skus(db: Database, config: Config, count: int) -> list[str]:
    request = SyncRequest(config.refurbishers["flexit"], config.path.parent)
    assert sync_offers(db, request).succeeded
    return [row["sku"] for row in offer_rows(db, "flexit", listed_only=True, limit=count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--renders", type=int, default=5000)
    args = parser.parse_args()
    print(
        f"machine: {platform.platform()}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    with (
        tempfile.TemporaryDirectory(prefix="irp-bench-") as tmp,
        FlexitSandbox(Path(tmp), rows=50) as sandbox,
    ):
        os.environ.update(sandbox.secrets)
        first = Path(tmp) / "render"
        first.mkdir()
        config = load_config(sandbox.write_config(first / "irp.json"), "acceptance")
        db = open_database(f"sqlite:///{first / 'irp.db'}", "acceptance")
        try:
            skus = _synced_skus(db, config, 3)
        finally:
            db.close()
        rate = bench_render(config, skus, args.renders)
        print(f"render+encode+validate (3 lines): {rate:,.0f} orders/s ({args.renders} orders)")
        for concurrency in (4, 8):
            folder = Path(tmp) / f"c{concurrency}"
            folder.mkdir()
            rate = bench_submit(sandbox, folder, args.orders, concurrency)
            print(
                f"submit {args.orders} orders, SQLite, max_concurrency {concurrency}: "
                f"{rate:,.0f} orders/s"
            )


if __name__ == "__main__":
    main()
