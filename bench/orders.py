"""Order benchmark: payload render+validate throughput, and submit throughput (SQLite).

Prints the machine, then
1. FlexIT payload render + encode + validate (the simulator's schema validator), orders/s;
2. ``submit_due`` of N pending orders against the local FlexIT simulator, with
   ``max_concurrency`` 4 and 8, orders/s (each a real HTTP request and three commits).

    .venv/bin/python bench/orders.py [--orders 500]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fixtures.order_api import FLEXIT_CLIENT_ID, FLEXIT_CLIENT_SECRET  # noqa: E402
from tests.integration.orders.submit_support import add_order, flexit_config  # noqa: E402

from irp.orders.context import build_context  # noqa: E402
from irp.orders.payload_json import encode_payload  # noqa: E402
from irp.orders.submit import submit_due  # noqa: E402
from irp.sandbox.flexit_schema import parse_json, validate_order  # noqa: E402
from irp.sandbox.order_api import FlexitOrderApi  # noqa: E402
from irp.store.db import open_database  # noqa: E402


def bench_render(config_dir: Path, api: FlexitOrderApi, count: int) -> float:
    config = flexit_config(config_dir, api)
    template = config.refurbishers["flexit"].order.template  # type: ignore[union-attr]
    row = {
        "id": "5001",
        "order_number": "IU-100234",
        "content": {
            "shipping_address": {
                "full_name": "Jan Jansen",
                "full_address": "Damrak 1",
                "zipcode": "1012 AB",
                "city": "Amsterdam",
                "country": "NL",
            }
        },
    }
    lines = [
        {"line_no": n, "sku": f"FLX-{n}", "quantity": 1, "unit_price_tax_excl": "249.00"}
        for n in range(1, 4)
    ]
    started = time.perf_counter()
    for n in range(count):
        payload = template.render(build_context({**row, "id": str(n)}, lines))
        issues = validate_order(parse_json(encode_payload(payload)))
        assert not issues, issues
    return count / (time.perf_counter() - started)


def bench_submit(workdir: Path, orders: int, concurrency: int) -> float:
    with FlexitOrderApi(client_id=FLEXIT_CLIENT_ID, client_secret=FLEXIT_CLIENT_SECRET) as api:
        folder = workdir / f"c{concurrency}"
        folder.mkdir()
        config = flexit_config(folder, api, max_concurrency=concurrency)
        db = open_database(f"sqlite:///{folder / 'irp.db'}", "acceptance")
        for n in range(orders):
            add_order(db, str(100000 + n))
        started = time.perf_counter()
        results = submit_due(db, config)
        elapsed = time.perf_counter() - started
        db.close()
        assert len(results) == orders and all(r.status == "submitted" for r in results)
        assert len(api.orders) == orders
    return orders / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--renders", type=int, default=5000)
    args = parser.parse_args()
    print(
        f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        with FlexitOrderApi(client_id=FLEXIT_CLIENT_ID, client_secret=FLEXIT_CLIENT_SECRET) as api:
            rate = bench_render(workdir, api, args.renders)
        print(f"render+encode+validate (3 lines): {rate:,.0f} orders/s ({args.renders} orders)")
        for concurrency in (4, 8):
            rate = bench_submit(workdir, args.orders, concurrency)
            print(
                f"submit {args.orders} orders, SQLite, max_concurrency {concurrency}: "
                f"{rate:,.0f} orders/s"
            )


if __name__ == "__main__":
    main()
