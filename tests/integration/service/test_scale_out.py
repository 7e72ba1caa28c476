"""Scale-out on PostgreSQL + Redis: ``irp serve --no-worker`` and two ``irp worker``s.

A burst of 200 orders over HTTP; one worker is killed with SIGKILL in the middle.
Every order must reach the FlexIT simulator exactly once and end ``submitted``: an
order the dead worker had in flight is settled by its lease and the lookup.
"""

from __future__ import annotations

import signal
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from irp.sandbox.flexit import FlexitSandbox
from tests.integration.service.support import Services, order, wait_for, write_config

BURST = 200


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_burst_survives_a_killed_worker_with_every_order_sent_exactly_once(
    tmp_path: Path, sandbox: FlexitSandbox, db_url: str, redis_url: str, redis_namespace: str
) -> None:
    services = Services(
        tmp_path,
        sandbox,
        {"IRP_DATABASE_URL": db_url, "IRP_QUEUE_URL": redis_url, "IRP_QUEUE_NAME": redis_namespace},
    )
    try:
        # A killed worker's order waits out its lease (the shortest these timeouts
        # allow), then the lookup settles it.
        config = write_config(
            tmp_path / "irp.json", sandbox, {"order": {"connect_timeout": 2, "read_timeout": 3}}
        )
        served = services.serve(config, "--no-worker")
        doomed = services.worker(config, "--concurrency", "2")
        survivor = services.worker(config, "--concurrency", "2")
        sku = wait_for(served.listed_skus, "a worker ran the first sync")[0]
        sandbox.order_api.inject("slow", times=BURST, seconds=0.05)  # sends stay in flight
        ids = [f"B-{n:03d}" for n in range(BURST)]

        def post(order_id: str) -> int:
            return served.api("POST", "/api/orders", json=order(order_id, sku)).status_code

        with ThreadPoolExecutor(8) as pool:
            first = list(pool.map(post, ids[: BURST // 2]))
            wait_for(
                lambda: any(r.get("task") == "orders" for r in doomed.log_lines()),
                "the doomed worker sending orders",
            )
            doomed.send(signal.SIGKILL)
            second = list(pool.map(post, ids[BURST // 2 :]))
        assert first + second == [201] * BURST
        assert doomed.wait_exit() == -signal.SIGKILL

        def all_submitted() -> bool:
            page = served.api(
                "GET", "/api/orders", params={"status": "submitted", "limit": 1000}
            ).json()
            return len(page["orders"]) == BURST

        wait_for(all_submitted, f"all {BURST} orders submitted", timeout=120)
        created = httpx.get(f"{sandbox.order_api.base_url}/_sandbox/orders").json()["orders"]
        assert Counter(o["external_document_number"] for o in created) == Counter(ids)
        assert survivor.proc.poll() is None
    finally:
        services.close()
