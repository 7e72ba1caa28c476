"""Batch claims: two processes claiming several orders at a time never share one.

Each process runs ``submit_due`` with eight workers against the real FlexIT
simulator on one PostgreSQL database, so each claim takes up to eight due orders in
one transaction (``FOR UPDATE SKIP LOCKED``); the simulator must see every order
exactly once, and each order must have exactly one attempt.
"""

from __future__ import annotations

import json
import multiprocessing
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from irp.config import load_config
from irp.orders.submit import SubmitWork, submit_due
from irp.sandbox.order_api import FlexitOrderApi
from irp.store.db import Database, open_database
from irp.store.tables import order_attempts, orders
from tests.integration.orders.submit_support import add_order, flexit_config

ORDERS = 160


def _submit_in_a_process(db_url: str, config_path: str, out: str, ready: Any, go: Any) -> None:
    """A second process's ``irp orders submit``: its claim batch sizes and results."""
    sizes: list[int] = []
    claim_batch = SubmitWork.claim_batch

    def counted(work: SubmitWork, conn: sa.Connection, now: datetime, limit: int) -> list[Any]:
        claimed = claim_batch(work, conn, now, limit)
        sizes.append(len(claimed))
        return claimed

    SubmitWork.claim_batch = counted  # type: ignore[method-assign]
    db = open_database(db_url, "acceptance")
    config = load_config(Path(config_path), "acceptance")
    ready.put(True)
    go.wait(60)
    results = submit_due(db, config, refurbisher="flexit")
    db.close()
    Path(out).write_text(
        json.dumps({"sizes": sizes, "results": {r.order_id: str(r.status) for r in results}})
    )


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_two_processes_claiming_in_batches_send_every_order_exactly_once(
    database: Database, db_url: str, tmp_path: Path, order_api: FlexitOrderApi
) -> None:
    config = flexit_config(tmp_path, order_api, max_concurrency=8)
    ids = [f"7{n:03d}" for n in range(ORDERS)]
    for order_id in ids:
        add_order(database, order_id)
    order_api.inject("slow", times=ORDERS, seconds=0.02)  # sends overlap between processes

    context = multiprocessing.get_context("spawn")
    ready = context.Queue()
    go = context.Event()
    outs = [tmp_path / f"out-{n}.json" for n in range(2)]
    processes = [
        context.Process(
            target=_submit_in_a_process, args=(db_url, str(config.path), str(out), ready, go)
        )
        for out in outs
    ]
    for process in processes:
        process.start()
    for _ in processes:
        assert ready.get(timeout=60)
    go.set()  # both start claiming at the same moment
    for process in processes:
        process.join(120)
        assert process.exitcode == 0

    reports = [json.loads(out.read_text()) for out in outs]
    sent = Counter(o["external_document_number"] for o in order_api.orders)
    assert sent == Counter(ids)  # every order at the simulator, none twice
    first, second = (set(report["results"]) for report in reports)
    assert not first & second and first | second == set(ids)
    assert all(status == "submitted" for report in reports for status in report["results"].values())
    assert all(max(report["sizes"]) > 1 for report in reports)  # both claimed in batches
    with database.connect() as conn:
        statuses = Counter(conn.execute(sa.select(orders.c.status)).scalars())
        attempts = Counter(
            conn.execute(
                sa.select(order_attempts.c.order_id).where(order_attempts.c.kind == "submit")
            ).scalars()
        )
    assert statuses == {"submitted": ORDERS}
    assert attempts == Counter(ids)
