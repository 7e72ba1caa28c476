"""The sync among other writers: the offers version, the local snapshot, chunked writes,
an interrupted sync, the renewed lock, and a run that ends on an unexpected error.

Feeds are local files (``--file``); the database is real (SQLite and PostgreSQL), and
"another process" is a real second process.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from irp.config import Config
from irp.feeds import sync as sync_module
from irp.feeds.report import SyncReport, SyncStatus
from irp.feeds.sync import SyncRequest, sync_offers
from irp.store import offers as offer_store
from irp.store.db import Database
from irp.store.snapshot import SNAPSHOT_COLUMNS, OfferSnapshots, snapshot_folder
from irp.store.tables import locks as locks_table
from irp.store.tables import offer_stats
from irp.store.tables import offers as offers_table
from tests.integration.feeds.helpers import (
    BASE_ROWS,
    feed_bytes,
    load,
    runs,
    set_test_secrets,
    stored,
    write_config,
)

REPO = Path(__file__).resolve().parents[3]
Row = tuple[str, str, str, str, str, str]


@pytest.fixture(autouse=True)
def _secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    set_test_secrets(monkeypatch)


class Syncs:
    """Syncs of hand-written FlexIT feeds, each from its own local file."""

    def __init__(self, folder: Path, database: Database, db_url: str) -> None:
        self.folder, self.database, self.db_url = folder, database, db_url
        self.config_path = write_config(folder)
        self.config: Config = load(self.config_path)
        self.count = 0

    def write(self, rows: list[Row] | tuple[Row, ...]) -> Path:
        self.count += 1
        path = self.folder / f"feed-{self.count}.csv"
        path.write_bytes(feed_bytes(rows))
        return path

    def request(self, path: Path, **kwargs: object) -> SyncRequest:
        return SyncRequest(
            self.config.refurbishers["flexit"],
            self.folder,
            file=path,
            **kwargs,  # type: ignore[arg-type]
        )

    def sync(self, rows: list[Row] | tuple[Row, ...], **kwargs: object) -> SyncReport:
        return sync_offers(self.database, self.request(self.write(rows), **kwargs))

    def child(self, rows: list[Row], *args: str) -> subprocess.CompletedProcess[str]:
        """The sync in a second process (``sync_child``)."""
        command = [
            sys.executable,
            "-m",
            "tests.integration.feeds.sync_child",
            "--config",
            str(self.config_path),
            "--db",
            self.db_url,
            "--file",
            str(self.write(rows)),
            *args,
        ]
        return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)

    def snapshot(self) -> pl.DataFrame | None:
        with self.database.connect() as conn:
            version = offer_store.offers_version(conn, "flexit")
        folder = snapshot_folder(self.database.url, self.folder)
        return OfferSnapshots(folder).load("flexit", version)

    def index(self) -> pl.DataFrame:
        with self.database.connect() as conn:
            return offer_store.load_offer_index(conn, "flexit", columns=SNAPSHOT_COLUMNS)


@pytest.fixture
def syncs(tmp_path: Path, database: Database, db_url: str) -> Syncs:
    return Syncs(tmp_path, database, db_url)


def changed(rows: tuple[Row, ...], sku: str, **values: str) -> list[Row]:
    """``rows`` with the row of ``sku`` changed (stock=..., price=...)."""
    out = []
    for row in rows:
        if row[0] == sku:
            s, name, ean, stock, price, srp = row
            row = (s, name, ean, values.get("stock", stock), values.get("price", price), srp)
        out.append(row)
    return out


def _stats_and_recount(db: Database) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """The last stored offer stats, and the same counted from the offers."""
    with db.connect() as conn:
        last = conn.execute(
            sa.select(offer_stats.c.offers, offer_stats.c.listed, offer_stats.c.stock)
            .order_by(offer_stats.c.id.desc())
            .limit(1)
        ).one()
        o = offers_table.c
        recount = conn.execute(
            sa.select(
                sa.func.count(),
                sa.func.sum(sa.case((o.listed, 1), else_=0)),
                sa.func.sum(o.stock_available),
            ).where(o.refurbisher == "flexit")
        ).one()
    return tuple(last), tuple(int(v) for v in recount)  # type: ignore[return-value]


def test_snapshot_equals_the_stored_index_after_every_kind_of_change(syncs: Syncs) -> None:
    jumped = changed(BASE_ROWS, "FLX-1", price="2.490,00")
    feeds: list[list[Row]] = [
        list(BASE_ROWS),  # created
        changed(BASE_ROWS, "FLX-3", stock="7"),  # updated
        [r for r in BASE_ROWS if r[0] != "FLX-5"],  # vanished
        [*BASE_ROWS, ("FLX-6", "New", "", "2", "10,00", "")],  # back, and created
        [*changed(BASE_ROWS, "FLX-2", stock="lots"), ("FLX-6", "New", "", "2", "10,00", "")],
        [*jumped, ("FLX-6", "New", "", "2", "10,00", "")],  # held
        [*changed(tuple(jumped), "FLX-4", stock="3"), ("FLX-6", "New", "", "2", "10,00", "")],
    ]
    for rows in feeds:
        report = syncs.sync(rows)
        assert report.status is SyncStatus.OK, report.message
        snapshot = syncs.snapshot()
        assert snapshot is not None
        assert snapshot.sort("sku").rows() == syncs.index().sort("sku").rows()
        stats, recount = _stats_and_recount(syncs.database)  # from the index, not a scan
        assert stats == recount
    confirmed = stored(syncs.database)["FLX-1"]  # held by feed 6, confirmed by feed 7
    assert (confirmed["held_purchase_amount"], confirmed["price_purchase_amount"]) == (
        None,
        Decimal("2490.00"),
    )


def test_warm_sync_compares_with_the_snapshot_while_it_is_current(
    syncs: Syncs, caplog: pytest.LogCaptureFixture
) -> None:
    syncs.sync(BASE_ROWS)
    caplog.set_level(logging.INFO, logger="irp.feeds.apply")

    report = syncs.sync(changed(BASE_ROWS, "FLX-3", stock="7"))

    assert (report.updated, report.unchanged) == (1, 4)
    (message,) = [r.getMessage() for r in caplog.records if "comparing with" in r.getMessage()]
    assert message.startswith("flexit: comparing with the stored offers from the snapshot ")


def test_offers_changed_by_another_process_between_syncs_are_not_missed(
    syncs: Syncs, caplog: pytest.LogCaptureFixture
) -> None:
    syncs.sync(BASE_ROWS)
    other_process = "\n".join(
        [
            "import sys",
            "from irp.store import offers",
            "from irp.store.db import open_database",
            "db = open_database(sys.argv[1], 'acceptance')",
            "with db.begin() as conn:",
            "    offers.unlist_offers(",
            "        conn, 'flexit', ['FLX-1'], reason='stale', run_id=None, now=db.now()",
            "    )",
        ]
    )
    subprocess.run([sys.executable, "-c", other_process, syncs.db_url], check=True, timeout=60)
    assert stored(syncs.database)["FLX-1"]["listed"] is False
    caplog.set_level(logging.INFO, logger="irp.feeds.apply")

    # FLX-1's row is the same as in the snapshot; only the database knows it was unlisted.
    report = syncs.sync(changed(BASE_ROWS, "FLX-3", stock="7"))

    assert (report.status, report.updated, report.unchanged) == (SyncStatus.OK, 2, 3)
    one = stored(syncs.database)["FLX-1"]
    assert (one["listed"], one["stock_available"], one["unlisted_reason"]) == (True, 5, None)
    (message,) = [r.getMessage() for r in caplog.records if "comparing with" in r.getMessage()]
    assert message.startswith("flexit: comparing with the stored offers from the database ")


def test_unreadable_snapshot_only_costs_a_database_read(syncs: Syncs) -> None:
    syncs.sync(BASE_ROWS)
    folder = snapshot_folder(syncs.database.url, syncs.folder)
    assert folder is not None
    (kept,) = folder.glob("*.parquet")
    kept.write_bytes(b"not a parquet file")

    report = syncs.sync(changed(BASE_ROWS, "FLX-3", stock="7"))

    assert (report.status, report.updated, report.unchanged) == (SyncStatus.OK, 1, 4)
    assert syncs.snapshot() is not None  # written again


def test_interrupted_sync_is_completed_by_the_next_and_its_hold_is_no_confirmation(
    syncs: Syncs,
) -> None:
    syncs.sync(BASE_ROWS)
    feed = [
        *[r for r in changed(BASE_ROWS, "FLX-1", price="2.490,00") if r[0] != "FLX-5"],
        ("FLX-6", "New", "", "2", "10,00", ""),
    ]
    feed = changed(tuple(feed), "FLX-3", stock="7")

    # Killed when about to unlist FLX-5: FLX-6 created, FLX-3 updated, FLX-1 held.
    killed = syncs.child(feed, "--chunk-rows", "1", "--die-before", "unlist")

    assert killed.returncode == 3, killed.stderr
    interrupted = runs(syncs.database)[-1]
    assert (interrupted["id"], interrupted["status"]) == (2, "running")
    half = stored(syncs.database)
    assert (half["FLX-6"]["stock_available"], half["FLX-3"]["stock_available"]) == (2, 7)
    assert half["FLX-1"]["held_purchase_amount"] == Decimal("2490.00")
    assert (half["FLX-5"]["listed"], half["FLX-5"]["stock_available"]) == (True, 3)

    again = syncs.sync(feed)

    assert again.status is SyncStatus.OK
    assert (again.created, again.updated, again.held, again.unlisted) == (0, 0, 1, 1)
    assert again.unchanged == 4
    owner = interrupted["owner"]
    pid, host = owner.split("/")[1], owner.split("/")[0]
    assert runs(syncs.database)[1]["status"] == "failed"
    assert runs(syncs.database)[1]["message"] == (
        f"flexit: the sync process (pid {pid} on host {host}) ended before run 2 finished; "
        "the offers it had written stay, and the next sync writes the rest"
    )
    whole = stored(syncs.database)
    assert (whole["FLX-5"]["listed"], whole["FLX-5"]["unlisted_reason"]) == (False, "vanished")
    assert whole["FLX-1"]["price_purchase_amount"] == Decimal("249.00")  # still held

    confirmed = syncs.sync(changed(tuple(feed), "FLX-4", stock="3"))

    assert (confirmed.held, confirmed.updated) == (0, 2)
    assert stored(syncs.database)["FLX-1"]["price_purchase_amount"] == Decimal("2490.00")


def test_run_of_a_killed_sync_is_failed_when_a_service_starts(syncs: Syncs) -> None:
    killed = syncs.child(list(BASE_ROWS), "--die-before", "insert")
    assert killed.returncode == 3, killed.stderr
    (run,) = runs(syncs.database)
    assert run["status"] == "running"

    assert sync_module.fail_abandoned_runs(syncs.database) == [run["id"]]

    (run,) = runs(syncs.database)
    assert run["status"] == "failed"
    assert run["message"].startswith("flexit: the sync process (pid ")
    assert sync_module.fail_abandoned_runs(syncs.database) == []


def _index_names(db: Database) -> set[str]:
    return {str(i["name"]) for i in sa.inspect(db.engine).get_indexes("offers")}


def test_first_big_sync_builds_the_secondary_indexes_after_the_load(
    syncs: Syncs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(offer_store, "BULK_ROWS", 3)
    monkeypatch.setattr("irp.feeds.apply.CHUNK_ROWS", 2)
    secondary = {str(i.name) for i in offer_store.secondary_indexes()}
    assert secondary == {"ix_offers_ean", "ix_offers_refurbisher_listed_sku"}
    during: list[set[str]] = []

    report = syncs.sync(
        BASE_ROWS,
        progress=lambda s: during.append(_index_names(syncs.database)) if s == "write" else None,
    )

    assert (report.status, report.created) == (SyncStatus.OK, 5)
    assert during and all(names.isdisjoint(secondary) for names in during[1:])
    assert secondary <= _index_names(syncs.database)
    again = syncs.sync(changed(BASE_ROWS, "FLX-3", stock="7"))  # 1 row: indexes untouched
    assert (again.updated, again.unchanged) == (1, 4)


def test_indexes_dropped_by_a_killed_bulk_sync_are_built_by_the_next(syncs: Syncs) -> None:
    killed = syncs.child(list(BASE_ROWS), "--bulk-rows", "3", "--die-before", "insert")
    assert killed.returncode == 3, killed.stderr
    secondary = {str(i.name) for i in offer_store.secondary_indexes()}
    assert _index_names(syncs.database).isdisjoint(secondary)

    report = syncs.sync(BASE_ROWS)

    assert (report.status, report.created) == (SyncStatus.OK, 5)
    assert secondary <= _index_names(syncs.database)


def _write_between_chunks(syncs: Syncs, every_chunk: bool) -> Callable[[str], None]:
    """A progress hook: when the sync starts its second chunk, another writer unlists
    FLX-4 (as stale stock would be) in a transaction of its own."""
    seen = {"chunks": 0}

    def progress(stage: str) -> None:
        if stage != "write":
            return
        seen["chunks"] += 1
        if seen["chunks"] == 3 or (every_chunk and seen["chunks"] > 3):
            with syncs.database.begin() as conn:
                now = syncs.database.now()
                offer_store.unlist_offers(
                    conn, "flexit", ["FLX-4"], reason="stale", run_id=None, now=now
                )

    return progress


def test_other_writer_between_chunks_makes_the_sync_plan_again(
    syncs: Syncs, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    syncs.sync(BASE_ROWS)
    monkeypatch.setattr("irp.feeds.apply.CHUNK_ROWS", 1)
    feed = changed(changed(BASE_ROWS, "FLX-3", stock="7"), "FLX-5", stock="9")
    caplog.set_level(logging.WARNING, logger="irp.feeds.apply")

    report = syncs.sync(feed, progress=_write_between_chunks(syncs, every_chunk=False))

    # The first plan carried FLX-4 unchanged; the second saw it unlisted and relists it.
    assert report.status is SyncStatus.OK, report.message
    four = stored(syncs.database)["FLX-4"]
    assert (four["listed"], four["stock_available"], four["unlisted_reason"]) == (True, 1, None)
    assert stored(syncs.database)["FLX-5"]["stock_available"] == 9
    (warning,) = [r.getMessage() for r in caplog.records]
    assert re.fullmatch(
        r"flexit: the offers changed since version \d+ \(now \d+\): another writer was at "
        r"work; planning again",
        warning,
    )
    assert syncs.snapshot() is not None


def test_offers_changing_under_both_plans_fail_the_run_and_lose_nothing(
    syncs: Syncs, monkeypatch: pytest.MonkeyPatch
) -> None:
    syncs.sync(BASE_ROWS)
    monkeypatch.setattr("irp.feeds.apply.CHUNK_ROWS", 1)
    feed = changed(changed(BASE_ROWS, "FLX-3", stock="7"), "FLX-5", stock="9")

    report = syncs.sync(feed, progress=_write_between_chunks(syncs, every_chunk=True))

    assert report.status is SyncStatus.FAILED
    assert report.message.endswith(
        "another writer was at work, twice during this sync; what it wrote stays, and the "
        "next sync writes the rest"
    )
    four = stored(syncs.database)["FLX-4"]
    assert (four["listed"], four["unlisted_reason"]) == (False, "stale")  # the last write
    assert runs(syncs.database)[-1]["status"] == "failed"


def test_sync_lock_is_renewed_while_a_long_sync_runs(
    syncs: Syncs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync_module, "LOCK_TTL", timedelta(seconds=2))
    seen: dict[str, object] = {}

    def expiry() -> object:
        with syncs.database.connect() as conn:
            return conn.execute(sa.select(locks_table.c.expires_at)).scalar_one()

    def slow_stage(stage: str) -> None:
        if stage != "diff" or seen:
            return
        first = seen["first"] = expiry()
        deadline = time.monotonic() + 60
        while expiry() == first and time.monotonic() < deadline:  # a long CPU stage
            time.sleep(0.1)
        seen["renewed"] = expiry()
        seen["second"] = syncs.sync(BASE_ROWS)  # another sync meanwhile

    report = syncs.sync(BASE_ROWS, progress=slow_stage)

    assert report.status is SyncStatus.OK
    assert seen["renewed"] > seen["first"]  # type: ignore[operator]
    second = seen["second"]
    assert isinstance(second, SyncReport) and second.status is SyncStatus.BUSY
    with syncs.database.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(locks_table)).scalar_one() == 0


def test_unexpected_error_fails_the_run_releases_the_lock_and_propagates(syncs: Syncs) -> None:
    def broken(stage: str) -> None:
        if stage == "diff":
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match=r"^boom$"):
        syncs.sync(BASE_ROWS, progress=broken)

    (run,) = runs(syncs.database)
    assert (run["status"], run["message"]) == (
        "failed",
        "flexit: the sync stopped on an unexpected error (RuntimeError: boom); offers it "
        "had written stay, and the next sync writes the rest",
    )
    assert syncs.sync(BASE_ROWS).status is SyncStatus.OK  # the lock was released


def test_child_sync_reports_json(syncs: Syncs) -> None:
    done = syncs.child(list(BASE_ROWS))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["created"] == 5
    assert os.path.exists(syncs.folder)
