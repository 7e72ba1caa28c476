"""Running ``irp serve`` / ``irp worker`` as real processes against the FlexIT sandbox.

:class:`Services` starts them (each on a free port, its stderr in a file), talks to
them over HTTP, and stops whatever is still running when the test ends. Waiting is
always for a condition with a generous deadline, never a bare sleep.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import httpx

from irp.sandbox.flexit import FlexitSandbox, example_inbound_order

IRP = str(Path(sys.executable).with_name("irp"))
OPS_TOKEN = "ops-0123456789abcdef0123456789"
CI_TOKEN = "ci-fedcba9876543210fedcba987654"
API_TOKENS = f"ops:{OPS_TOKEN},ci:{CI_TOKEN}"
OPS = {"Authorization": f"Bearer {OPS_TOKEN}"}
DEADLINE = 60.0  # seconds: generous, the machine is shared

#: What every service test changes in examples/flexit.json: no 2 s settle pause for
#: the SFTP feed, a first lookup 1 s after an order became uncertain.
BASE_OVERRIDES: dict[str, Any] = {
    "offers": {"settle_seconds": 0},
    "order": {"lookup": {"delay_seconds": 1}},
}

T = TypeVar("T")


def wait_for(check: Callable[[], T], what: str, timeout: float = DEADLINE) -> T:
    """Call ``check`` until it returns something truthy; that value. AssertionError
    naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    pause = 0.05
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:g} s")
        time.sleep(pause)
        pause = min(pause * 1.5, 0.5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def merge(target: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
    return target


def write_config(
    path: Path,
    sandbox: FlexitSandbox,
    overrides: Mapping[str, Any] | None = None,
    *,
    sweep_seconds: float = 0.5,
) -> Path:
    """examples/flexit.json pointed at ``sandbox``, with test overrides and a fast sweep."""
    flexit = merge(copy.deepcopy(BASE_OVERRIDES), overrides or {})
    config = sandbox.config(overrides=flexit)
    config["platform"] = {"service": {"sweep_seconds": sweep_seconds}}
    path.write_text(json.dumps(config, indent=2) + "\n")
    return path


def order(order_id: str, sku: str, **changes: Any) -> dict[str, Any]:
    """The SPEC §3 example order with ``order_id`` and one line of ``sku``."""
    base = example_inbound_order(id=order_id)
    base["items"] = [{"sku": sku, "quantity": 1, "unit_price_tax_excl": "249.00"}]
    return merge(base, changes)


class IrpProcess:
    """One ``irp`` process; its stderr (JSON log lines) goes to ``log_path``."""

    def __init__(self, args: list[str], env: Mapping[str, str], log_path: Path) -> None:
        self.args = args
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.proc = subprocess.Popen(
            [IRP, *args], env=dict(env), stdout=subprocess.DEVNULL, stderr=self._log
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_lines(self) -> list[dict[str, Any]]:
        """The JSON log records written so far (a line cut short at the end is left out)."""
        records = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
        return records

    def send(self, signum: int) -> None:
        self.proc.send_signal(signum)

    def wait_exit(self, timeout: float = DEADLINE) -> int:
        return self.proc.wait(timeout)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not end in time (teardown)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(DEADLINE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()


class Served:
    """A running ``irp serve`` and an HTTP client on it."""

    def __init__(self, process: IrpProcess, base_url: str) -> None:
        self.process = process
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=30.0)

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**OPS, **kwargs.pop("headers", {})}
        return self.http.request(method, path, headers=headers, **kwargs)

    def order_status(self, order_id: str) -> str | None:
        answer = self.api("GET", f"/api/orders/{order_id}")
        return str(answer.json()["status"]) if answer.status_code == 200 else None

    def listed_skus(self) -> list[str]:
        answer = self.api("GET", "/api/offers", params={"listed": "true", "limit": 1000})
        return (
            [offer["sku"] for offer in answer.json()["offers"]] if answer.status_code == 200 else []
        )


class Services:
    """Starts ``irp`` processes for one test and stops them all afterwards."""

    def __init__(self, root: Path, sandbox: FlexitSandbox, extra_env: Mapping[str, str]) -> None:
        self.root = root
        self.sandbox = sandbox
        self.env = {
            **os.environ,
            **sandbox.secrets,
            "IRP_API_TOKENS": API_TOKENS,
            "IRP_ENV": "acceptance",
        }
        for inherited in ("IRP_CONFIG", "IRP_DATABASE_URL", "IRP_QUEUE_URL", "IRP_QUEUE_NAME"):
            self.env.pop(inherited, None)
        self.env.update(extra_env)
        self.processes: list[IrpProcess] = []
        self.clients: list[Served] = []

    def _start(self, config: Path, args: list[str], name: str) -> IrpProcess:
        process = IrpProcess(
            ["--config", str(config), *args],
            self.env,
            self.root / f"{name}-{len(self.processes)}.log",
        )
        self.processes.append(process)
        return process

    def serve(self, config: Path, *args: str) -> Served:
        """``irp serve`` on a free port, once ``/healthz`` answers 200."""
        port = free_port()
        process = self._start(config, ["serve", "--port", str(port), *args], "serve")
        served = Served(process, f"http://127.0.0.1:{port}")
        self.clients.append(served)

        def healthy() -> bool:
            if process.proc.poll() is not None:
                raise AssertionError(
                    f"irp serve exited {process.proc.returncode}: {process.log_path.read_text()}"
                )
            try:
                return served.http.get("/healthz").status_code == 200
            except httpx.TransportError:
                return False

        wait_for(healthy, "irp serve answers /healthz")
        return served

    def worker(self, config: Path, *args: str) -> IrpProcess:
        return self._start(config, ["worker", *args], "worker")

    def cli(self, config: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [IRP, "--config", str(config), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=DEADLINE,
            check=False,
        )

    def close(self) -> None:
        for served in self.clients:
            served.http.close()
        for process in self.processes:
            process.stop()
