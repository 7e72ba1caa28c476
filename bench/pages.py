"""Status-page benchmark: every page with 1,000,000 offers in SQLite (target < 300 ms).

Fills an SQLite database with a million FlexIT-like offers (one INSERT ... SELECT over
a recursive CTE), 20,000 orders in every state, sync runs with row errors and offer
stats and one monitoring run (its stored results are what the pages show), then
renders each page through the app (in-process ASGI client, bearer token)
and prints the best and the median of ``--repeat`` runs per page. Searches include the
worst case: a name that matches nothing, so the scan reads the whole table.

    .venv/bin/python bench/pages.py [--offers 1000000] [--repeat 7]

Figures on a shared machine are noisy: take the best of several runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from irp.config import load_config
from irp.monitoring.run import run_monitor
from irp.store.db import open_database
from irp.web import WebBackend, mount_status_page

TARGET_MS = 300.0
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "flexit.json"
TOKEN = "bench-token-0123456789abcdef"


class Tokens:
    """The one bench token (the page's TokenBook)."""

    def __init__(self) -> None:
        self.names = ["bench"]
        self.secrets = frozenset({TOKEN})

    def identify(self, presented: str) -> str | None:
        return "bench" if presented == TOKEN else None


def fill(engine: sa.Engine, offers: int, orders: int) -> None:
    now = datetime.now(UTC)
    stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO refurbishers (key, name, refurbisher_id, created_at, updated_at) "
            f"VALUES ('flexit', 'flexit', 15, '{stamp}', '{stamp}')"
        )
        conn.exec_driver_sql(
            f"""
            WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {offers})
            INSERT INTO offers (refurbisher, sku, name, ean, stock_available,
                price_purchase_amount, price_consumer_amount, price_selling_amount,
                listed, above_srp, price_breakdown, row_hash, created_at, updated_at)
            SELECT 'flexit', printf('FLX-%07d', x),
                'Apple iPhone ' || (x % 97) || ' ' || (64 * (1 + x % 4)) || 'GB Grade ' ||
                    char(65 + x % 3),
                printf('%013d', 8700000000000 + x), x % 13, '249.00', '399.00', '304.32',
                x % 13 >= 1, 0,
                '{{"purchase":"249.00","shipping_costs":"10.00","home_copy_tax":"3.18",' ||
                '"cost":"262.18","margin":"17","margin_mode":"markup","selling":"306.75",' ||
                '"vat_rate":null,"selling_incl_vat":null}}',
                x, '{stamp}', '{stamp}'
            FROM c
            """
        )
        states = ["pending", "submitted", "shipped", "failed", "rejected", "uncertain", "cancelled"]
        rows = []
        for i in range(orders):
            at = (now - timedelta(minutes=i)).strftime("%Y-%m-%d %H:%M:%S.%f")
            rows.append(
                {
                    "id": f"B{i:06d}", "status": states[i % len(states)],
                    "content": json.dumps({"id": f"B{i:06d}", "shipping_address": {}}),
                    "at": at,
                }
            )  # fmt: skip
        conn.execute(
            sa.text(
                "INSERT INTO orders (id, refurbisher, order_number, status, content, "
                "content_hash, attempts, lookup_not_found_count, resend_allowed, version, "
                "created_at, updated_at) VALUES (:id, 'flexit', :id, :status, :content, 'x', 0, "
                "0, 0, 0, :at, :at)"
            ),
            rows,
        )
        for run in range(200):
            start = now - timedelta(hours=2 * (200 - run))
            begin = start.strftime("%Y-%m-%d %H:%M:%S.%f")
            end = (start + timedelta(seconds=9 + run % 5)).strftime("%Y-%m-%d %H:%M:%S.%f")
            conn.exec_driver_sql(
                "INSERT INTO sync_runs (refurbisher, started_at, finished_at, status, forced, "
                "published_at, rows, valid, invalid, created, updated, unchanged, unlisted) "
                f"VALUES ('flexit', '{begin}', '{end}', 'ok', 0, '{begin}', {offers}, "
                f"{offers - 40}, 40, 0, 1000, {offers - 1040}, 12)"
            )
            conn.exec_driver_sql(
                "INSERT INTO offer_stats (refurbisher, run_id, at, offers, listed, stock) "
                f"VALUES ('flexit', {run + 1}, '{end}', {offers}, {offers - offers // 13 + run}, "
                f"{6 * offers + run * 100})"
            )
        conn.exec_driver_sql(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 40) "
            'INSERT INTO row_errors (run_id, line, "column", message, sku) '
            "SELECT 200, x * 1000, 'Sales Price', 'not a number in nl_NL: ''12.5''', NULL FROM c"
        )
        conn.exec_driver_sql("ANALYZE")


