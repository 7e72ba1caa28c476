from __future__ import annotations

import os
import socket
import subprocess
import time
import zlib
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from irp.errors import LockLostError
from irp.store import runs
from irp.store.db import Database, database_now
from irp.store.locks import (
    LeaseKeeper,
    holder,
    release_lock,
    release_refurbisher,
    try_lock,
    try_lock_refurbisher,
)
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


def test_taking_a_free_lock_is_decided_by_the_insert_alone(database: Database) -> None:
    """psycopg's rowcount for INSERT ... ON CONFLICT DO NOTHING is -1 here: the insert's
    own answer (RETURNING) must decide, not a fallback UPDATE that happens to agree."""
    statements: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement.split()[0].upper())

    sa.event.listen(database.engine, "before_cursor_execute", record)
    try:
        with database.begin() as conn:
            statements.clear()
            took = try_lock(conn, "sync:flexit", "worker-a", timedelta(minutes=5))
            after_insert = list(statements)
            statements.clear()
            refused = try_lock(conn, "sync:flexit", "worker-b", timedelta(minutes=5))
            after_refusal = list(statements)
            released = release_lock(conn, "sync:flexit", "worker-a")
            released_again = release_lock(conn, "sync:flexit", "worker-a")
    finally:
        sa.event.remove(database.engine, "before_cursor_execute", record)

    assert (took, refused, released, released_again) == (True, False, True, False)
    assert after_insert[-1:] == ["INSERT"]  # after the clock: one INSERT, nothing else
    assert after_refusal[-3:] == ["INSERT", "UPDATE", "SELECT"]  # then the holder is read


def test_of_racing_takers_exactly_one_gets_a_free_lock(database: Database) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def take(n: int) -> bool:
        with database.write_transaction() as conn:
            return try_lock(conn, "sync:race", f"far.example/{n}/x", timedelta(minutes=5))

    with ThreadPoolExecutor(8) as pool:
        won = list(pool.map(take, range(8)))

    assert won.count(True) == 1
    with database.connect() as conn:
        current = holder(conn, "sync:race")
    assert current is not None and current[0] == f"far.example/{won.index(True)}/x"


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


def _dead_pid() -> int:
    gone = subprocess.Popen(["true"])
    gone.wait()
    return gone.pid


def test_runs_left_running_by_gone_processes_are_failed_and_live_ones_kept(
    database: Database,
) -> None:
    host = socket.gethostname()
    live = f"{host}/{os.getpid()}/live"
    dead = f"{host}/{_dead_pid()}/dead"
    with database.begin() as conn:
        now = database_now(conn)
        assert try_lock_refurbisher(conn, "flexit", live, timedelta(minutes=5))
        assert try_lock_refurbisher(conn, "gone", dead, timedelta(minutes=5))
        assert try_lock_refurbisher(conn, "expired", "far.example/12/x", timedelta(minutes=5))
        conn.execute(sa.update(locks).where(locks.c.name == "sync:expired").values(expires_at=NOW))
        kept = runs.start_run(conn, "flexit", now=now, owner=live)
        other = runs.start_run(conn, "flexit", now=now, owner=f"{host}/{os.getpid()}/older")
        gone = runs.start_run(conn, "gone", now=now, owner=dead)
        expired = runs.start_run(conn, "expired", now=now, owner="far.example/12/x")
        legacy = runs.start_run(conn, "legacy", now=now)

    with database.write_transaction() as conn:
        failed = runs.fail_abandoned_runs(conn, now=database_now(conn))

    assert failed == [other, gone, expired, legacy]
    with database.connect() as conn:
        status = {i: runs.get_run(conn, i) for i in (kept, other, gone, expired, legacy)}
    assert status[kept]["status"] == "running"  # type: ignore[index]
    assert status[gone]["message"] == (  # type: ignore[index]
        f"gone: the sync process (pid {dead.split('/')[1]} on host {host}) ended before run "
        f"{gone} finished; the offers it had written stay, and the next sync writes the rest"
    )
    assert status[legacy]["message"] == (  # type: ignore[index]
        f"legacy: the sync process ended before run {legacy} finished; the offers it had "
        "written stay, and the next sync writes the rest"
    )


def test_lease_keeper_renews_and_reports_a_takeover(database: Database) -> None:
    ttl = timedelta(seconds=1)
    with database.begin() as conn:
        assert try_lock(conn, "sync:flexit", "me/1/a", ttl)
        first = holder(conn, "sync:flexit")
    assert first is not None
    with LeaseKeeper(database, "sync:flexit", "me/1/a", ttl) as lease:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with database.connect() as conn:
                now = holder(conn, "sync:flexit")
            if now is not None and now[1] > first[1]:
                break
            time.sleep(0.05)
        assert now is not None and now[1] > first[1]
        lease.check()  # still ours
        with database.begin() as conn:  # another process takes it over
            conn.execute(
                sa.update(locks).values(owner="other/2/b", expires_at=NOW + timedelta(days=9999))
            )
        while time.monotonic() < deadline:
            try:
                lease.check()
            except LockLostError as exc:
                assert str(exc) == (
                    "lock sync:flexit: its lease ran out and another process took it over; "
                    "stopping here (what was written stays; the next run completes it)"
                )
                break
            time.sleep(0.05)
        else:
            pytest.fail("the takeover was never noticed")
