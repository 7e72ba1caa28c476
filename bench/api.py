"""HTTP API benchmark: ``POST /api/orders`` under load, and POST-to-submitted latency.

For each backend (SQLite, PostgreSQL) and shape (``serve``: ``irp serve`` with its
API, scheduler and 4 worker threads in one process; ``split``: ``irp serve
--no-worker`` plus one ``irp worker``) it starts the FlexIT sandbox (its own
process) and the service on the operators' ``examples/flexit.json`` pointed at the
sandbox (JSON logs at info), lets the first scheduled sync list the offers, then:

1. **throughput** — ``--clients`` threads POST one order each as fast as they can for
   ``--burst-seconds`` (0: skip): accepted orders/s; then waits until they are sent;
2. **fixed rate** — ``--rate`` orders/s for ``--seconds`` (open loop: each request has
   a planned send time and its latency is counted from that time, so a server that
   falls behind is not hidden by the client waiting): p50/p99/max and errors;
3. **POST to submitted** — for the fixed-rate orders, the time from the planned send
   to the FlexIT simulator's creation of the order: p50/p99/max;
4. **submit throughput inside the service** — ``--drain`` orders posted at once (lists
   of 500), first to last creation at the simulator: orders/s (compare
   ``bench/orders.py``, the same engine without the service around it).

``--profile DIR`` records the process that takes the HTTP requests with py-spy
during phase 2 (``--profile-mode gil``: where its CPU goes; ``wall``: where each
thread waits), as collapsed stacks.

    .venv/bin/python bench/api.py [--backend sqlite|postgresql|both]
        [--shape serve|split|both] [--rate 200] [--seconds 60] [--profile DIR]

Targets on the 2-core development machine: intake p99 < 50 ms at 200 orders/s with
no error; POST-to-submitted p99 < 2 s.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from irp.sandbox.flexit import FlexitSandbox, example_inbound_order

IRP = str(Path(sys.executable).with_name("irp"))
TOKEN = "bench-" + "0" * 24
HEADERS = {"Authorization": f"Bearer {TOKEN}"}
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SHAPES = {
    "serve": "irp serve (API, scheduler, 4 worker threads in one process)",
    "split": "irp serve --no-worker + one irp worker (4 threads)",
}


def _sandbox_process(root: str, ready: Any, stop: Any) -> None:
    with FlexitSandbox(Path(root), rows=500) as sandbox:
        config = sandbox.config(overrides={"offers": {"settle_seconds": 0}})
        (Path(root) / "irp.json").write_text(json.dumps(config))
        ready.send({"secrets": sandbox.secrets, "api": sandbox.order_api.base_url})
        stop.wait()


@contextmanager
def sandbox(root: Path) -> Iterator[dict[str, Any]]:
    """The FlexIT sandbox in a process of its own (not competing with the load client)."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    stop = context.Event()
    process = context.Process(target=_sandbox_process, args=(str(root), child, stop))
    process.start()
    try:
        yield parent.recv()
    finally:
        stop.set()
        process.join(10)


