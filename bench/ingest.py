"""Offer-ingest benchmark: a 1,000,000-row FlexIT feed, on SQLite and PostgreSQL.

Prints, for each backend, in one run:
- the floor: a bare ``polars.read_csv`` of the file (every column as text);
- a cold sync into an empty database;
- a warm sync of the same feed with 1% of the rows changed (the offer index comes from
  the local snapshot the cold sync left);
- the same warm sync once more without the snapshot (the index read from the database,
  as on a worker that did not run the previous sync), the feed changing 1% back;
- the peak RSS (VmHWM) of the process that ran the cold and the warm sync, as
  ``irp serve`` runs them one after another.

The floor and each backend run in child processes, so each peak RSS is its own. The
machine is shared: each figure is the best of ``--repeat`` runs (default 3).

    .venv/bin/python bench/ingest.py [--rows 1000000] [--backends sqlite,postgresql]
        [--repeat 3] [--polars-threads N] [--profile]

The start-up figures (``irp --help``, ``irp orders show``, a 20k-row warm sync) are
printed by ``bench/startup.py``, which ``make bench`` runs after this and the orders
benchmark.
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

TARGETS = {"warm_vs_floor": 3.0, "cold_sqlite": 10.0, "cold_postgresql": 5.0, "peak_rss_mb": 1024.0}
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--polars-threads", type=int)
    parser.add_argument("--profile", action="store_true", help="print the warm sync's stages")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run = run_floor if args.child == "floor" else functools.partial(run_backend, args.child)
        print(json.dumps(run(Path(args.workdir))))
        return

    env = dict(os.environ)
    if args.polars_threads:
        env["POLARS_MAX_THREADS"] = str(args.polars_threads)
    with tempfile.TemporaryDirectory(prefix="irp-bench-") as tmp:
        workdir = Path(tmp)
        t0 = time.perf_counter()
        make_feeds(workdir, args.rows)
        generated = time.perf_counter() - t0
        size_mb = (workdir / "feed.csv").stat().st_size / 1e6
        machine = f"{platform.platform()}, {os.cpu_count()} cpu"
        print(f"machine: {machine}, python {platform.python_version()}, load {load()}")
        threads = env.get("POLARS_MAX_THREADS", "unset")
        print(f"feed: {args.rows:,} rows, {size_mb:.0f} MB (generated in {generated:.1f} s)")
        print(f"best of {args.repeat} runs each; POLARS_MAX_THREADS {threads}")
        print()
        header = (
            f"{'backend':<11} {'floor s':>8} {'cold s':>8} {'warm s':>8} "
            f"{'warm/floor':>10} {'warm, no snapshot s':>20} {'peak RSS MB':>12}"
        )
        print(header)
        print("-" * len(header))
        for backend in args.backends.split(","):
            r = best([child("floor", workdir, env) for _ in range(args.repeat)])
            r |= best([child(backend, workdir, env) for _ in range(args.repeat)])
            print(
                f"{backend:<11} {r['floor']:>8.2f} {r['cold']:>8.2f} {r['warm']:>8.2f} "
                f"{r['warm'] / r['floor']:>10.2f} {r['warm_database']:>20.2f} "
                f"{r['peak_rss_mb']:>12.0f}"
            )
            print(f"{'':<11} cold: {r['cold_report']}; warm: {r['warm_report']}")
            if args.profile:
                print(f"{'':<11} warm stages: {r['warm_stages']}")
        print()
        print(
            f"targets: warm <= {TARGETS['warm_vs_floor']:.0f}x floor, cold <= "
            f"{TARGETS['cold_sqlite']:.0f} s (SQLite) / {TARGETS['cold_postgresql']:.0f} s "
            f"(PostgreSQL), peak RSS <= {TARGETS['peak_rss_mb']:.0f} MB; load {load()}"
        )
        startup = Path(__file__).with_name("startup.py")
        print(
            "start-up (irp --help, irp orders show, a 20k-row warm sync): "
            + ("bench/startup.py, next in make bench" if startup.exists() else "not measured yet")
        )


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each timing and the peak RSS at its best (lowest) over ``runs``; reports of the first."""
    out = dict(runs[0])
    for key, value in runs[0].items():
        if isinstance(value, float):
            out[key] = min(r[key] for r in runs)
    return out


def child(name: str, workdir: Path, env: dict[str, str]) -> dict[str, Any]:
    """Run ``--child name`` in a fresh process (so peak RSS is its own); its JSON."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", name, "--workdir", str(workdir)],
        capture_output=True,
        text=True,
        env=env,
    )
    if out.returncode:
        sys.exit(f"bench child {name} failed:\n{out.stderr}")
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
    for section in ("order", "environments", "shipment_poll", "shipment_webhook"):
        flexit.pop(section, None)  # the bench syncs offers only
    return {"flexit": flexit}


def run_floor(workdir: Path) -> dict[str, object]:
    """The floor, in its own process: its memory must not count as the sync's."""
    import polars as pl

    t0 = time.perf_counter()
    pl.read_csv(workdir / "feed.csv", separator=";", infer_schema=False)
    return {"floor": time.perf_counter() - t0}


def run_backend(backend: str, workdir: Path) -> dict[str, object]:
    import shutil

    from irp.config import load_config
    from irp.feeds.sync import SyncRequest, sync_offers
    from irp.store.db import open_database
    from irp.store.snapshot import snapshot_folder

    config = load_config(workdir / "irp.json", "acceptance")
    ref = config.refurbishers["flexit"]
    url, cleanup = database_url(backend, workdir)
    stages: list[tuple[str, float]] = []

    def timed(feed: str) -> tuple[float, object]:
        stages.clear()
        t0 = time.perf_counter()
        request = SyncRequest(
            ref,
            workdir,
            file=workdir / feed,
            progress=lambda stage: stages.append((stage, time.perf_counter() - t0)),
        )
        report = sync_offers(db, request)
        return time.perf_counter() - t0, report

    try:
        db = open_database(url, "acceptance")
        cold_s, cold = timed("feed.csv")
        warm_s, warm = timed("feed-1pct.csv")
        warm_stages = " ".join(f"{s}@{t:.2f}" for s, t in dict(stages).items())
        peak = peak_rss_mb()
        folder = snapshot_folder(db.url, workdir)
        assert folder is not None
        shutil.rmtree(folder)
        database_s, _ = timed("feed.csv")
        db.close()
    finally:
        cleanup()
    return {
        "cold": cold_s,
        "warm": warm_s,
        "warm_database": database_s,
        "peak_rss_mb": peak,
        "cold_report": summary(cold),
        "warm_report": summary(warm),
        "warm_stages": warm_stages,
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
