"""Bulk offer primitives on 1,000,000 rows, SQLite and PostgreSQL: seconds per step.

Run: ``.venv/bin/python bench/store_bulk.py [ROWS]`` (PostgreSQL skipped if unreachable).
"""

from __future__ import annotations

import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime

import polars as pl
import sqlalchemy as sa

from irp.store import offers
from irp.store.db import open_database
from irp.store.tables import refurbishers

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
NOW = datetime(2024, 5, 1, tzinfo=UTC)


def _feed(n: int) -> pl.DataFrame:
    i = pl.int_range(0, n, eager=True)
    return pl.DataFrame(
        {
            "sku": "FLX-" + i.cast(pl.String),
            "name": "Refurbished phone " + i.cast(pl.String),
            "ean": pl.Series([None] * n, dtype=pl.String),
            "stock_available": i % 50,
            "price_purchase_amount": (i % 900 + 100).cast(pl.String) + ".50",
            "price_consumer_amount": (i % 900 + 300).cast(pl.String) + ".00",
            "price_selling_amount": (i % 900 + 150).cast(pl.String) + ".25",
            "listed": (i % 50) > 0,
            "above_srp": pl.Series([False] * n),
            "row_hash": i.hash(seed=7),
            "price_breakdown": pl.Series(['{"cost": "1.00"}'] * n),
        }
    )


def _run(url: str, rows: int) -> None:
    db = open_database(url, "bench")
    feed = _feed(rows)
    with db.begin() as conn:
        conn.execute(
            sa.insert(refurbishers).values(key="flexit", name="F", created_at=NOW, updated_at=NOW)
        )
    steps: list[tuple[str, float]] = []
    start = time.perf_counter()
    with db.begin() as conn:
        offers.insert_offers(conn, "flexit", feed, run_id=1, now=NOW)
    steps.append((f"insert {rows:,} (cold, committed)", time.perf_counter() - start))
    start = time.perf_counter()
    with db.begin() as conn:
        index = offers.load_offer_index(conn, "flexit")
    steps.append((f"load_offer_index ({index.height:,})", time.perf_counter() - start))
    change = feed.head(10_000).with_columns(pl.col("stock_available") + 1)
    start = time.perf_counter()
    with db.begin() as conn:
        offers.update_offers(conn, "flexit", change, run_id=2, now=NOW)
    steps.append(("update 10,000 (committed)", time.perf_counter() - start))
    start = time.perf_counter()
    with db.begin() as conn:
        offers.unlist_offers(
            conn, "flexit", feed["sku"][-10_000:].to_list(), reason="vanished", run_id=2, now=NOW
        )
    steps.append(("unlist 10,000 (committed)", time.perf_counter() - start))
    start = time.perf_counter()
    with db.begin() as conn:
        everything = offers.load_offers(conn, "flexit")
    steps.append((f"load_offers ({everything.height:,})", time.perf_counter() - start))
    db.close()
    print(db.dialect)
    for label, seconds in steps:
        print(f"  {label:<36} {seconds:6.2f} s")


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as folder:
        _run(f"sqlite:///{folder}/bench.db", rows)
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"irp_bench_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
    except sa.exc.OperationalError as exc:
        print(f"postgresql skipped: {str(exc.orig).splitlines()[0]}")
        return
    try:
        _run(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", rows)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


if __name__ == "__main__":
    main()
