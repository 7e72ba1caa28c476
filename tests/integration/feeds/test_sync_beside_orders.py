"""A 200,000-row cold sync in one process while another takes in and submits 50 orders,
on one SQLite file: the sync's short write chunks let every order writer in.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from irp.config import load_config
from irp.feeds.apply import CHUNK_ROWS
from irp.orders.cycle import submit_pass
from irp.orders.intake import accept_order
from irp.sandbox.feed import flexit_feed
from irp.sandbox.flexit import example_config, example_inbound_order
from irp.sandbox.order_api import FlexitOrderApi
from irp.store.db import open_database
from irp.store.tables import offers, orders, sync_runs
from tests.fixtures.order_api import FLEXIT_CLIENT_ID, FLEXIT_CLIENT_SECRET
from tests.fixtures.sftp import SFTP_PASSWORD
from tests.integration.feeds.helpers import feed_bytes

REPO = Path(__file__).resolve().parents[3]
ORDERS = 50
BIG = 200_000


def _config(folder: Path, api: FlexitOrderApi) -> Path:
    document = example_config()
    flexit = document["flexit"]
    flexit.pop("environments")
    flexit["environment_endpoints_reviewed"] = True  # the simulator, whatever the env
    order = flexit["order"]
    order["endpoint"] = api.endpoint
    order["auth"].update(client_id=FLEXIT_CLIENT_ID, client_secret=FLEXIT_CLIENT_SECRET)
    order["lookup"]["endpoint"] = api.lookup_endpoint
    path = folder / "irp.json"
    path.write_text(json.dumps(document))
    return path


def _count(db_url: str, table: sa.Table, *where: sa.ColumnElement[bool]) -> int:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            query = sa.select(sa.func.count()).select_from(table).where(*where)
            return int(conn.execute(query).scalar_one())
    finally:
        engine.dispose()


def test_orders_are_taken_in_and_submitted_while_a_cold_sync_writes(
    tmp_path: Path, order_api: FlexitOrderApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLEXIT_SFTP_PASSWORD", SFTP_PASSWORD)
    config_path = _config(tmp_path, order_api)
    config = load_config(config_path, "acceptance")
    db_url = f"sqlite:///{tmp_path / 'irp.db'}"
    db = open_database(db_url, "acceptance")
    ordered = ("FLX-1001", "Refurbished laptop", "8712345678906", "40", "200,00", "")
    small = tmp_path / "small.csv"
    small.write_bytes(feed_bytes([ordered]))
    big = tmp_path / "big.csv"
    big.write_bytes(flexit_feed(BIG, seed=3) + feed_bytes([ordered]).splitlines(True)[-1])
    child = [sys.executable, "-m", "tests.integration.feeds.sync_child", "--config"]
    child += [str(config_path), "--db", db_url]
    first = subprocess.run([*child, "--file", str(small)], cwd=REPO, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr  # the ordered SKU is an offer

    with subprocess.Popen(
        [*child, "--file", str(big)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as sync:
        try:
            deadline = time.monotonic() + 120
            while _count(db_url, offers) == 1 and time.monotonic() < deadline:  # first chunk
                time.sleep(0.02)
            during = _count(db_url, offers)
            results = []
            for n in range(ORDERS):
                raw = example_inbound_order(id=str(7001 + n), order_number=f"IU-{7001 + n}")
                results.append(accept_order(db, config, raw))
                if n % 10 == 9:
                    submit_pass(db, config, "flexit")
            out, err = sync.communicate(timeout=300)
        finally:
            if sync.poll() is None:
                sync.kill()

    # the first orders went in between the sync's chunks: some whole chunks written, not all
    assert during - 1 in range(CHUNK_ROWS, BIG, CHUNK_ROWS), during
    assert _count(db_url, offers) == BIG + 1
    assert sync.returncode == 0, err.decode()
    report = json.loads(out)
    assert (report["status"], report["created"], report["unchanged"]) == ("ok", BIG, 1)
    assert [r.result for r in results] == ["accepted"] * ORDERS
    deadline = time.monotonic() + 120
    while _count(db_url, orders, orders.c.status != "submitted") and time.monotonic() < deadline:
        submit_pass(db, config, "flexit")
    assert _count(db_url, orders, orders.c.status == "submitted") == ORDERS
    assert _count(db_url, sync_runs, sync_runs.c.status == "ok") == 2
    assert "database is locked" not in err.decode()
    db.close()
