"""Read models of orders: the list, one order in full, and what its state means.

``irp orders list`` / ``show`` and ``GET /api/orders`` read through here (no SQL in a
command or a route). Values stay typed (Decimal, aware datetimes); the caller turns
them into text or JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from irp.errors import OrderError
from irp.money import canonical_money
from irp.orders.states import OrderStatus
from irp.store.tables import order_actions as actions_table
from irp.store.tables import order_attempts as attempts_table
from irp.store.tables import order_lines as lines_table
from irp.store.tables import orders as orders_table

S = OrderStatus


@dataclass(frozen=True)
class OrderSummary:
    """One row of ``irp orders list``."""

    id: str
    refurbisher: str
    status: str
    external_reference: str | None
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    updated_at: datetime

    def to_json(self) -> dict[str, Any]:
        """The row as a dict (datetimes left to the JSON writer)."""
        return dict(self.__dict__)


def list_orders(
    conn: sa.Connection, *, status: str | None = None, refurbisher: str | None = None
) -> list[OrderSummary]:
    """Orders, newest change first, optionally of one status and/or refurbisher.

    Raises OrderError for a status that does not exist (a typo must not list nothing).
    """
    o = orders_table.c
    query = sa.select(
        o.id,
        o.refurbisher,
        o.status,
        o.external_reference,
        o.attempts,
        o.next_attempt_at,
        o.last_error,
        o.updated_at,
    ).order_by(o.updated_at.desc(), o.id)
    if status is not None:
        if status not in {str(s) for s in OrderStatus}:
            known = ", ".join(str(s) for s in OrderStatus)
            raise OrderError(f"--status {status!r} is not an order state; expected one of {known}")
        query = query.where(o.status == status)
    if refurbisher is not None:
        query = query.where(o.refurbisher == refurbisher)
    return [OrderSummary(**row._mapping) for row in conn.execute(query)]


def show_order(conn: sa.Connection, order_id: str) -> dict[str, Any]:
    """One order in full: SPEC §6 ``{"id", "refurbisher", "status", "external_reference",
    "lines", "attempts", "actions"}`` plus its timestamps, lease and lookup counters.

    Raises OrderError when there is no such order.
    """
    row = conn.execute(sa.select(orders_table).where(orders_table.c.id == order_id)).first()
    if row is None:
        raise OrderError(f"order {order_id} not found; list them with irp orders list")
    order = row._mapping
    return {
        "id": order["id"],
        "refurbisher": order["refurbisher"],
        "status": order["status"],
        "external_reference": order["external_reference"],
        "order_number": order["order_number"],
        "currency": order["currency"],
        "shipping_address": (order["content"] or {}).get("shipping_address"),
        "attempt_count": order["attempts"],
        "next_attempt_at": order["next_attempt_at"],
        "lease_until": order["lease_until"],
        "last_error": order["last_error"],
        "lookup_not_found_count": order["lookup_not_found_count"],
        "resend_allowed": order["resend_allowed"],
        "created_at": order["created_at"],
        "updated_at": order["updated_at"],
        "submitted_at": order["submitted_at"],
        "shipped_at": order["shipped_at"],
        "carrier": order["carrier"],
        "tracking_code": order["tracking_code"],
        "tracking_url": order["tracking_url"],
        "odoo": {  # the Odoo purchase order (SPEC §9), booked by irp.odoo.push
            "po_id": order["odoo_po_id"],
            "po_name": order["odoo_po_name"],
            "booked_at": order["odoo_booked_at"],
            "attempts": order["odoo_attempts"],
            "next_at": order["odoo_next_at"],
            "error": order["odoo_error"],
        },
        "lines": _lines(conn, order_id),
        "attempts": _attempts(conn, order_id),
        "actions": _actions(conn, order_id),
    }


def _lines(conn: sa.Connection, order_id: str) -> list[dict[str, Any]]:
    c = lines_table.c
    query = (
        sa.select(
            c.line_no,
            c.sku,
            c.ean,
            c.name,
            c.quantity,
            c.unit_price_tax_excl,
            c.price_purchase_amount,
            c.price_selling_amount,
        )
        .where(c.order_id == order_id)
        .order_by(c.line_no)
    )
    money = ("unit_price_tax_excl", "price_purchase_amount", "price_selling_amount")
    return [
        {k: canonical_money(v) if k in money and v is not None else v for k, v in row.items()}
        for row in conn.execute(query).mappings()
    ]


def _attempts(conn: sa.Connection, order_id: str) -> list[dict[str, Any]]:
    c = attempts_table.c
    query = (
        sa.select(
            c.started_at.label("at"),
            c.kind,
            c.request_method,
            c.request_url,
            c.status_code,
            c.duration_ms,
            c.outcome,
            c.error,
            c.response_body,
            c.request_payload,
            c.config_hash,
        )
        .where(c.order_id == order_id)
        .order_by(c.started_at, c.id)
    )
    return [dict(row._mapping) for row in conn.execute(query)]


def _actions(conn: sa.Connection, order_id: str) -> list[dict[str, Any]]:
    c = actions_table.c
    query = (
        sa.select(
            c.at,
            c.action,
            c.actor,
            c.reason,
            c.from_status.label("from"),
            c.to_status.label("to"),
            c.detail,
        )
        .where(c.order_id == order_id)
        .order_by(c.at, c.id)
    )
    return [dict(row._mapping) for row in conn.execute(query)]


def explain_status(order: dict[str, Any]) -> str:
    """What the order's state means for an operator, and what to do next."""
    order_id, status = order["id"], S(order["status"])
    reference = order["external_reference"]
    error = order["last_error"] or "see the attempts above"
    if status is S.PENDING:
        due = _when(order["next_attempt_at"])
        return (
            f"Waiting to be sent (attempt {order['attempt_count'] + 1}), due {due}. "
            "`irp orders submit` (or irp serve) sends due orders; to send it now: "
            f"irp orders retry {order_id}"
        )
    if status is S.SUBMITTING:
        return (
            f"Being sent right now (lease until {_when(order['lease_until'])}). Wait for the "
            "attempt to finish; if the submitter died, the next `irp orders submit` after the "
            "lease marks it uncertain. Operator actions are refused meanwhile."
        )
    if status is S.SUBMITTED:
        return (
            f"The refurbisher accepted it as {reference}. Nothing to do; it becomes shipped "
            "when the shipment arrives."
        )
    if status is S.SHIPPED:
        carrier = order["carrier"] or "carrier unknown"
        tracking = order["tracking_code"] or "no tracking code"
        return f"Shipped ({carrier}, {tracking}). Nothing to do."
    if status is S.FAILED:
        return (
            f"Never accepted by the refurbisher: {error}. The refurbisher did not act on it. "
            "Fix the cause (credentials, endpoint, the refurbisher's outage), then: "
            f"irp orders retry {order_id} (or irp orders resolve {order_id} --cancel)"
        )
    if status is S.REJECTED:
        return (
            f"The refurbisher refused it ({error}); the response is in the last attempt. Fix "
            f"the data or the config, then: irp orders retry {order_id}; or tell the "
            f"marketplace and: irp orders resolve {order_id} --cancel"
        )
    if status is S.UNCERTAIN:
        lookups = order["lookup_not_found_count"]
        seen = f" Lookups said not found {lookups} time(s)." if lookups else ""
        return (
            "The refurbisher may have this order: it must not be sent again blindly."
            f"{seen} Check their portal for document number {order_id}, then: "
            f"irp orders resolve {order_id} --external-ref REF | --resend --confirm-absent | "
            "--cancel"
        )
    return (
        "Cancelled locally: IRP will not send it. The refurbisher may still ship it if it had it."
    )


def _when(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value is not None else "not scheduled"
