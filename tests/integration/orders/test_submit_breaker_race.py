"""The circuit breaker, and two submitters racing for the same orders."""

from __future__ import annotations

import threading
from pathlib import Path

import sqlalchemy as sa

from irp.orders.breaker import ALERT_CHECK, resume_submissions
from irp.orders.submit import SubmitResult, submit_due
from irp.sandbox.order_api import FlexitOrderApi
from irp.store.db import Database
from irp.store.tables import alerts, refurbishers
from tests.integration.orders.submit_support import (
    add_order,
    attempt_rows,
    flexit_config,
    order_row,
)


def test_401_fails_the_order_and_pauses_the_refurbisher(
    database: Database, order_api: FlexitOrderApi, tmp_path: Path
) -> None:
    config = flexit_config(tmp_path, order_api, max_concurrency=1)
    for order_id in ("5001", "5002", "5003"):
        add_order(database, order_id)
    order_api.inject("401")

    results = submit_due(database, config)

    by_id = {r.order_id: r for r in results}
    assert by_id["5001"].status == "failed"
    assert by_id["5001"].error is not None
    assert by_id["5001"].error.startswith(
        "HTTP 401: authentication refused; check order.auth; submissions to flexit are paused."
    )
    for order_id in ("5002", "5003"):
        row = order_row(database, order_id)
        assert (row["status"], row["attempts"]) == ("pending", 0)
        assert attempt_rows(database, order_id) == []
        assert by_id[order_id].paused and by_id[order_id].needs_operator
    assert len(order_api.requests) == 1
    with database.connect() as conn:
        paused = conn.execute(
            sa.select(refurbishers.c.submissions_paused_at, refurbishers.c.paused_reason)
        ).one()
        alert = conn.execute(sa.select(alerts.c.check, alerts.c.resolved_at)).one()
    assert paused[0] is not None
    assert paused[1] == "order 5001: HTTP 401: authentication refused; check order.auth"
    assert tuple(alert) == (ALERT_CHECK, None)

    held = submit_due(database, config)  # still paused: nothing is sent
    assert [(r.order_id, r.status, r.error) for r in held] == [
        (
            order_id,
            "pending",
            "not sent: submissions to flexit are paused (order 5001: HTTP 401: authentication "
            "refused; check order.auth); fix the config, then `irp check flexit` resumes them",
        )
        for order_id in ("5002", "5003")
    ]
    assert len(order_api.requests) == 1

    assert resume_submissions(database, "flexit", "tester") is True
    assert resume_submissions(database, "flexit", "tester") is False
    resumed = submit_due(database, config)
    assert sorted((r.order_id, r.status) for r in resumed) == [
        ("5002", "submitted"),
        ("5003", "submitted"),
    ]
    assert order_row(database, "5001")["status"] == "failed"  # an operator retries it
    with database.connect() as conn:
        resolved = conn.execute(sa.select(alerts.c.resolved_at, alerts.c.detail)).one()
    assert resolved[0] is not None and resolved[1].endswith("(resumed by tester)")


def test_two_racing_submitters_never_send_an_order_twice(
    database: Database, order_api: FlexitOrderApi, tmp_path: Path
) -> None:
    config = flexit_config(tmp_path, order_api, max_concurrency=4)
    ids = [str(6000 + n) for n in range(30)]
    for order_id in ids:
        add_order(database, order_id)
    start = threading.Barrier(3)
    results: list[list[SubmitResult]] = []

    def run(owner: str) -> None:
        start.wait()
        results.append(submit_due(database, config, owner=owner))

    threads = [threading.Thread(target=run, args=(f"worker-{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert [thread.is_alive() for thread in threads] == [False, False, False]
    assert len(results) == 3  # every submitter finished its run without raising
    sent = [r.order_id for batch in results for r in batch]
    assert sorted(sent) == sorted(ids)  # each order reported by exactly one submitter
    assert all(order_api.created_count(order_id) == 1 for order_id in ids)
    assert sum(1 for r in order_api.requests if r.method == "POST") == len(ids)
    assert {order_row(database, order_id)["status"] for order_id in ids} == {"submitted"}
    assert all(len(attempt_rows(database, order_id)) == 1 for order_id in ids)
