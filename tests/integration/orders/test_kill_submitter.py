"""kill -9 of `irp orders submit` mid-request: the order is never lost, never sent twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from irp.sandbox.order_api import FlexitOrderApi
from irp.store.db import Database, database_now
from irp.store.tables import orders
from tests.integration.orders.submit_support import (
    add_order,
    attempt_rows,
    flexit_config,
    order_row,
)

IRP = [sys.executable, "-c", "from irp.cli.app import main; main()"]


def irp(config: Path, db_url: str, *args: str) -> list[str]:
    return [*IRP, "--config", str(config), "--db", db_url, *args]


def lease_runs_out(database: Database, order_id: str) -> None:
    """Time passes until the lease has run out (instead of waiting ``lease_seconds``)."""
    with database.begin() as conn:
        past = database_now(conn) - timedelta(seconds=1)
        conn.execute(sa.update(orders).where(orders.c.id == order_id).values(lease_until=past))


def test_killed_submitter_leaves_an_uncertain_order_that_the_lookup_settles(
    database: Database, db_url: str, order_api: FlexitOrderApi, tmp_path: Path
) -> None:
    config = flexit_config(tmp_path, order_api, read_timeout=60, connect_timeout=2)
    assert config.refurbishers["flexit"].order.lease_seconds == 2 * 2 + 2 * 60 + 5  # type: ignore[union-attr]
    config_path = tmp_path / "irp.json"
    add_order(database, "5001")
    order_api.inject("timeout_after_create", seconds=60)  # created, then silence

    victim = subprocess.Popen(
        irp(config_path, db_url, "orders", "submit", "--json"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while order_api.created_count("5001") == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert order_row(database, "5001")["status"] == "submitting"
        assert order_api.created_count("5001") == 1
    finally:
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=10)
    assert victim.returncode == -signal.SIGKILL
    (dangling,) = attempt_rows(database, "5001")
    assert dangling["outcome"] == "sending"  # committed before the request left

    def rerun() -> tuple[int, list[dict[str, Any]]]:
        done = subprocess.run(
            irp(config_path, db_url, "orders", "submit", "--json"),
            capture_output=True,
            text=True,
            timeout=60,
        )
        return done.returncode, json.loads(done.stdout)

    assert rerun() == (0, [])  # the lease still runs: nothing to do, nothing touched
    lease_runs_out(database, "5001")
    code, expired = rerun()
    assert (code, [r["status"] for r in expired]) == (1, ["uncertain"])  # an operator may look
    assert expired[0]["error"].startswith("the submitter stopped while sending (lease expired at ")
    deadline = time.monotonic() + 60
    while True:  # passes touch nothing until the first lookup is due (lookup.delay_seconds)
        time.sleep(0.05)
        code, settled = rerun()
        if settled or time.monotonic() > deadline:
            break

    assert (code, settled) == (
        0,
        [
            {
                "id": "5001",
                "status": "submitted",
                "external_reference": "SO-000001",
                "attempts": 1,
                "error": None,
            }
        ],
    )
    assert order_api.created_count("5001") == 1
    assert sum(1 for r in order_api.requests if r.method == "POST") == 1  # never resent
    submit, lookup = attempt_rows(database, "5001")
    assert submit["outcome"] == "uncertain"
    assert submit["error"].startswith("the submitter stopped while sending (lease expired at ")
    assert submit["error"].endswith("the refurbisher may have the order")
    assert (lookup["kind"], lookup["outcome"], lookup["status_code"]) == ("lookup", "found", 200)
