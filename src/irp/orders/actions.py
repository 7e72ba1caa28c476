"""Operator actions on orders: ``retry`` and ``resolve`` (SPEC §3).

Each action is one compare-and-set through :func:`irp.orders.states.transition` from
the state the operator saw, so it never races a worker: an order that is
``submitting`` is refused, and one that changed state under the operator's hands is
refused with its new state. A performed action is recorded in ``order_actions`` (who,
when, why, from/to); a refused one changes and records nothing.

Decisions where the SPEC is silent:

- ``retry`` of a ``failed`` order resets ``attempts`` to 0 (a fresh ``max_attempts``
  budget: the cause was fixed); of a ``pending`` one keeps the count and only makes it
  due now. ``retry`` of a ``rejected`` order is allowed — after the config or the data
  at the refurbisher was fixed it is the only way to send the same order again — and
  the message warns that it will be refused again otherwise.
- ``resolve --cancel`` takes ``uncertain``, ``pending``, ``failed`` and ``rejected``
  orders; it is local only either way.
- ``resolve --resend`` is allowed after at least one definite not-found lookup
  (``lookup_not_found_count >= 1`` or ``resend_allowed``), or with ``--confirm-absent``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from irp.orders.states import OrderStatus, transition
from irp.store.db import database_now
from irp.store.tables import order_actions as actions_table
from irp.store.tables import orders as orders_table

if TYPE_CHECKING:
    from irp.store.db import Database

S = OrderStatus

RETRY = "retry"
RESOLVE_EXTERNAL_REF = "resolve_external_ref"
RESOLVE_RESEND = "resolve_resend"
RESOLVE_CANCEL = "resolve_cancel"

RETRYABLE = frozenset({S.FAILED, S.PENDING, S.REJECTED})
CANCELLABLE = frozenset({S.UNCERTAIN, S.PENDING, S.FAILED, S.REJECTED})
LOCAL_CANCEL_NOTE = (
    "cancelled locally only: the refurbisher may still ship it; if they have it, "
    "cancel it with them too"
)


@dataclass(frozen=True)
class ActionResult:
    """The outcome of one operator action; ``ok`` False means nothing changed."""

    id: str
    action: str
    from_status: str | None
    to_status: str | None
    ok: bool
    message: str

    def to_json(self) -> dict[str, Any]:
        """``{"id", "action", "from", "to", "ok", "message"}``."""
        return {
            "id": self.id,
            "action": self.action,
            "from": self.from_status,
            "to": self.to_status,
            "ok": self.ok,
            "message": self.message,
        }


@dataclass(frozen=True)
class _Plan:
    to_status: OrderStatus
    message: str
    values: Mapping[str, Any] = field(default_factory=dict)
    detail: Mapping[str, Any] | None = None


_Planner = Callable[[Mapping[str, Any], datetime], "_Plan | str"]


def _refused(order_id: str, action: str, current: str | None, message: str) -> ActionResult:
    return ActionResult(order_id, action, current, None, False, message)


def retry_order(db: Database, order_id: str, *, actor: str, reason: str | None) -> ActionResult:
    """Make a ``failed``, ``rejected`` or ``pending`` order due now (``irp orders retry``)."""

    def plan(order: Mapping[str, Any], now: datetime) -> _Plan | str:
        status = S(order["status"])
        if status not in RETRYABLE:
            return _not_retryable(order)
        values: dict[str, Any] = {"next_attempt_at": now}
        message = f"{order_id}: {status} -> pending, due now"
        if status in (S.FAILED, S.REJECTED):
            values["attempts"] = 0
            message += " (attempts reset to 0)"
        if status is S.REJECTED:
            message += (
                "; the refurbisher refused it before and will refuse it again unless the "
                "config or their data was fixed"
            )
        return _Plan(S.PENDING, message, values)

    return _act(db, order_id, RETRY, actor, reason, plan)


def _not_retryable(order: Mapping[str, Any]) -> str:
    order_id, status = order["id"], S(order["status"])
    if status is S.UNCERTAIN:
        return (
            f"{order_id} is uncertain: the refurbisher may have it, so a retry could "
            f"duplicate it; check their portal for document number {order_id}, then "
            f"irp orders resolve {order_id} --external-ref REF | --resend --confirm-absent "
            "| --cancel"
        )
    if status in (S.SUBMITTED, S.SHIPPED, S.DELIVERED):
        reference = order["external_reference"] or "unknown"
        return (
            f"{order_id} is {status} (reference {reference}); the refurbisher has it, "
            "there is nothing to retry"
        )
    return f"{order_id} is {status}; only failed, rejected or pending orders can be retried"


def resolve_order(
    db: Database,
    order_id: str,
    *,
    external_ref: str | None = None,
    resend: bool = False,
    confirm_absent: bool = False,
    cancel: bool = False,
    actor: str,
    reason: str | None,
) -> ActionResult:
    """Settle an ``uncertain`` order (``irp orders resolve``): it exists, resend, or cancel.

    Exactly one of ``external_ref`` / ``resend`` / ``cancel``; raises ValueError
    otherwise (the CLI and the API check it first, as a usage error).
    """
    chosen = [external_ref is not None, resend, cancel]
    if sum(chosen) != 1:
        raise ValueError("give exactly one of external_ref, resend, cancel")
    if external_ref is not None:
        return _resolve_external_ref(db, order_id, external_ref.strip(), actor, reason)
    if resend:
        return _resolve_resend(db, order_id, confirm_absent, actor, reason)
    return _resolve_cancel(db, order_id, actor, reason)


def _resolve_external_ref(
    db: Database, order_id: str, reference: str, actor: str, reason: str | None
) -> ActionResult:
    def plan(order: Mapping[str, Any], now: datetime) -> _Plan | str:
        if not reference:
            return f"{order_id}: --external-ref needs the refurbisher's order number"
        if S(order["status"]) is not S.UNCERTAIN:
            return _not_uncertain(order)
        return _Plan(
            S.SUBMITTED,
            f"{order_id}: uncertain -> submitted with reference {reference}",
            {
                "external_reference": reference,
                "submitted_at": now,
                "next_attempt_at": None,
                "lookup_next_at": None,
            },
            {"external_reference": reference},
        )

    return _act(db, order_id, RESOLVE_EXTERNAL_REF, actor, reason, plan)


def _resolve_resend(
    db: Database, order_id: str, confirm_absent: bool, actor: str, reason: str | None
) -> ActionResult:
    def plan(order: Mapping[str, Any], now: datetime) -> _Plan | str:
        if S(order["status"]) is not S.UNCERTAIN:
            return _not_uncertain(order)
        not_found = int(order["lookup_not_found_count"] or 0)
        if not (confirm_absent or order["resend_allowed"] or not_found >= 1):
            return (
                f"{order_id} is uncertain and no lookup has said the refurbisher does not "
                "have it; resending could duplicate it. Check their portal for document "
                f"number {order_id}; if it is not there: irp orders resolve {order_id} "
                "--resend --confirm-absent"
            )
        basis = "operator confirmed absent" if confirm_absent else "lookup said not found"
        return _Plan(
            S.PENDING,
            f"{order_id}: uncertain -> pending, due now ({basis}); it will be sent again",
            {
                "next_attempt_at": now,
                "lookup_not_found_count": 0,
                "lookup_next_at": None,
                "resend_allowed": False,
            },
            {"confirm_absent": confirm_absent, "lookup_not_found_count": not_found},
        )

    return _act(db, order_id, RESOLVE_RESEND, actor, reason, plan)


def _resolve_cancel(db: Database, order_id: str, actor: str, reason: str | None) -> ActionResult:
    def plan(order: Mapping[str, Any], now: datetime) -> _Plan | str:
        status = S(order["status"])
        if status not in CANCELLABLE:
            return (
                f"{order_id} is {status}; only uncertain, pending, failed or rejected "
                "orders can be cancelled"
            )
        return _Plan(
            S.CANCELLED,
            f"{order_id}: {status} -> cancelled; {LOCAL_CANCEL_NOTE}",
            {"next_attempt_at": None, "lookup_next_at": None},
        )

    return _act(db, order_id, RESOLVE_CANCEL, actor, reason, plan)


def _not_uncertain(order: Mapping[str, Any]) -> str:
    order_id, status = order["id"], S(order["status"])
    hint = {
        S.FAILED: f"; use irp orders retry {order_id} or --cancel",
        S.REJECTED: f"; use irp orders retry {order_id} or --cancel",
        S.PENDING: "; it is waiting to be sent",
        S.SUBMITTED: f" (reference {order['external_reference']})",
    }.get(status, "")
    return f"{order_id} is {status}, not uncertain; resolve acts on uncertain orders{hint}"


def _act(
    db: Database,
    order_id: str,
    action: str,
    actor: str,
    reason: str | None,
    plan: _Planner,
) -> ActionResult:
    """Read the order, let ``plan`` decide, then compare-and-set and record — one transaction."""
    with db.write_transaction() as conn:
        return _act_in(conn, order_id, action, actor, reason, plan)


def _act_in(
    conn: sa.Connection,
    order_id: str,
    action: str,
    actor: str,
    reason: str | None,
    plan: _Planner,
) -> ActionResult:
    order = _load(conn, order_id)
    if order is None:
        return _refused(order_id, action, None, f"order {order_id} not found")
    current = S(order["status"])
    if current is S.SUBMITTING:
        return _refused(order_id, action, str(current), _submitting(order, conn))
    now = database_now(conn)
    decided = plan(order, now)
    if isinstance(decided, str):
        return _refused(order_id, action, str(current), decided)
    moved = transition(conn, order_id, [current], decided.to_status, values=decided.values)
    if not moved:
        latest = _load(conn, order_id)
        state = latest["status"] if latest is not None else "gone"
        return _refused(
            order_id,
            action,
            str(current),
            f"{order_id} changed from {current} to {state} meanwhile; nothing was done. "
            f"Look again with irp orders show {order_id}",
        )
    conn.execute(
        sa.insert(actions_table).values(
            order_id=order_id,
            action=action,
            actor=actor,
            at=now,
            reason=reason,
            from_status=str(current),
            to_status=str(decided.to_status),
            detail=dict(decided.detail) if decided.detail is not None else None,
        )
    )
    return ActionResult(
        order_id, action, str(current), str(decided.to_status), True, decided.message
    )


def _load(conn: sa.Connection, order_id: str) -> Mapping[str, Any] | None:
    row = conn.execute(sa.select(orders_table).where(orders_table.c.id == order_id)).first()
    return dict(row._mapping) if row is not None else None


def _submitting(order: Mapping[str, Any], conn: sa.Connection) -> str:
    order_id, lease = order["id"], order["lease_until"]
    if lease is None:
        return f"{order_id} is being submitted right now; wait for the attempt to finish"
    if lease < database_now(conn):
        return (
            f"{order_id} is being submitted, but its lease expired at {lease.isoformat()}: "
            "the submitter died. The next `irp orders submit` marks it uncertain; act then"
        )
    return (
        f"{order_id} is being submitted right now; wait for the attempt to finish "
        f"(lease until {lease.isoformat()})"
    )
