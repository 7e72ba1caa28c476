"""``irp serve`` over time: a clean SIGTERM, config reloads, feed syncs on schedule."""

from __future__ import annotations

import json
import signal
from collections import Counter
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from irp.config import load_config
from irp.sandbox.flexit import FlexitSandbox
from irp.store.db import default_database_url, open_database
from irp.store.tables import sync_runs
from tests.integration.service.support import Served, Services, order, wait_for, write_config


def _orders(services: Services, config: Path) -> dict[str, str]:
    listed = services.cli(config, "orders", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    return {row["id"]: row["status"] for row in json.loads(listed.stdout)}


def test_sigterm_during_sends_finishes_them_and_leaves_nothing_submitting(
    services: Services, sandbox: FlexitSandbox, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "irp.json", sandbox, {"order": {"max_concurrency": 2}})
    served = services.serve(config, "--concurrency", "1")
    sku = wait_for(served.listed_skus, "the first sync lists offers")[0]
    ids = [f"T-{n}" for n in range(12)]
    sandbox.order_api.inject("slow", times=len(ids), seconds=1)
    for order_id in ids:
        assert served.api("POST", "/api/orders", json=order(order_id, sku)).status_code == 201
    wait_for(lambda: served.order_status(ids[0]) == "submitting", "a send in flight")

    served.process.send(signal.SIGTERM)

    assert served.process.wait_exit() == 0
    states = _orders(services, config)
    assert set(states.values()) <= {"submitted", "pending"}
    at_simulator = Counter(o["external_document_number"] for o in sandbox.order_api.orders)
    submitted = {order_id for order_id, state in states.items() if state == "submitted"}
    assert ids[0] in submitted  # the send in flight finished and was recorded
    assert set(at_simulator) == submitted
    assert set(at_simulator.values()) == {1}
    assert "pending" in states.values()  # no new claim after the signal
    messages = [r["message"] for r in served.process.log_lines()]
    assert "SIGTERM received" in messages
    assert messages[-1] == "stopped"

    restarted = services.serve(config)
    for order_id in ids:
        wait_for(lambda o=order_id: restarted.order_status(o) == "submitted", f"{order_id} sent")
    at_simulator = Counter(o["external_document_number"] for o in sandbox.order_api.orders)
    assert at_simulator == Counter(ids)


def _refusals(served: Served) -> list[dict[str, Any]]:
    return [
        r
        for r in served.process.log_lines()
        if r["level"] == "error" and r["logger"] == "irp.jobs.service"
    ]


def test_a_config_that_does_not_load_is_refused_and_the_old_one_keeps_running(
    services: Services, sandbox: FlexitSandbox, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "irp.json", sandbox)
    served = services.serve(config)
    sku = wait_for(served.listed_skus, "the first sync lists offers")[0]
    good = config.read_text()
    running = served.http.get("/healthz").json()["config_hash"]
    broken = good.replace('"refurbisher_id": 15', '"refurbisher_id": "fifteen"')
    assert broken != good
    config.write_text(broken)
    expected = (
        f"config reload refused, still running config {running[:12]}: 1 configuration "
        "error(s):\n  - flexit.refurbisher_id: expected an integer, got 'fifteen'"
    )

    first = wait_for(lambda: _refusals(served), "the refusal logged (file changed)")
    served.process.send(signal.SIGHUP)
    second = wait_for(lambda: _refusals(served)[1:], "the refusal logged (SIGHUP)")

    assert [first[0]["message"], second[0]["message"]] == [expected, expected]
    health = served.http.get("/healthz").json()
    assert (health["status"], health["config_hash"], health["config"]) == (
        "ok",
        running,
        "reload refused (see the log); running the previous config",
    )
    assert served.api("POST", "/api/orders", json=order("R-1", sku)).status_code == 201
    wait_for(lambda: served.order_status("R-1") == "submitted", "an order under the old config")
    metrics = served.http.get("/metrics").text.splitlines()
    assert "irp_config_reload_refusals_total 2.0" in metrics
    assert "irp_config_reload_refused 1.0" in metrics

    changed = good.replace('"default_margin": "17"', '"default_margin": "18"')
    assert changed != good
    config.write_text(changed)
    served.process.send(signal.SIGHUP)
    reloaded = wait_for(
        lambda: (h := served.http.get("/healthz").json())["config_hash"] != running and h,
        "the good config in force",
    )
    assert reloaded["config"] == "ok"
    assert reloaded["config_hash"] == load_config(config, "acceptance", resolve_secrets=False).hash


def test_a_feed_syncs_on_its_schedule_once_per_slot_and_never_overlapping(
    services: Services, sandbox: FlexitSandbox, tmp_path: Path
) -> None:
    every = 2  # seconds: the six-field cron form, seconds first
    config = write_config(
        tmp_path / "irp.json", sandbox, {"offers": {"schedule": f"*/{every} * * * * *"}}
    )
    services.serve(config)
    db = open_database(default_database_url(config, "acceptance"), "acceptance")
    try:

        def runs() -> list[Any]:
            query = sa.select(
                sync_runs.c.status, sync_runs.c.started_at, sync_runs.c.finished_at
            ).order_by(sync_runs.c.id)
            with db.connect() as conn:
                found = conn.execute(query).all()
            done = [run for run in found if run.finished_at is not None]
            return done if len(done) >= 3 else []

        found = wait_for(runs, "three scheduled syncs")
    finally:
        db.close()
    assert {run.status for run in found} <= {"ok", "unchanged"}
    slots = [_slot(run.started_at, every) for run in found]
    assert slots == sorted(set(slots)), "one sync per slot, each in a later slot"
    for earlier, later in pairwise(found):
        assert earlier.finished_at <= later.started_at, "two syncs overlapped"


def _slot(moment: datetime, every: int) -> int:
    return int(moment.timestamp()) // every
