"""Offer-ingest benchmark: a 1,000,000-row FlexIT feed, on SQLite and PostgreSQL.

Prints, for each backend, in one run:
- the floor: a bare ``polars.read_csv`` of the file (every column as text);
- a cold sync into an empty database;
- a warm sync of the same feed with 1% of the rows changed;
- the peak RSS of the process that ran them (VmHWM).

The floor and each backend run in their own child process, so each peak RSS is its own.

    .venv/bin/python bench/ingest.py [--rows 1000000] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

TARGETS = {"warm_vs_floor": 3.0, "cold_seconds": 10.0, "peak_rss_mb": 1024.0}
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run = run_floor if args.child == "floor" else functools.partial(run_backend, args.child)
        print(json.dumps(run(Path(args.workdir))))
        return

    with tempfile.TemporaryDirectory(prefix="irp-bench-") as tmp:
        workdir = Path(tmp)
        t0 = time.perf_counter()
        make_feeds(workdir, args.rows)
        generated = time.perf_counter() - t0
        size_mb = (workdir / "feed.csv").stat().st_size / 1e6
        machine = f"{platform.platform()}, {os.cpu_count()} cpu"
        print(f"machine: {machine}, python {platform.python_version()}")
        print(f"feed: {args.rows:,} rows, {size_mb:.0f} MB (generated in {generated:.1f} s)")
        print()
        header = (
            f"{'backend':<11} {'floor s':>8} {'cold s':>8} {'warm s':>8} "
            f"{'warm/floor':>10} {'peak RSS MB':>12}"
        )
        print(header)
        print("-" * len(header))
        for backend in args.backends.split(","):
            r = {**child("floor", workdir), **child(backend, workdir)}
            print(
                f"{backend:<11} {r['floor']:>8.2f} {r['cold']:>8.2f} {r['warm']:>8.2f} "
                f"{r['warm'] / r['floor']:>10.2f} {r['peak_rss_mb']:>12.0f}"
            )
            print(f"{'':<11} cold: {r['cold_report']}; warm: {r['warm_report']}")
        print()
        print(
            f"targets: warm <= {TARGETS['warm_vs_floor']:.0f}x floor, cold <= "
            f"{TARGETS['cold_seconds']:.0f} s, peak RSS <= {TARGETS['peak_rss_mb']:.0f} MB"
        )


def child(name: str, workdir: Path) -> dict[str, Any]:
    """Run ``--child name`` in a fresh process (so peak RSS is its own); its JSON."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", name, "--workdir", str(workdir)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def make_feeds(workdir: Path, rows: int) -> None:
    from irp.sandbox.feed import change_rows, flexit_feed

    base = flexit_feed(rows, seed=1)
    (workdir / "feed.csv").write_bytes(base)
    (workdir / "feed-1pct.csv").write_bytes(change_rows(base, 0.01, seed=2))
    (workdir / "irp.json").write_text(json.dumps(bench_config()))


def bench_config() -> dict[str, object]:
    example = json.loads(
        (Path(__file__).resolve().parent.parent / "examples" / "flexit.json").read_text()
    )
    flexit = example["flexit"]
    flexit["offers"]["connection"] = "file"
    flexit["offers"]["auth"] = {"path": "feed.csv"}
    flexit.pop("order", None)
    flexit.pop("environments", None)
    return {"flexit": flexit}


def run_floor(workdir: Path) -> dict[str, object]:
    """The floor, in its own process: its memory must not count as the sync's."""
    import polars as pl

    t0 = time.perf_counter()
    pl.read_csv(workdir / "feed.csv", separator=";", infer_schema=False)
    return {"floor": time.perf_counter() - t0}


def run_backend(backend: str, workdir: Path) -> dict[str, object]:
    from irp.config import load_config
    from irp.feeds.sync import SyncRequest, sync_offers
    from irp.store.db import open_database

    config = load_config(workdir / "irp.json", "acceptance")
    ref = config.refurbishers["flexit"]
    url, cleanup = database_url(backend, workdir)
    try:
        db = open_database(url, "acceptance")
        t0 = time.perf_counter()
        cold = sync_offers(db, SyncRequest(ref, workdir, file=workdir / "feed.csv"))
        cold_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        warm = sync_offers(db, SyncRequest(ref, workdir, file=workdir / "feed-1pct.csv"))
        warm_s = time.perf_counter() - t0
        db.close()
    finally:
        cleanup()
    return {
        "cold": cold_s,
        "warm": warm_s,
        "peak_rss_mb": peak_rss_mb(),
        "cold_report": summary(cold),
        "warm_report": summary(warm),
    }


def peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM).

    Not ``getrusage().ru_maxrss``: Linux carries that over from the parent through
    fork and exec, so every child would report the generator's peak.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def summary(report: object) -> str:
    r = report.to_json()  # type: ignore[attr-defined]
    return (
        f"{r['status']} created {r['created']} updated {r['updated']} "
        f"unchanged {r['unchanged']} invalid {r['invalid']}"
    )


def database_url(backend: str, workdir: Path):  # type: ignore[no-untyped-def]
    if backend == "sqlite":
        path = workdir / f"bench-{uuid.uuid4().hex}.db"
        return f"sqlite:///{path}", lambda: None
    import sqlalchemy as sa

    name = f"irp_bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()

    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", drop


if __name__ == "__main__":
    main()
