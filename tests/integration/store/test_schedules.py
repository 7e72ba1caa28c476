from __future__ import annotations

from datetime import timedelta

from irp.store.db import Database
from irp.store.runs import start_run
from irp.store.schedules import claim_slot, sync_started_since

RESEND = timedelta(minutes=5)


def test_a_slot_is_claimed_once_and_again_only_after_the_resend_delay(database: Database) -> None:
    now = database.now()
    slot = now - timedelta(minutes=3)
    with database.write_transaction() as conn:
        assert claim_slot(conn, "sync:flexit", slot, now, RESEND) is True
    with database.write_transaction() as conn:
        assert claim_slot(conn, "sync:flexit", slot, now + timedelta(seconds=1), RESEND) is False
        assert claim_slot(conn, "sync:flexit", slot - timedelta(minutes=30), now, RESEND) is False
    with database.write_transaction() as conn:
        assert claim_slot(conn, "sync:flexit", slot, now + RESEND + timedelta(seconds=1), RESEND)
    with database.write_transaction() as conn:
        assert claim_slot(conn, "sync:flexit", now, now + RESEND * 2, RESEND) is True
        assert claim_slot(conn, "sync:other", slot, now, RESEND) is True


def test_a_slot_is_done_once_a_sync_started_after_it(database: Database) -> None:
    now = database.now()
    with database.begin() as conn:
        assert sync_started_since(conn, "flexit", now - timedelta(hours=1)) is False
        start_run(conn, "flexit", now=now, forced=False, config_hash=None)
        assert sync_started_since(conn, "flexit", now) is True
        assert sync_started_since(conn, "flexit", now + timedelta(seconds=1)) is False
        assert sync_started_since(conn, "acme", now) is False
