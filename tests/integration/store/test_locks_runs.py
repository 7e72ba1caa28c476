from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from irp.store import runs
from irp.store.db import Database
from irp.store.locks import release_refurbisher, try_lock_refurbisher
from irp.store.tables import feed_archive, locks

NOW = datetime(2024, 5, 1, 3, tzinfo=UTC)


def test_second_owner_is_refused_until_the_lease_expires(database: Database) -> None:
    with database.begin() as conn:
        assert try_lock_refurbisher(conn, "flexit", "worker-a", timedelta(minutes=5)) is True
    with database.begin() as conn:
        assert try_lock_refurbisher(conn, "flexit", "worker-b", timedelta(minutes=5)) is False
        assert try_lock_refurbisher(conn, "other", "worker-b", timedelta(minutes=5)) is True
        assert try_lock_refurbisher(conn, "flexit", "worker-a", timedelta(minutes=5)) is True
    with database.begin() as conn:  # the lease runs out
        conn.execute(sa.update(locks).where(locks.c.name == "sync:flexit").values(expires_at=NOW))
    with database.begin() as conn:
        assert try_lock_refurbisher(conn, "flexit", "worker-b", timedelta(minutes=5)) is True
        assert release_refurbisher(conn, "flexit", "worker-a") is False
        assert release_refurbisher(conn, "flexit", "worker-b") is True
        assert try_lock_refurbisher(conn, "flexit", "worker-c", timedelta(minutes=5)) is True
        owner = conn.execute(
            sa.select(locks.c.owner).where(locks.c.name == "sync:flexit")
        ).scalar_one()
    assert owner == "worker-c"


def test_run_lifecycle_and_row_errors(database: Database) -> None:
    with database.begin() as conn:
        first = runs.start_run(conn, "flexit", now=NOW, config_hash="c1")
        runs.finish_run(
            conn,
            first,
            "ok",
            now=NOW + timedelta(seconds=3),
            rows=3,
            valid=2,
            invalid=1,
            fingerprint="f1",
        )
        second = runs.start_run(conn, "flexit", now=NOW + timedelta(hours=1))
        runs.add_row_errors(
            conn,
            second,
            [
                {
                    "line": 7,
                    "column": "Sales Price",
                    "message": "'12.5' is not a nl_NL amount",
                    "sku": "A",
                },
                {"line": 3, "column": "sku", "message": "empty"},
            ],
        )
        runs.finish_run(
            conn, second, "refused", now=NOW + timedelta(hours=1), message="no valid rows"
        )
    with database.begin() as conn:
        last_ok = runs.last_successful_run(conn, "flexit")
        latest_errors = runs.list_row_errors(conn, "flexit")
        first_errors = runs.list_row_errors(conn, "flexit", first)
    assert last_ok is not None
    assert (last_ok["id"], last_ok["status"], last_ok["fingerprint"], last_ok["valid"]) == (
        first,
        "ok",
        "f1",
        2,
    )
    assert last_ok["finished_at"] == NOW + timedelta(seconds=3)
    assert latest_errors == [
        runs.StoredRowError(3, "sku", "empty", None),
        runs.StoredRowError(7, "Sales Price", "'12.5' is not a nl_NL amount", "A"),
    ]
    assert first_errors == []


def test_same_feed_is_archived_once_and_purged_by_age(database: Database) -> None:
    data = b"sku;price\n" + b"FLX-1;249,00\n" * 1000
    with database.begin() as conn:
        first = runs.archive_feed(conn, "flexit", 1, data, now=NOW)
        again = runs.archive_feed(conn, "flexit", 2, data, now=NOW + timedelta(days=10))
        newer = runs.archive_feed(conn, "flexit", 3, data + b"X", now=NOW + timedelta(days=1))
        other = runs.archive_feed(conn, "other", 3, data, now=NOW)
    assert first == again
    assert len({first, newer, other}) == 3
    with database.begin() as conn:
        assert runs.read_archived_feed(conn, first) == data
        size, stored = conn.execute(
            sa.select(feed_archive.c.size, sa.func.length(feed_archive.c.content)).where(
                feed_archive.c.id == first
            )
        ).one()
        assert size == len(data)
        assert stored < len(data) // 10
        assert runs.purge_archive(conn, "flexit", NOW + timedelta(days=5)) == 1
    with database.begin() as conn:
        left = (
            conn.execute(sa.select(feed_archive.c.id).order_by(feed_archive.c.id)).scalars().all()
        )
    assert left == sorted([first, other])


def test_archive_is_zstd_and_older_zlib_archives_still_read(database: Database) -> None:
    data = b"sku;price\r\n" + b"FLX-1;249,00\r\n" * 1000
    with database.begin() as conn:
        new = runs.archive_feed(conn, "flexit", 1, data, now=NOW)
        stored = conn.execute(
            sa.select(feed_archive.c.content).where(feed_archive.c.id == new)
        ).scalar_one()
        old = conn.execute(
            sa.insert(feed_archive)
            .values(
                refurbisher="flexit",
                run_id=None,
                sha256="0" * 64,
                size=len(data),
                fetched_at=NOW,
                content=zlib.compress(data, 6),
            )
            .returning(feed_archive.c.id)
        ).scalar_one()
        assert bytes(stored[:4]) == b"\x28\xb5\x2f\xfd"
        assert runs.read_archived_feed(conn, new) == data
        assert runs.read_archived_feed(conn, old) == data
