"""The offer sync end to end: a real SFTP server, a real database (SQLite and PostgreSQL).

Each test names the behaviour of SPEC §2 it proves, and asserts exact counts, prices
and messages — and, for every refused feed, that nothing stored before was lost.
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from irp.config import Config
from irp.feeds.report import SyncReport, SyncStatus
from irp.feeds.sync import SyncRequest, sync_offers
from irp.sandbox.sftp_server import SandboxSftpServer
from irp.store import locks
from irp.store.db import Database
from irp.store.tables import feed_archive, row_errors
from tests.integration.feeds.helpers import (
    BASE_ROWS,
    FEED_PATH,
    feed_bytes,
    load,
    money,
    runs,
    set_test_secrets,
    stored,
    write_config,
)


@pytest.fixture(autouse=True)
def _secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    set_test_secrets(monkeypatch)


class Feed:
    """The FlexIT feed on a real SFTP server, and syncs of it into ``database``."""

    def __init__(self, server: SandboxSftpServer, folder: Path, database: Database) -> None:
        self.server = server
        self.folder = folder
        self.database = database
        self.file = server.root / FEED_PATH
        self.file.parent.mkdir(parents=True, exist_ok=True)
        self.version = 0
        self.configure()

    def configure(self, **kwargs: object) -> Config:
        path = write_config(
            self.folder,
            port=self.server.port,
            host_key=self.server.host_key_line,
            **kwargs,  # type: ignore[arg-type]
        )
        self.config = load(path)
        return self.config

    def publish(self, data: bytes, *, age: timedelta = timedelta(hours=1)) -> int:
        """Upload a new version published ``age`` ago (each version a minute newer)."""
        self.file.write_bytes(data)
        self.version += 1
        stamp = int((datetime.now(UTC) - age).timestamp()) + 60 * self.version
        os.utime(self.file, (stamp, stamp))
        return stamp

    def sync(self, *, force: bool = False, file: Path | None = None) -> SyncReport:
        request = SyncRequest(
            self.config.refurbishers["flexit"],
            self.folder,
            config_hash=self.config.hash,
            force=force,
            file=file,
        )
        return sync_offers(self.database, request)


@pytest.fixture
def feed(sftp_server: SandboxSftpServer, tmp_path: Path, database: Database) -> Feed:
    return Feed(sftp_server, tmp_path, database)


def test_first_sync_creates_priced_offers_and_lists_those_in_stock(feed: Feed) -> None:
    feed.publish(feed_bytes(BASE_ROWS))

    report = feed.sync()

    assert report.status is SyncStatus.OK, report.message
    assert (report.rows, report.valid, report.invalid) == (5, 5, 0)
    assert (report.created, report.updated, report.unchanged, report.unlisted) == (5, 0, 0, 0)
    assert report.listed == 4
    offers = stored(feed.database)
    assert {sku: money(o["price_selling_amount"]) for sku, o in offers.items()} == {
        "FLX-1": Decimal("306.75"),
        "FLX-2": Decimal("1476.75"),
        "FLX-3": Decimal("132.36"),
        "FLX-4": Decimal("27.71"),
        "FLX-5": Decimal("600.42"),
    }
    assert {sku: o["listed"] for sku, o in offers.items()} == {
        "FLX-1": True,
        "FLX-2": False,
        "FLX-3": True,
        "FLX-4": True,
        "FLX-5": True,
    }
    one = offers["FLX-1"]
    assert one["name"] == "Apple iPhone 13 128GB Midnight – Grade A"
    assert one["ean"] == "0194252707319"
    assert money(one["price_purchase_amount"]) == Decimal("249.00")
    assert money(one["price_consumer_amount"]) == Decimal("399.00")
    assert money(offers["FLX-4"]["price_consumer_amount"]) == Decimal("49.00")
    assert offers["FLX-3"]["price_consumer_amount"] is None
    breakdown = one["price_breakdown"]
    if isinstance(breakdown, str):
        import json

        breakdown = json.loads(breakdown)
    assert breakdown["purchase"] == "249.00"
    assert breakdown["shipping_costs"] == "10.00"
    assert breakdown["home_copy_tax"] == "3.18"
    assert breakdown["cost"] == "262.18"
    assert breakdown["selling"] == "306.75"
    (run,) = runs(feed.database)
    assert run["status"] == "ok"
    assert run["remote_size"] == feed.file.stat().st_size
    assert run["encoding"] == "utf-8"


def test_same_file_again_is_unchanged_and_writes_nothing(feed: Feed) -> None:
    feed.publish(feed_bytes(BASE_ROWS))
    feed.sync()
    before = stored(feed.database)

    report = feed.sync()

    assert report.status is SyncStatus.UNCHANGED
    assert report.message == "flexit: the feed file has not changed since run 1"
    assert stored(feed.database) == before
    assert [r["status"] for r in runs(feed.database)] == ["ok", "unchanged"]


def test_changed_margin_on_unchanged_file_reprices_every_offer(feed: Feed) -> None:
    feed.publish(feed_bytes(BASE_ROWS))
    feed.sync()
    feed.configure(settings={"default_margin": "20"})

    report = feed.sync()

    assert report.status is SyncStatus.OK
    assert (report.created, report.updated, report.unchanged) == (0, 5, 0)
    prices = {s: money(o["price_selling_amount"]) for s, o in stored(feed.database).items()}
    assert prices["FLX-1"] == Decimal("314.62")
    assert prices["FLX-4"] == Decimal("28.42")


def test_only_changed_rows_are_written(feed: Feed) -> None:
    feed.publish(feed_bytes(BASE_ROWS))
    feed.sync()
    before = stored(feed.database)
    rows = list(BASE_ROWS)
    rows[2] = ("FLX-3", rows[2][1], rows[2][2], "7", "99,95", "")
    feed.publish(feed_bytes(rows))

    report = feed.sync()

    assert (report.created, report.updated, report.unchanged, report.unlisted) == (0, 1, 4, 0)
    after = stored(feed.database)
    assert after["FLX-3"]["stock_available"] == 7
    for sku in ("FLX-1", "FLX-2", "FLX-4", "FLX-5"):
        assert after[sku]["updated_at"] == before[sku]["updated_at"]
        assert after[sku]["last_run_id"] == 1


def test_updates_leave_unchanged_indexed_columns_and_change_the_others(feed: Feed) -> None:
    # SQLite's update leaves out ean and listed where they keep their stored values:
    # the values and both indexes must come out exactly as a full update leaves them.
    feed.publish(feed_bytes(BASE_ROWS))
    feed.sync()
    rows = [list(r) for r in BASE_ROWS]
    rows[0][4] = "259,00"  # price only
    rows[1][2] = "4006381333931"  # a new EAN
    rows[2][3] = "0"  # out of stock: unlisted
    rows[3][2] = "4006381333931"  # an EAN where there was none
    rows[4][1] = "Apple iPad Air 64GB – Grade B"  # name only
    feed.publish(feed_bytes(rows))

    report = feed.sync()

    assert (report.status, report.updated, report.unchanged) == (SyncStatus.OK, 5, 0)
    after = stored(feed.database)
    assert {s: (o["ean"], o["listed"]) for s, o in after.items()} == {
        "FLX-1": ("0194252707319", True),
        "FLX-2": ("4006381333931", False),
        "FLX-3": ("8806094725612", False),
        "FLX-4": ("4006381333931", True),
        "FLX-5": ("0194252795330", True),
    }
    assert money(after["FLX-1"]["price_purchase_amount"]) == Decimal("259.00")
    assert after["FLX-5"]["name"] == "Apple iPad Air 64GB – Grade B"
    with feed.database.connect() as conn:
        by_ean = conn.execute(
            sa.text("SELECT sku FROM offers WHERE ean = :e ORDER BY sku"), {"e": "4006381333931"}
        ).scalars()
        assert list(by_ean) == ["FLX-2", "FLX-4"]
        listed = conn.execute(
            sa.text("SELECT sku FROM offers WHERE refurbisher = 'flexit' AND listed ORDER BY sku")
        ).scalars()
        assert list(listed) == ["FLX-1", "FLX-4", "FLX-5"]
        if feed.database.dialect == "sqlite":
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"


def test_vanished_offer_gets_stock_zero_and_is_unlisted_not_deleted(feed: Feed) -> None:
    feed.publish(feed_bytes(BASE_ROWS))
    feed.sync()
    feed.publish(feed_bytes([r for r in BASE_ROWS if r[0] != "FLX-5"]))

    report = feed.sync()

    assert report.status is SyncStatus.OK
    assert (report.unlisted, report.unchanged, report.listed) == (1, 4, 3)
    gone = stored(feed.database)["FLX-5"]
    assert (gone["stock_available"], gone["listed"], gone["unlisted_reason"]) == (
        0,
        False,
        "vanished",
    )
    assert gone["vanished_at"] is not None

    feed.publish(feed_bytes(BASE_ROWS))
    back = feed.sync()
    assert (back.updated, back.unchanged, back.listed) == (1, 4, 4)
    again = stored(feed.database)["FLX-5"]
    assert (again["stock_available"], again["listed"], again["unlisted_reason"]) == (3, True, None)
    assert again["vanished_at"] is None


def _assert_refused_and_nothing_lost(feed: Feed, report: SyncReport, message: str) -> None:
    assert report.status is SyncStatus.REFUSED
    assert report.message == message
    assert not report.succeeded


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty", b"", "flexit: the feed is empty; nothing was changed"),
        (
            "header only",
            feed_bytes([]),
            "flexit: the feed has no valid rows (0 row(s) read); refusing to unlist every "
            "offer; nothing was changed (use --force if the catalogue is really empty)",
        ),
        (
            "truncated",
            feed_bytes(BASE_ROWS)[:420],
            "flexit: this feed would unlist 3 of 4 listed offers (75%), more than "
            "max_unlist_ratio 0.5; is the file truncated? nothing was changed "
            "(use --force to apply it anyway)",
        ),
    ],
)
def test_feed_that_looks_wrong_is_refused_and_keeps_offers(
    feed: Feed, name: str, data: bytes, message: str
) -> None:
    feed.publish(feed_bytes(BASE_ROWS))
    feed.sync()
    before = stored(feed.database)
    feed.publish(data)

    report = feed.sync()

    _assert_refused_and_nothing_lost(feed, report, message)
    assert stored(feed.database) == before
    assert runs(feed.database)[-1]["status"] == "refused"


def test_missing_mapped_column_is_refused_naming_it(feed: Feed) -> None:
    feed.publish(feed_bytes(BASE_ROWS))
    feed.sync()
    before = stored(feed.database)
    data = feed_bytes(BASE_ROWS).replace(b"Sales Price", b"Sales Prijs", 1)
    feed.publish(data)

    report = feed.sync()

    assert report.status is SyncStatus.REFUSED
    assert "Sales Price" in report.message
    assert report.message.startswith("flexit: ")
    assert report.message.endswith("; nothing was changed")
    assert stored(feed.database) == before


def test_wrong_encoding_is_refused_with_the_fix(feed: Feed) -> None:
    feed.configure(offers_extra={"encoding": "utf-8"})
    feed.publish(feed_bytes(BASE_ROWS))
    feed.sync()
    before = stored(feed.database)
    text = feed_bytes(BASE_ROWS, bom=False).decode("utf-8")
    feed.publish(text.replace("–", "-").encode("windows-1252"))

    report = feed.sync()

    assert report.status is SyncStatus.REFUSED
    assert "set offers.encoding to windows-1252" in report.message
    assert stored(feed.database) == before


def test_windows_1252_feed_is_read_correctly_when_detected(feed: Feed) -> None:
    text = feed_bytes(BASE_ROWS, bom=False).decode("utf-8").replace("–", "-")
    feed.publish(text.encode("windows-1252"))

    report = feed.sync()

    assert report.status is SyncStatus.OK
    assert stored(feed.database)["FLX-4"]["name"] == "Lenovo ThinkPad T14 Café edition"
    assert runs(feed.database)[-1]["encoding"] == "windows-1252"


def test_broken_rows_are_reported_with_line_column_and_reason(feed: Feed) -> None:
    feed.configure(offers_extra={"max_invalid_ratio": 0.5})  # 3 of 9 rows are broken
    rows = [
        *BASE_ROWS,
        ("FLX-6", "Bad stock", "", "many", "10,00", ""),
        ("FLX-7", "Dot decimal", "", "1", "12.5", ""),
        ("FLX-1", "Duplicate", "", "1", "10,00", ""),
        ("FLX-8", "Bad EAN", "1234567890123", "2", "20,00", ""),
    ]
    feed.publish(feed_bytes(rows))

    report = feed.sync()

    assert report.status is SyncStatus.OK
    assert (report.rows, report.valid, report.invalid) == (9, 6, 3)
    assert [(e.line, e.column) for e in report.errors] == [
        (7, "Stock Quantity"),
        (8, "Sales Price"),
        (9, "Flex IT Part Number"),
        (10, "EAN"),
    ]
    assert "'many'" in report.errors[0].message
    assert "'12.5'" in report.errors[1].message
    assert "first seen on line 2" in report.errors[2].message
    offers = stored(feed.database)
    assert "FLX-6" not in offers and "FLX-7" not in offers
    assert offers["FLX-1"]["name"] == BASE_ROWS[0][1]
    assert (offers["FLX-8"]["ean"], offers["FLX-8"]["listed"]) == (None, True)
    with feed.database.connect() as conn:
        kept = conn.execute(sa.select(sa.func.count()).select_from(row_errors)).scalar_one()
    assert kept == 4


def test_invalid_row_of_a_stored_offer_unlists_it(feed: Feed) -> None:
    feed.publish(feed_bytes(BASE_ROWS))
    feed.sync()
    rows = list(BASE_ROWS)
    rows[0] = ("FLX-1", rows[0][1], rows[0][2], "-3", "249,00", "")
    feed.publish(feed_bytes(rows))

    report = feed.sync()

    assert report.status is SyncStatus.OK
    one = stored(feed.database)["FLX-1"]
    assert (one["listed"], one["stock_available"]) == (False, 0)


def test_price_jump_is_held_until_a_second_sync_confirms_it(feed: Feed) -> None:
    feed.publish(feed_bytes(BASE_ROWS))
    feed.sync()
    rows = list(BASE_ROWS)
    rows[0] = ("FLX-1", rows[0][1], rows[0][2], "5", "2.490,00", "€ 399,00")
    feed.publish(feed_bytes(rows))

    first = feed.sync()

    assert first.status is SyncStatus.OK
    assert (first.held, first.updated) == (1, 0)
    held = stored(feed.database)["FLX-1"]
    assert held["listed"] is False
    assert money(held["price_purchase_amount"]) == Decimal("249.00")
    assert money(held["held_purchase_amount"]) == Decimal("2490.00")
    assert held["hold_reason"] == (
        "purchase price 249.00 -> 2490.00: held until the next sync confirms it"
    )

    rows[0] = ("FLX-1", rows[0][1], rows[0][2], "6", "2.490,00", "€ 399,00")
    feed.publish(feed_bytes(rows))
    second = feed.sync()

    assert (second.held, second.updated) == (0, 1)
    confirmed = stored(feed.database)["FLX-1"]
    assert money(confirmed["price_purchase_amount"]) == Decimal("2490.00")
    assert money(confirmed["price_selling_amount"]) == Decimal("2928.72")
    assert confirmed["held_purchase_amount"] is None
    assert confirmed["listed"] is True


def test_force_applies_a_feed_the_guard_refuses(feed: Feed) -> None:
    feed.publish(feed_bytes(BASE_ROWS))
    feed.sync()
    feed.publish(feed_bytes(BASE_ROWS[:1]))

    report = feed.sync(force=True)

    assert report.status is SyncStatus.OK
    assert report.unlisted == 4
    assert report.message.startswith("forced past the guard: flexit: this feed would unlist 3 of 4")
    assert report.listed == 1


def _hold_sync_lock(feed: Feed, owner: str) -> None:
    from irp.store.refurbishers import ensure_refurbisher

    with feed.database.begin() as conn:
        ensure_refurbisher(
            conn, "flexit", name="flexit", refurbisher_id=15, now=feed.database.now()
        )
        assert locks.try_lock_refurbisher(conn, "flexit", owner, timedelta(minutes=5))


def test_second_sync_while_one_runs_is_busy(feed: Feed) -> None:
    feed.publish(feed_bytes(BASE_ROWS))
    _hold_sync_lock(feed, f"{socket.gethostname()}/{os.getpid()}/other-sync")

    report = feed.sync()

    assert report.status is SyncStatus.BUSY
    assert report.message.startswith(
        f"another sync of flexit is running (pid {os.getpid()} on host {socket.gethostname()}, "
        "lock until "
    )
    assert report.message.endswith("); try again when it ends")
    assert stored(feed.database) == {}


def test_lock_of_a_killed_sync_on_this_host_is_taken_over(feed: Feed) -> None:
    feed.publish(feed_bytes(BASE_ROWS))
    gone = subprocess.Popen(["true"])
    gone.wait()
    _hold_sync_lock(feed, f"{socket.gethostname()}/{gone.pid}/killed-sync")

    report = feed.sync()

    assert (report.status, report.created) == (SyncStatus.OK, 5)


def test_lock_held_on_another_host_is_respected(feed: Feed) -> None:
    feed.publish(feed_bytes(BASE_ROWS))
    _hold_sync_lock(feed, "worker-7.example/4242/remote-sync")

    report = feed.sync()

    assert report.status is SyncStatus.BUSY
    assert "(pid 4242 on host worker-7.example, lock until " in report.message


def test_wrong_password_fails_and_no_secret_is_stored(
    feed: Feed, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLEXIT_SFTP_PASSWORD", "wrong-password-9f8e7d")
    feed.configure()
    feed.publish(feed_bytes(BASE_ROWS))

    report = feed.sync()

    assert report.status is SyncStatus.FAILED
    assert "wrong-password-9f8e7d" not in report.message
    assert "authentication" in report.message.lower() or "login" in report.message.lower()
    dump = _dump_database(feed.database)
    for secret in ("wrong-password-9f8e7d", "client-secret-for-tests", "client-id-for-tests"):
        assert secret not in dump


def test_feed_file_is_archived_once_per_content(feed: Feed) -> None:
    data = feed_bytes(BASE_ROWS)
    feed.publish(data)
    feed.sync()
    feed.configure(settings={"default_margin": "20"})
    feed.sync()

    with feed.database.connect() as conn:
        archived = conn.execute(sa.select(feed_archive.c.size, feed_archive.c.sha256)).all()
    assert len(archived) == 1
    assert archived[0][0] == len(data)
    assert {r["archive_id"] for r in runs(feed.database)} == {1}


def test_freshness_is_the_remote_modification_time(feed: Feed) -> None:
    stamp = feed.publish(feed_bytes(BASE_ROWS))

    feed.sync()
    second = feed.sync()

    published = [r["published_at"] for r in runs(feed.database)]
    expected = datetime.fromtimestamp(stamp, tz=UTC)
    assert published == [expected, expected]
    assert second.published_at == expected
    assert second.to_json()["published_at"] == expected.isoformat()


def test_stale_feed_unlists_offers_until_a_fresh_export_of_the_same_file(feed: Feed) -> None:
    data = feed_bytes(BASE_ROWS)
    feed.publish(data, age=timedelta(hours=80))

    stale = feed.sync()

    assert (stale.status, stale.created, stale.unlisted, stale.listed) == (SyncStatus.OK, 5, 4, 0)
    assert stale.message == (
        "flexit: the newest feed version was published 80 h ago, more than "
        "unlist_stale_after_hours 72; 4 offer(s) unlisted until a fresh version arrives"
    )
    offers = stored(feed.database)
    assert {sku: (o["listed"], o["unlisted_reason"]) for sku, o in offers.items()} == {
        "FLX-1": (False, "stale"),
        "FLX-2": (False, None),
        "FLX-3": (False, "stale"),
        "FLX-4": (False, "stale"),
        "FLX-5": (False, "stale"),
    }

    again = feed.sync()  # the same old file: still stale, nothing to relist
    assert (again.status, again.listed) == (SyncStatus.UNCHANGED, 0)

    feed.publish(data)  # the supplier re-exports the same content: fresh again
    fresh = feed.sync()

    assert (fresh.status, fresh.updated, fresh.listed) == (SyncStatus.OK, 4, 4)
    relisted = stored(feed.database)
    assert relisted["FLX-1"]["stock_available"] == 5
    assert relisted["FLX-1"]["unlisted_reason"] is None


def test_file_still_being_uploaded_waits_and_changes_nothing(feed: Feed) -> None:
    feed.configure(offers_extra={"waiting_retries": 1, "waiting_retry_seconds": 0.05})
    feed.publish(feed_bytes(BASE_ROWS))
    stop = threading.Event()

    def upload() -> None:  # the supplier's upload, still appending (blank lines)
        while not stop.is_set():
            with feed.file.open("ab") as out:
                out.write(b"\r\n")
            time.sleep(0.01)

    writer = threading.Thread(target=upload)
    writer.start()
    try:
        report = feed.sync()
    finally:
        stop.set()
        writer.join()

    assert report.status is SyncStatus.WAITING
    assert report.message == (
        "flexit: the feed file is still being written (its size or mtime kept changing "
        "over 2 look(s)); it will be read on the next run"
    )
    assert stored(feed.database) == {}

    done = feed.sync()
    assert (done.status, done.created) == (SyncStatus.OK, 5)


def test_archives_past_their_retention_are_purged(feed: Feed) -> None:
    feed.configure(offers_extra={"archive_retention_days": 0})
    feed.publish(feed_bytes(BASE_ROWS))
    feed.sync()
    feed.publish(feed_bytes(BASE_ROWS[:4]))

    feed.sync()

    with feed.database.connect() as conn:
        kept = conn.execute(sa.select(sa.func.count()).select_from(feed_archive)).scalar_one()
    assert kept == 0


def test_local_file_option_reads_the_file_instead_of_the_connection(
    feed: Feed, tmp_path: Path
) -> None:
    local = tmp_path / "local.csv"
    local.write_bytes(feed_bytes(BASE_ROWS[:2]))

    report = feed.sync(file=local)

    assert (report.status, report.created) == (SyncStatus.OK, 2)


def _dump_database(db: Database) -> str:
    """Every text value in every table, for secret scans."""
    from irp.store.tables import metadata

    parts: list[str] = []
    with db.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(sa.select(table)).all():
                parts.extend(str(v) for v in row)
    return "\n".join(parts)