PAGES = (
    ("overview", "/"),
    ("refurbisher", "/refurbishers/flexit"),
    ("offers, first page", "/offers"),
    ("offers, page after FLX-0900000", "/offers?after={deep}"),
    ("offers, not listed", "/offers?listed=no"),
    ("offers by EAN", "/offers?q=8700000654321"),
    ("offers by SKU prefix", "/offers?q=FLX-05"),
    ("offers by name (common)", "/offers?q=Grade+B"),
    ("offers by name (no match: 200k scan)", "/offers?q=Samsung"),
    ("one offer", "/offers/flexit/{middle}"),
    ("orders", "/orders"),
    ("orders, uncertain", "/orders?state=uncertain"),
    ("one order", "/orders/B000042"),
    ("alerts", "/alerts"),
    ("row errors CSV", "/refurbishers/flexit/runs/200/errors.csv"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offers", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    for name in ("FLEXIT_SFTP_PASSWORD", "FLEXIT_CLIENT_ID", "FLEXIT_CLIENT_SECRET"):
        os.environ.setdefault(name, f"bench-{name.lower()}")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        config_path = root / "irp.json"
        config_path.write_text(EXAMPLE.read_text())
        config = load_config(config_path, "acceptance")
        db = open_database(f"sqlite:///{root / 'irp-acceptance.db'}", "acceptance")
        started = time.perf_counter()
        fill(db.engine, args.offers, args.orders)
        print(f"filled {args.offers:,} offers, {args.orders:,} orders in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        began = time.perf_counter()
        run_monitor(db, config, probe=False, notify=False)
        print(f"monitoring run (no probes) in {time.perf_counter() - began:.1f} s")
        app = FastAPI()
        mount_status_page(
            app,
            WebBackend(config=lambda: config, db=db, tokens=Tokens(), queue_sync=lambda _: True),
        )
        deep = _cursor("flexit", "FLX-0900000")
        worst = 0.0
        with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
            print(f"{'page':<40} {'best ms':>8} {'median ms':>10}")
            for label, path in PAGES:
                url = path.format(deep=deep, middle=f"FLX-{args.offers // 2:07d}")
                times = []
                for _ in range(args.repeat):
                    began = time.perf_counter()
                    answer = client.get(url)
                    times.append((time.perf_counter() - began) * 1000)
                    if answer.status_code != 200:
                        sys.exit(f"{url}: HTTP {answer.status_code}: {answer.text[:300]}")
                best, median = min(times), statistics.median(times)
                worst = max(worst, best)
                print(f"{label:<40} {best:>8.1f} {median:>10.1f}")
        db.close()
        verdict = "within" if worst < TARGET_MS else "OVER"
        print(
            f"slowest page (best of {args.repeat}): {worst:.1f} ms — {verdict} {TARGET_MS:.0f} ms"
        )


def _cursor(refurbisher: str, sku: str) -> str:
    from irp.web.lists import encode_cursor

    return encode_cursor([refurbisher, sku])


if __name__ == "__main__":
    main()
