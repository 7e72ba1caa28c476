"""The transitions several parts of the engine make, each built in one place.

An order becomes ``uncertain`` from a submission's answer (:mod:`irp.orders.submit`)
and from an expired lease (:mod:`irp.orders.leases`); it becomes ``submitted`` from a
submission's answer, from a lookup that found it, and from a definite "created" that
arrives after its lease had run out. Each of those is one call here, and each is one
compare-and-set through :func:`irp.orders.states.transition` — the single path every
state change takes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa

from irp.config import LookupConfig
from irp.orders.states import OrderStatus, transition

__all__ = ["LEASE_OFF", "mark_submitted", "mark_uncertain", "resolve_hint"]

S = OrderStatus

LEASE_OFF = {"lease_until": None, "lease_owner": None}


def resolve_hint(order_id: str, refurbisher_name: str) -> str:
    """What an operator does with an uncertain order nobody can look up."""
    return (
        f"check with {refurbisher_name}, then `irp orders resolve {order_id}` with "
        "--external-ref REF, --resend --confirm-absent, or --cancel"
    )


def mark_uncertain(
    conn: sa.Connection,
    order_id: str,
    from_statuses: Iterable[OrderStatus],
    *,
    reason: str,
    lookup: LookupConfig | None,
    refurbisher_name: str,
    now: datetime,
    where: sa.ColumnElement[bool] | None = None,
) -> bool:
    """Move the order to ``uncertain``: maybe acted on, never resent blindly.

    With a ``lookup``, the first lookup is due ``delay_seconds`` from ``now``. Without
    one, ``lookup_next_at`` is still set (to ``now``): nothing looks it up until the
    refurbisher gains a ``lookup`` in the config, and then it is looked up at once —
    the delay has long passed. ``lookup_next_at`` is None only once the lookups gave up.
    """
    if lookup is not None:
        first_lookup = now + timedelta(seconds=lookup.delay_seconds)
        follow_up = f"it will be looked up at {first_lookup.isoformat(timespec='seconds')}"
    else:
        first_lookup = now
        follow_up = resolve_hint(order_id, refurbisher_name)
    return transition(
        conn,
        order_id,
        from_statuses,
        S.UNCERTAIN,
        values={
            **LEASE_OFF,
            "last_error": f"{reason}; {follow_up}",
            "next_attempt_at": None,
            "lookup_next_at": first_lookup,
            "lookup_not_found_count": 0,
            "resend_allowed": False,
        },
        where=where,
    )


def mark_submitted(
    conn: sa.Connection,
    order_id: str,
    from_statuses: Iterable[OrderStatus],
    *,
    reference: object,
    now: datetime,
    where: sa.ColumnElement[bool] | None = None,
) -> bool:
    """Move the order to ``submitted`` with the refurbisher's reference (if it gave one)."""
    return transition(
        conn,
        order_id,
        from_statuses,
        S.SUBMITTED,
        values={
            **LEASE_OFF,
            "external_reference": None if reference is None else str(reference),
            "submitted_at": now,
            "last_error": None,
            "next_attempt_at": None,
            "lookup_next_at": None,
        },
        where=where,
    )
