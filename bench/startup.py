"""Start-up benchmark: what an operator or a cron job waits for, whole-process.

Prints, best of N runs each (``irp`` is started as a fresh process every time):
- ``irp --help``;
- ``irp orders show ID`` of a stored order (SQLite);
- a warm ``irp offers sync`` of a 20,000-row FlexIT feed with 1% of the rows changed
  (the feed alternates between two versions, so every run changes 1%);
- for scale: a bare ``python -c pass`` and ``import polars, sqlalchemy``.

    .venv/bin/python bench/startup.py [--repeat 7] [--rows 20000]

The machine is shared; the best of N is the figure least disturbed by other work. The
CPU time (user + system) of the same runs is printed beside the wall time: it moves
much less with the load of other processes, so it shows what IRP itself costs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

TARGETS = {"irp --help": 0.3, "irp orders show ID": 0.5, "warm sync 20k rows, 1% changed": 0.7}
SECRETS = {
    "FLEXIT_SFTP_PASSWORD": "bench-sftp",
    "FLEXIT_CLIENT_ID": "bench-id",
    "FLEXIT_CLIENT_SECRET": "bench-secret",
}
BIN = Path(sys.executable).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="irp-startup-") as tmp:
        folder = Path(tmp)
        env = {**os.environ, **SECRETS, "IRP_CONFIG": str(folder / "irp.json")}
        env.pop("IRP_ENV", None)
        env.pop("IRP_DATABASE_URL", None)
        feeds = prepare(folder, args.rows, env)
        irp = str(BIN / "irp")
        python = sys.executable
        figures = {
            "python -c pass": best(args.repeat, [python, "-c", "pass"], env),
            "import polars, sqlalchemy": best(
                args.repeat, [python, "-c", "import polars, sqlalchemy"], env
            ),
            "irp --help": best(args.repeat, [irp, "--help"], env),
            "irp orders show ID": best(args.repeat, [irp, "orders", "show", "5001"], env),
            "warm sync 20k rows, 1% changed": best_alternating(args.repeat, irp, feeds, env),
        }
    print(f"start-up, whole process, best of {args.repeat} (SQLite, {args.rows:,}-row feed)")
    print(f"  {'':<32} {'wall':>8} {'cpu':>8}")
    for name, (wall, cpu) in figures.items():
        target = TARGETS.get(name)
        verdict = ""
        if target is not None:
            verdict = f"  target <= {target:.1f} s wall: {'met' if wall <= target else 'MISSED'}"
        print(f"  {name:<32} {wall:6.3f} s {cpu:6.3f} s{verdict}")


def prepare(folder: Path, rows: int, env: dict[str, str]) -> tuple[Path, Path]:
    """The config, two feed versions 1% apart, a first sync and one stored order."""
    from irp.sandbox.feed import change_rows, flexit_feed
    from irp.sandbox.flexit import example_config, example_inbound_order

    (folder / "irp.json").write_text(json.dumps(example_config()))
    first = flexit_feed(rows, seed=7)
    feeds = (folder / "feed-a.csv", folder / "feed-b.csv")
    feeds[0].write_bytes(first)
    feeds[1].write_bytes(change_rows(first, 0.01, seed=8))
    irp = str(BIN / "irp")
    run([irp, "offers", "sync", "flexit", "--file", str(feeds[0])], env)
    listed = json.loads(run([irp, "offers", "export", "flexit", "--json"], env))
    item = {"sku": listed[0]["sku"], "quantity": 1, "unit_price_tax_excl": "249.00"}
    orders = folder / "orders.json"
    orders.write_text(json.dumps([example_inbound_order(items=[item])]))
    run([irp, "orders", "add", str(orders)], env)
    return feeds


def run(command: Sequence[str], env: dict[str, str]) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}: {done.stderr}")
    return done.stdout


def timed(command: Sequence[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one run of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    run(command, env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def best(repeat: int, command: Sequence[str], env: dict[str, str]) -> tuple[float, float]:
    """The best wall time and the best CPU time of ``repeat`` runs."""
    runs = [timed(command, env) for _ in range(repeat)]
    return min(wall for wall, _ in runs), min(cpu for _, cpu in runs)


def best_alternating(
    repeat: int, irp: str, feeds: tuple[Path, Path], env: dict[str, str]
) -> tuple[float, float]:
    """Best of ``repeat`` syncs, each from the other feed version: 1% changed every time."""
    runs = []
    for index in range(repeat):
        feed = feeds[(index + 1) % 2]
        runs.append(timed([irp, "offers", "sync", "flexit", "--file", str(feed)], env))
    return min(wall for wall, _ in runs), min(cpu for _, cpu in runs)


if __name__ == "__main__":
    main()