@contextmanager
def database(backend: str) -> Iterator[str | None]:
    if backend == "sqlite":
        yield None
        return
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"irp_bench_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(
    root: Path, secrets: dict[str, str], db_url: str | None, shape: str
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``irp serve`` (shape ``serve``), or ``irp serve --no-worker`` + ``irp worker``
    (shape ``split``); the base URL and the process that takes the HTTP requests."""
    port = free_port()
    env = {**os.environ, **secrets, "IRP_API_TOKENS": f"bench:{TOKEN}", "IRP_ENV": "acceptance"}
    for name in ("IRP_DATABASE_URL", "IRP_QUEUE_URL", "IRP_QUEUE_NAME", "IRP_CONFIG"):
        env.pop(name, None)
    if db_url:
        env["IRP_DATABASE_URL"] = db_url
    config = ["--config", str(root / "irp.json")]
    commands = [[IRP, *config, "serve", "--port", str(port)]]
    if shape == "split":
        commands = [[*commands[0], "--no-worker"], [IRP, *config, "worker"]]
    processes: list[subprocess.Popen[bytes]] = []
    logs = []
    try:
        for n, command in enumerate(commands):
            logs.append((root / f"serve-{n}.log").open("wb"))
            processes.append(
                subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=logs[-1])
            )
            if n == 0:
                base = f"http://127.0.0.1:{port}"
                _wait_healthy(base, processes[0], root)
        yield base, processes[0]
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(60)
        for log in logs:
            log.close()


def _wait_healthy(base: str, process: subprocess.Popen[bytes], root: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(base + "/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError(f"irp serve did not start; see {root / 'serve-0.log'}")
        time.sleep(0.2)


@contextmanager
def profiled(
    folder: Path | None, name: str, pid: int, seconds: float, mode: str = "gil"
) -> Iterator[None]:
    """``py-spy record`` on ``pid`` while the block runs (collapsed stacks), if asked.

    ``gil``: only the thread holding the GIL (where the CPU of the process goes);
    ``wall``: every thread, idle or not (where each thread waits).
    """
    if folder is None:
        yield
        return
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"{name}.txt"
    spy = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("py-spy")),
            "record",
            "--pid",
            str(pid),
            "--format",
            "raw",
            "--rate",
            "50",
            "--threads",
            *(["--gil"] if mode == "gil" else ["--idle"]),
            "--duration",
            str(int(seconds)),
            "--output",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        spy.wait(30)
        print(f"   profile: {out}")


def listed_skus(base: str) -> list[str]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        page = httpx.get(
            base + "/api/offers", params={"listed": "true", "limit": 50}, headers=HEADERS
        )
        skus = [offer["sku"] for offer in page.json()["offers"]]
        if skus:
            return skus
        time.sleep(0.5)
    raise RuntimeError("the first sync listed no offers")


def order(order_id: str, sku: str) -> bytes:
    body = example_inbound_order(id=order_id)
    body["items"] = [{"sku": sku, "quantity": 1, "unit_price_tax_excl": "249.00"}]
    return json.dumps(body).encode()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def throughput(base: str, skus: list[str], clients: int, seconds: float, prefix: str) -> float:
    stop_at = time.monotonic() + seconds
    counts = [0] * clients
    errors = [0] * clients

    def client(index: int) -> None:
        with httpx.Client(base_url=base, headers=HEADERS, timeout=30) as http:
            n = 0
            while time.monotonic() < stop_at:
                body = order(f"{prefix}-{index}-{n}", skus[n % len(skus)])
                answer = http.post(
                    "/api/orders", content=body, headers={"Content-Type": "application/json"}
                )
                n += 1
                if answer.status_code == 201:
                    counts[index] += 1
                else:
                    errors[index] += 1

    started = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    elapsed = time.monotonic() - started
    if sum(errors):
        print(f"   throughput phase: {sum(errors)} requests answered other than 201")
    return sum(counts) / elapsed


def fixed_rate(
    base: str, skus: list[str], rate: float, seconds: float, prefix: str
) -> tuple[list[float], int, dict[str, float]]:
    """Open-loop POSTs; (latencies in s, errors, planned wall-clock send time per id)."""
    total = int(rate * seconds)
    start_wall = time.time() + 0.5
    start_mono = time.monotonic() + 0.5
    latencies: list[float] = []
    planned: dict[str, float] = {}
    errors = 0
    lock = threading.Lock()
    local = threading.local()

    def http() -> httpx.Client:
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=base, headers=HEADERS, timeout=30)
        return local.client  # type: ignore[no-any-return]

    def send(n: int) -> None:
        nonlocal errors
        order_id = f"{prefix}-{n}"
        due = start_mono + n / rate
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        try:
            answer = http().post(
                "/api/orders",
                content=order(order_id, skus[n % len(skus)]),
                headers={"Content-Type": "application/json"},
            )
            ok = answer.status_code == 201
        except httpx.HTTPError:
            ok = False
        done = time.monotonic()
        with lock:
            latencies.append(done - due)
            planned[order_id] = start_wall + n / rate
            if not ok:
                errors += 1

    with ThreadPoolExecutor(64) as pool:
        list(pool.map(send, range(total)))
    return latencies, errors, planned


def submitted_latencies(base: str, api: str, planned: dict[str, float], wait: float) -> list[float]:
    """Seconds from each order's planned POST to its creation at the simulator.

    IRP is asked (cheaply) until nothing is pending or submitting; only then is the
    simulator's list read: building it for tens of thousands of orders holds the
    simulator's lock, and reading it every second slowed the submissions it measures.
    """
    drained(base, wait)
    for _ in range(10):
        created = httpx.get(api + "/_sandbox/orders", timeout=120).json()["orders"]
        at = {
            o["external_document_number"]: datetime.fromisoformat(o["created_at"]).timestamp()
            for o in created
        }
        if all(order_id in at for order_id in planned):
            break
        time.sleep(5)
    missing = [order_id for order_id in planned if order_id not in at]
    if missing:
        print(f"   {len(missing)} orders not at the simulator")
    return [at[order_id] - planned[order_id] for order_id in planned if order_id in at]


def drain(base: str, api: str, skus: list[str], count: int, prefix: str, wait: float) -> float:
    """Orders/s the service's engine submits: ``count`` orders posted at once (lists of
    500), timed from the first to the last creation at the simulator."""
    ids = [f"{prefix}-{n}" for n in range(count)]
    bodies = [json.loads(order(i, skus[n % len(skus)])) for n, i in enumerate(ids)]
    with httpx.Client(base_url=base, headers=HEADERS, timeout=120) as http:
        for start in range(0, count, 500):
            answer = http.post("/api/orders", json=bodies[start : start + 500])
            answer.raise_for_status()
    planned = dict.fromkeys(ids, 0.0)
    times = sorted(submitted_latencies(base, api, planned, wait))
    return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0


def drained(base: str, wait: float) -> None:
    """Wait until no order is pending or submitting any more."""
    time.sleep(1)  # the last wake-ups
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        busy = [
            httpx.get(
                base + "/api/orders", params={"status": status, "limit": 1}, headers=HEADERS
            ).json()["orders"]
            for status in ("pending", "submitting")
        ]
        if not any(busy):
            return
        time.sleep(1)
    print(f"   orders still pending after {wait:.0f} s")


def ms(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 10 else f"{value:.1f} s"


def run(backend: str, shape: str, args: argparse.Namespace) -> None:
    print(f"\n== {backend}, {SHAPES[shape]}")
    with tempfile.TemporaryDirectory(prefix="irp-bench-api-") as tmp:
        root = Path(tmp)
        with (
            sandbox(root) as sb,
            database(backend) as db_url,
            serve(root, sb["secrets"], db_url, shape) as (base, process),
        ):
            skus = listed_skus(base)
            if args.burst_seconds > 0:
                rate = throughput(base, skus, args.clients, args.burst_seconds, "T")
                print(
                    f"1. throughput, {args.clients} clients, {args.burst_seconds:g} s: "
                    f"{rate:.0f} orders/s accepted"
                )
                drained(base, args.wait)  # the burst's backlog is sent before the next phase
                time.sleep(args.settle)
            with profiled(
                args.profile,
                f"{backend}-{shape}-{args.profile_mode}",
                process.pid,
                args.seconds + 10,
                args.profile_mode,
            ):
                latencies, errors, planned = fixed_rate(base, skus, args.rate, args.seconds, "F")
            print(
                f"2. {args.rate:g} orders/s for {args.seconds:g} s ({len(latencies)} POSTs): "
                f"p50 {ms(statistics.median(latencies))}, p99 {ms(percentile(latencies, 0.99))}, "
                f"max {ms(max(latencies))}, errors {errors}"
            )
            to_submitted = submitted_latencies(base, sb["api"], planned, args.wait)
            if to_submitted:
                print(
                    "3. POST to submitted at the simulator: "
                    f"p50 {ms(statistics.median(to_submitted))}, "
                    f"p99 {ms(percentile(to_submitted, 0.99))}, max {ms(max(to_submitted))}"
                )
            if args.drain:
                rate = drain(base, sb["api"], skus, args.drain, "D", args.wait)
                print(
                    f"4. submit throughput inside the service ({args.drain} orders posted as "
                    f"lists of 500): {rate:.0f} orders/s, first to last creation at the simulator"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--shape", choices=[*SHAPES, "both"], default="both")
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--burst-seconds", type=float, default=10.0)
    parser.add_argument("--settle", type=float, default=2.0)
    parser.add_argument(
        "--drain", type=int, default=1000, help="orders for the in-service submit throughput"
    )
    parser.add_argument(
        "--wait", type=float, default=300.0, help="seconds to wait for orders at the simulator"
    )
    parser.add_argument(
        "--profile", type=Path, default=None, help="py-spy the server into this folder"
    )
    parser.add_argument("--profile-mode", choices=["gil", "wall"], default="gil")
    args = parser.parse_args()
    print(
        f"{platform.system()} {platform.release()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    for backend in ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]:
        for shape in SHAPES if args.shape == "both" else [args.shape]:
            run(backend, shape, args)


if __name__ == "__main__":
    main()
