"""One order's story for its page, and the alerts page's lists.

The order's timeline merges, by time: its intake, every attempt (submit or lookup,
with the request sent and the answer — secrets were stripped when they were stored,
and the page redacts again), the operator actions (who, why, from/to), and the
shipment events matched to it. Reads go through :func:`irp.orders.queries.show_order`
like ``irp orders show``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from irp.orders.queries import OrderView, show_order
from irp.store.tables import alerts, shipment_events

RESOLVED_SHOWN = 100
UNMATCHED_SHOWN = 200


@dataclass(frozen=True)
class Event:
    """One entry of an order's timeline."""

    at: datetime
    kind: str  # intake | submit | lookup | action | shipment
    title: str
    detail: dict[str, Any] = field(default_factory=dict)


def order_story(conn: sa.Connection, order_id: str) -> tuple[OrderView, list[Event]]:
    """The order as ``irp orders show`` reads it, and its timeline oldest first.

    Raises OrderError when there is no such order.
    """
    order = show_order(conn, order_id)
    events = [Event(order.created_at, "intake", "accepted from the marketplace")]
    for attempt in order.attempts:
        answer = attempt.status_code if attempt.status_code is not None else "no answer"
        title = f"{attempt.kind} {attempt.request_method or ''} → {answer}"
        if attempt.outcome:
            title += f" ({attempt.outcome})"
        events.append(
            Event(
                attempt.at,
                str(attempt.kind),
                title,
                {
                    "url": attempt.request_url,
                    "duration_ms": attempt.duration_ms,
                    "request": _pretty(attempt.request_payload),
                    "response": attempt.response_body,
                    "error": attempt.error,
                    "config_hash": (attempt.config_hash or "")[:12],
                },
            )
        )
    for action in order.actions:
        title = f"{action.action} by {action.actor}: {action.from_status} → {action.to_status}"
        events.append(
            Event(
                action.at,
                "action",
                title,
                {"reason": action.reason, "detail": _pretty(action.detail)},
            )
        )
    for shipment in shipments_of(conn, order_id):
        events.append(
            Event(
                shipment["received_at"],
                "shipment",
                "shipment event received",
                {"payload": _pretty(shipment["payload"])},
            )
        )
    events.sort(key=lambda e: e.at)
    return order, events


def shipments_of(conn: sa.Connection, order_id: str) -> list[dict[str, Any]]:
    """Shipment events matched to the order, oldest first."""
    s = shipment_events.c
    rows = conn.execute(
        sa.select(s.id, s.received_at, s.payload, s.matched_at)
        .where(s.order_id == order_id)
        .order_by(s.received_at, s.id)
    ).mappings()
    return [dict(row) for row in rows]


def alert_lists(conn: sa.Connection) -> dict[str, list[dict[str, Any]]]:
    """Open alerts (oldest first), the latest resolved ones, unmatched shipment events."""
    a = alerts.c
    opened = a.opened_at
    open_rows = conn.execute(
        sa.select(alerts).where(a.resolved_at.is_(None)).order_by(opened, a.id)
    ).mappings()
    resolved = conn.execute(
        sa.select(alerts)
        .where(a.resolved_at.is_not(None))
        .order_by(a.resolved_at.desc(), a.id.desc())
        .limit(RESOLVED_SHOWN)
    ).mappings()
    s = shipment_events.c
    unmatched = conn.execute(
        sa.select(s.id, s.refurbisher, s.received_at, s.payload)
        .where(s.matched_at.is_(None))
        .order_by(s.received_at, s.id)
        .limit(UNMATCHED_SHOWN)
    ).mappings()
    return {
        "open": [dict(r) for r in open_rows],
        "resolved": [dict(r) for r in resolved],
        "unmatched": [{**dict(r), "payload": _pretty(r["payload"])} for r in unmatched],
    }


def _pretty(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return str(value)
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False, default=str)
