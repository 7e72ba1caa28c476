"""One order's story for its page, and the alerts page's lists.

The order's timeline merges, by time: its intake, every attempt (submit, lookup,
shipment poll or Odoo push, with the request sent and the answer — secrets were
stripped when they were stored, and the page redacts again), the operator actions
(who, why, from/to), its parcels (with their tracking links), its order events (the
outbox of :mod:`irp.events`: what the marketplace was told, and whether the push got
through) and the Odoo purchase order once booked. Reads go through
:func:`irp.orders.queries.show_order` like ``irp orders show``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from irp.orders.queries import OrderView, show_order
from irp.store.tables import alerts, order_events, shipments

RESOLVED_SHOWN = 100
UNMATCHED_SHOWN = 200


@dataclass(frozen=True)
class Event:
    """One entry of an order's timeline."""

    at: datetime
    kind: str  # intake | submit | lookup | poll | odoo | action | shipment | event
    title: str
    detail: dict[str, Any] = field(default_factory=dict)


def order_story(conn: sa.Connection, order_id: str) -> tuple[OrderView, list[Event]]:
    """The order as ``irp orders show`` reads it, and its timeline oldest first.

    Raises OrderError when there is no such order.
    """
    order = show_order(conn, order_id)
    events = [Event(order.created_at, "intake", "accepted from the marketplace")]
    for attempt in order.attempts:
        title = f"{attempt.kind} {attempt.request_method or ''}".strip()
        if attempt.status_code is not None:
            title += f" → {attempt.status_code}" + (
                f" ({attempt.outcome})" if attempt.outcome else ""
            )
        elif attempt.outcome:
            title += f": {attempt.outcome}" + (" (no answer)" if attempt.error else "")
        else:
            title += " → no answer"
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
        what = f"{shipment['carrier'] or 'parcel'} {shipment['tracking_code'] or ''}".strip()
        events.append(
            Event(
                shipment["received_at"],
                "shipment",
                f"shipment {shipment['status']} ({shipment['source']}): {what}",
                {
                    "tracking_code": shipment["tracking_code"],
                    "tracking_url": shipment["tracking_url"],
                    "payload": _pretty(shipment["raw"]),
                },
            )
        )
    for event in events_of(conn, order_id):
        events.append(
            Event(
                event["occurred_at"],
                "event",
                f"event {event['type']} → the marketplace",
                {"push": _push_state(event), "payload": _pretty(event["payload"])},
            )
        )
    odoo = order.odoo
    if odoo.po_id is not None and odoo.booked_at is not None:
        events.append(
            Event(
                odoo.booked_at,
                "odoo",
                f"purchase order {odoo.po_name} (id {odoo.po_id}) booked in Odoo",
            )
        )
    events.sort(key=lambda e: e.at)
    return order, events


def shipments_of(conn: sa.Connection, order_id: str) -> list[dict[str, Any]]:
    """The order's parcels (each stored once, with the event that brought it), oldest first."""
    s = shipments.c
    rows = conn.execute(
        sa.select(shipments).where(s.order_id == order_id).order_by(s.received_at, s.id)
    ).mappings()
    return [{**dict(row), "tracking_url": _web_link(row["tracking_url"])} for row in rows]


def events_of(conn: sa.Connection, order_id: str) -> list[dict[str, Any]]:
    """The order's outbox events, oldest first, with how their push went."""
    rows = conn.execute(
        sa.select(order_events)
        .where(order_events.c.order_id == order_id)
        .order_by(order_events.c.id)
    ).mappings()
    return [dict(row) for row in rows]


def _push_state(event: dict[str, Any]) -> str:
    """Whether the marketplace got it pushed, is still due one, or reads it by cursor."""
    if event["pushed_at"] is not None:
        return f"pushed {event['pushed_at']:%Y-%m-%d %H:%M:%S} UTC"
    if event["last_push_error"]:
        tries = event["push_attempts"]
        return f"not pushed yet after {tries} attempt(s): {event['last_push_error']}"
    return f"not pushed yet; the marketplace can read it at GET /api/events (cursor {event['id']})"


def _web_link(url: str | None) -> str | None:
    """A tracking URL only when it is an http(s) link (never ``javascript:``)."""
    if url and url.lower().startswith(("https://", "http://")):
        return url
    return None


def alert_lists(conn: sa.Connection) -> dict[str, list[dict[str, Any]]]:
    """Open alerts (oldest first), the latest resolved ones, unmatched shipment events."""
    a = alerts.c
    opened = a.raised_at
    open_rows = conn.execute(
        sa.select(alerts).where(a.resolved_at.is_(None)).order_by(opened, a.id)
    ).mappings()
    resolved = conn.execute(
        sa.select(alerts)
        .where(a.resolved_at.is_not(None))
        .order_by(a.resolved_at.desc(), a.id.desc())
        .limit(RESOLVED_SHOWN)
    ).mappings()
    s = shipments.c
    unmatched = conn.execute(
        sa.select(s.id, s.refurbisher, s.received_at, s.raw.label("payload"))
        .where(s.order_id.is_(None))
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
