"""Operator actions through the compare-and-set, with their records (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from irp.orders.actions import ActionResult, resolve_order, retry_order
from irp.orders.intake import accept_order
from irp.store.db import Database
from irp.store.tables import order_actions
from tests.integration.orders.intake_support import (
    flexit_config,
    order_row,
    set_order,
    spec_order,
    store_offers,
)


@pytest.fixture
def db(database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Database:
    store_offers(database)
    result = accept_order(database, flexit_config(tmp_path, monkeypatch), spec_order())
    assert result.result == "accepted"
    return database


def _actions(db: Database) -> list[dict[str, Any]]:
    with db.connect() as conn:
        rows = conn.execute(sa.select(order_actions).order_by(order_actions.c.id)).all()
    return [{k: v for k, v in row._mapping.items() if k not in ("id", "at")} for row in rows]


def test_retry_of_failed_order_makes_it_due_now_resets_attempts_and_records_it(
    db: Database,
) -> None:
    later = datetime.now(UTC) + timedelta(hours=3)
    set_order(db, "5001", status="failed", attempts=8, next_attempt_at=later)
    result = retry_order(db, "5001", actor="alice", reason="credentials fixed")
    assert result == ActionResult(
        "5001",
        "retry",
        "failed",
        "pending",
        True,
        "5001: failed -> pending, due now (attempts reset to 0)",
    )
    row = order_row(db, "5001")
    assert (row["status"], row["attempts"]) == ("pending", 0)
    assert row["next_attempt_at"] < later - timedelta(hours=2)
    assert _actions(db) == [
        {
            "order_id": "5001",
            "action": "retry",
            "actor": "alice",
            "reason": "credentials fixed",
            "from_status": "failed",
            "to_status": "pending",
            "detail": None,
        }
    ]


def test_retry_of_pending_keeps_attempts_and_of_rejected_warns(db: Database) -> None:
    set_order(db, "5001", attempts=3, next_attempt_at=datetime.now(UTC) + timedelta(hours=1))
    result = retry_order(db, "5001", actor="bob", reason=None)
    assert (result.ok, result.message) == (True, "5001: pending -> pending, due now")
    assert order_row(db, "5001")["attempts"] == 3
    set_order(db, "5001", status="rejected", attempts=1)
    result = retry_order(db, "5001", actor="bob", reason="template fixed")
    assert result.message == (
        "5001: rejected -> pending, due now (attempts reset to 0); the refurbisher refused "
        "it before and will refuse it again unless the config or their data was fixed"
    )


def test_retry_of_uncertain_order_is_refused_and_changes_nothing(db: Database) -> None:
    set_order(db, "5001", status="uncertain")
    result = retry_order(db, "5001", actor="bob", reason=None)
    assert result == ActionResult(
        "5001",
        "retry",
        "uncertain",
        None,
        False,
        "5001 is uncertain: the refurbisher may have it, so a retry could duplicate it; "
        "check their portal for document number 5001, then irp orders resolve 5001 "
        "--external-ref REF | --resend --confirm-absent | --cancel",
    )
    assert order_row(db, "5001")["status"] == "uncertain"
    assert _actions(db) == []


def test_actions_are_refused_while_submitting_naming_the_lease(db: Database) -> None:
    lease = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)
    set_order(db, "5001", status="submitting", lease_until=lease, lease_owner="w1")
    expected = (
        "5001 is being submitted right now; wait for the attempt to finish "
        f"(lease until {lease.isoformat()})"
    )
    assert retry_order(db, "5001", actor="a", reason=None).message == expected
    cancel = resolve_order(db, "5001", cancel=True, actor="a", reason=None)
    assert (cancel.ok, cancel.from_status, cancel.message) == (False, "submitting", expected)
    assert order_row(db, "5001")["status"] == "submitting"
    assert _actions(db) == []


def test_resolve_with_external_reference_marks_uncertain_order_submitted(db: Database) -> None:
    set_order(db, "5001", status="uncertain")
    result = resolve_order(db, "5001", external_ref=" SO-778 ", actor="carol", reason="portal")
    assert result.to_json() == {
        "id": "5001",
        "action": "resolve_external_ref",
        "from": "uncertain",
        "to": "submitted",
        "ok": True,
        "message": "5001: uncertain -> submitted with reference SO-778",
    }
    row = order_row(db, "5001")
    assert (row["status"], row["external_reference"]) == ("submitted", "SO-778")
    assert row["submitted_at"] is not None
    assert _actions(db)[0]["detail"] == {"external_reference": "SO-778"}


def test_resend_without_a_not_found_lookup_needs_confirm_absent(db: Database) -> None:
    set_order(db, "5001", status="uncertain")
    refused = resolve_order(db, "5001", resend=True, actor="dave", reason=None)
    assert (refused.ok, refused.message) == (
        False,
        "5001 is uncertain and no lookup has said the refurbisher does not have it; "
        "resending could duplicate it. Check their portal for document number 5001; if it "
        "is not there: irp orders resolve 5001 --resend --confirm-absent",
    )
    done = resolve_order(
        db, "5001", resend=True, confirm_absent=True, actor="dave", reason="not in portal"
    )
    assert (done.ok, done.to_status, done.message) == (
        True,
        "pending",
        "5001: uncertain -> pending, due now (operator confirmed absent); it will be sent again",
    )
    assert _actions(db)[0]["detail"] == {"confirm_absent": True, "lookup_not_found_count": 0}


def test_resend_after_a_not_found_lookup_is_allowed_and_resets_the_lookup(db: Database) -> None:
    set_order(db, "5001", status="uncertain", lookup_not_found_count=1)
    done = resolve_order(db, "5001", resend=True, actor="dave", reason=None)
    assert done.message == (
        "5001: uncertain -> pending, due now (lookup said not found); it will be sent again"
    )
    assert order_row(db, "5001")["lookup_not_found_count"] == 0


def test_cancel_says_it_is_local_only(db: Database) -> None:
    set_order(db, "5001", status="uncertain")
    result = resolve_order(db, "5001", cancel=True, actor="erin", reason="customer cancelled")
    assert result.message == (
        "5001: uncertain -> cancelled; cancelled locally only: the refurbisher may still "
        "ship it; if they have it, cancel it with them too"
    )
    assert order_row(db, "5001")["status"] == "cancelled"
    again = resolve_order(db, "5001", cancel=True, actor="erin", reason=None)
    assert (again.ok, again.message) == (
        False,
        "5001 is cancelled; only uncertain, pending, failed or rejected orders can be cancelled",
    )


def test_resolve_of_a_submitted_order_and_actions_on_unknown_orders_are_refused(
    db: Database,
) -> None:
    set_order(db, "5001", status="submitted", external_reference="SO-1")
    result = resolve_order(db, "5001", external_ref="SO-2", actor="x", reason=None)
    assert result.message == (
        "5001 is submitted, not uncertain; resolve acts on uncertain orders (reference SO-1)"
    )
    assert order_row(db, "5001")["external_reference"] == "SO-1"
    result = retry_order(db, "9999", actor="x", reason=None)
    assert result == ActionResult("9999", "retry", None, None, False, "order 9999 not found")


def test_action_that_loses_the_race_to_a_worker_changes_nothing(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from irp.orders import actions
    from irp.orders.states import transition
    from irp.store.tables import orders

    set_order(db, "5001", status="failed")

    def worker_first(conn: sa.Connection, order_id: str, *args: Any, **kwargs: Any) -> bool:
        # A worker's compare-and-set lands between the operator's read and write.
        conn.execute(sa.update(orders).where(orders.c.id == order_id).values(status="pending"))
        return transition(conn, order_id, *args, **kwargs)

    monkeypatch.setattr(actions, "transition", worker_first)
    result = retry_order(db, "5001", actor="x", reason=None)
    assert (result.ok, result.from_status, result.message) == (
        False,
        "failed",
        "5001 changed from failed to pending meanwhile; nothing was done. Look again with "
        "irp orders show 5001",
    )
    assert _actions(db) == []
