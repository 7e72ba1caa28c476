"""Read models of orders: the list, one order in full, and what its state means.

``irp orders list`` / ``show`` and ``GET /api/orders`` read through here (no SQL in a
command or a route). The views are typed (Decimal, aware datetimes, :class:`OrderStatus`)
for the code that reads them; each has a ``to_json()`` that gives the JSON both the CLI
(``--json``) and the HTTP API print, so the two never differ: money as exact decimal
strings (``"249.00"``), times as ISO 8601 with their offset.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from irp.errors import OrderError
from irp.money import canonical_money
from irp.orders.intake import LineSnapshot
from irp.orders.states import OrderStatus
from irp.store.tables import order_actions as actions_table
from irp.store.tables import order_attempts as attempts_table
from irp.store.tables import order_lines as lines_table
from irp.store.tables import orders as orders_table

__all__ = [
    "ActionView",
    "AttemptView",
    "LineView",
    "OdooView",
    "OrderSummary",
    "OrderView",
    "explain_status",
    "list_orders",
    "list_orders_page",
    "show_order",
]

S = OrderStatus


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class OrderSummary:
    """One row of ``irp orders list``."""

    id: str
    refurbisher: str
    status: OrderStatus
    external_reference: str | None
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    updated_at: datetime

    def to_json(self) -> dict[str, Any]:
        """``{"id", "refurbisher", "status", "external_reference", "attempts",
        "next_attempt_at", "last_error", "updated_at"}``."""
        return {
            "id": self.id,
            "refurbisher": self.refurbisher,
            "status": str(self.status),
            "external_reference": self.external_reference,
            "attempts": self.attempts,
            "next_attempt_at": _time(self.next_attempt_at),
            "last_error": self.last_error,
            "updated_at": _time(self.updated_at),
        }


LineView = LineSnapshot
"""One order line with the offer snapshot taken at intake (the intake's own type)."""


@dataclass(frozen=True)
class AttemptView:
    """One request sent about the order (a submission or a lookup) and what came back."""

    at: datetime
    kind: str
    request_method: str | None
    request_url: str | None
    status_code: int | None
    duration_ms: int | None
    outcome: str | None
    error: str | None
    response_body: str | None
    request_payload: Any
    config_hash: str | None

    def to_json(self) -> dict[str, Any]:
        """The attempt as SPEC §6's ``attempts`` entries."""
        return {
            "at": _time(self.at),
            "kind": self.kind,
            "request_method": self.request_method,
            "request_url": self.request_url,
            "status_code": self.status_code,
            "duration_ms": self.duration_ms,
            "outcome": self.outcome,
            "error": self.error,
            "response_body": self.response_body,
            "request_payload": self.request_payload,
            "config_hash": self.config_hash,
        }


@dataclass(frozen=True)
class ActionView:
    """One operator action: who, when, why, and the state it moved the order between."""

    at: datetime
    action: str
    actor: str
    reason: str | None
    from_status: str | None
    to_status: str | None
    detail: Any

    def to_json(self) -> dict[str, Any]:
        """The action as SPEC §6's ``actions`` entries (``from``/``to`` for the states)."""
        return {
            "at": _time(self.at),
            "action": self.action,
            "actor": self.actor,
            "reason": self.reason,
            "from": self.from_status,
            "to": self.to_status,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class OdooView:
    """The order's Odoo purchase order (SPEC §9, booked by ``irp.odoo.push``), or why not yet."""

    po_id: int | None
    po_name: str | None
    booked_at: datetime | None
    tries: int  # pushes so far; each is an attempt of kind "odoo" in the order's attempts
    next_at: datetime | None
    error: str | None

    def to_json(self) -> dict[str, Any]:
        """``{"po_id", "po_name", "booked_at", "tries", "next_at", "error"}``."""
        return {
            "po_id": self.po_id,
            "po_name": self.po_name,
            "booked_at": _time(self.booked_at),
            "tries": self.tries,
            "next_at": _time(self.next_at),
            "error": self.error,
        }

    def describe(self) -> str:
        """One line for people: the purchase order, or the error and the next try."""
        if self.po_id is not None:
            return f"odoo: purchase order {self.po_name} (id {self.po_id})"
        if self.error:
            tries = f"{self.tries} tr{'y' if self.tries == 1 else 'ies'}"
            when = self.next_at.isoformat(timespec="seconds") if self.next_at else "not scheduled"
            return f"{self.error} (not booked after {tries}; next try {when})"
        return "odoo: no purchase order yet (booked once the refurbisher accepted it)"


@dataclass(frozen=True)
class OrderView:
    """One order in full (``irp orders show``, ``GET /api/orders/{id}``)."""

    id: str
    refurbisher: str
    status: OrderStatus
    external_reference: str | None
    order_number: str | None
    currency: str | None
    shipping_address: dict[str, Any] | None
    attempt_count: int  # submissions since the last retry: the order.max_attempts budget
    next_attempt_at: datetime | None
    lease_until: datetime | None
    last_error: str | None
    lookup_not_found_count: int
    resend_allowed: bool
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    shipped_at: datetime | None
    carrier: str | None
    tracking_code: str | None
    tracking_url: str | None
    odoo: OdooView
    lines: list[LineView]
    attempts: list[AttemptView]
    actions: list[ActionView]

    def to_json(self) -> dict[str, Any]:
        """SPEC §6: ``{"id", "refurbisher", "status", "external_reference", "lines",
        "attempts": [...], "actions": [...]}`` plus the order's timestamps, lease,
        lookup counters and shipment. ``attempts`` is the list of attempts; the count
        is ``attempts`` in ``irp orders list`` and ``submit`` (one name, one meaning
        per output)."""
        return {
            "id": self.id,
            "refurbisher": self.refurbisher,
            "status": str(self.status),
            "external_reference": self.external_reference,
            "order_number": self.order_number,
            "currency": self.currency,
            "shipping_address": self.shipping_address,
            "next_attempt_at": _time(self.next_attempt_at),
            "lease_until": _time(self.lease_until),
            "last_error": self.last_error,
            "lookup_not_found_count": self.lookup_not_found_count,
            "resend_allowed": self.resend_allowed,
            "created_at": _time(self.created_at),
            "updated_at": _time(self.updated_at),
            "submitted_at": _time(self.submitted_at),
            "shipped_at": _time(self.shipped_at),
            "carrier": self.carrier,
            "tracking_code": self.tracking_code,
            "tracking_url": self.tracking_url,
            "odoo": self.odoo.to_json(),
            "lines": [line.to_json() for line in self.lines],
            "attempts": [attempt.to_json() for attempt in self.attempts],
            "actions": [action.to_json() for action in self.actions],
        }


def list_orders(
    conn: sa.Connection, *, status: str | None = None, refurbisher: str | None = None
) -> list[OrderSummary]:
    """Orders, newest change first, optionally of one status and/or refurbisher.

    Raises OrderError for a status that does not exist (a typo must not list nothing).
    """
    o = orders_table.c
    query = _summaries()
    if status is not None:
        query = query.where(o.status == _known_status(status, "--status"))
    if refurbisher is not None:
        query = query.where(o.refurbisher == refurbisher)
    return _summary_rows(conn, query)


def list_orders_page(
    conn: sa.Connection,
    *,
    status: str | None = None,
    refurbisher: str | None = None,
    changed_since: datetime | None = None,
    after: tuple[datetime, str] | None = None,
    limit: int = 100,
) -> list[OrderSummary]:
    """One page of :func:`list_orders` (newest change first) for ``GET /api/orders``.

    ``after`` is the (``updated_at``, ``id``) of the previous page's last order
    (keyset paging); ``changed_since`` keeps orders changed at or after it. An order
    that changes while a client pages moves to the front: it is in the next walk.
    """
    o = orders_table.c
    query = _summaries().limit(limit)
    if status is not None:
        query = query.where(o.status == _known_status(status, "status"))
    if refurbisher is not None:
        query = query.where(o.refurbisher == refurbisher)
    if changed_since is not None:
        query = query.where(o.updated_at >= changed_since)
    if after is not None:
        at, last_id = after
        query = query.where(sa.or_(o.updated_at < at, sa.and_(o.updated_at == at, o.id > last_id)))
    return _summary_rows(conn, query)


def _summaries() -> sa.Select[Any]:
    """The columns of :class:`OrderSummary`, newest change first."""
    o = orders_table.c
    return sa.select(
        o.id,
        o.refurbisher,
        o.status,
        o.external_reference,
        o.attempts,
        o.next_attempt_at,
        o.last_error,
        o.updated_at,
    ).order_by(o.updated_at.desc(), o.id)


def _summary_rows(conn: sa.Connection, query: sa.Select[Any]) -> list[OrderSummary]:
    return [
        OrderSummary(**{**row._mapping, "status": S(row.status)}) for row in conn.execute(query)
    ]


def _known_status(status: str, label: str) -> str:
    """``status`` if it is an order state; else OrderError (a typo must not list nothing)."""
    if status not in {str(s) for s in OrderStatus}:
        known = ", ".join(str(s) for s in OrderStatus)
        raise OrderError(f"{label} {status!r} is not an order state; expected one of {known}")
    return status


def show_order(conn: sa.Connection, order_id: str) -> OrderView:
    """One order in full, with its lines, attempts and operator actions.

    Raises OrderError when there is no such order.
    """
    row = conn.execute(sa.select(orders_table).where(orders_table.c.id == order_id)).first()
    if row is None:
        raise OrderError(f"order {order_id} not found; list them with irp orders list")
    order = row._mapping
    return OrderView(
        id=order["id"],
        refurbisher=order["refurbisher"],
        status=S(order["status"]),
        external_reference=order["external_reference"],
        order_number=order["order_number"],
        currency=order["currency"],
        shipping_address=(order["content"] or {}).get("shipping_address"),
        attempt_count=order["attempts"],
        next_attempt_at=order["next_attempt_at"],
        lease_until=order["lease_until"],
        last_error=order["last_error"],
        lookup_not_found_count=order["lookup_not_found_count"],
        resend_allowed=order["resend_allowed"],
        created_at=order["created_at"],
        updated_at=order["updated_at"],
        submitted_at=order["submitted_at"],
        shipped_at=order["shipped_at"],
        carrier=order["carrier"],
        tracking_code=order["tracking_code"],
        tracking_url=order["tracking_url"],
        odoo=OdooView(
            po_id=order["odoo_po_id"],
            po_name=order["odoo_po_name"],
            booked_at=order["odoo_booked_at"],
            tries=order["odoo_attempts"],
            next_at=order["odoo_next_at"],
            error=order["odoo_error"],
        ),
        lines=_lines(conn, order_id),
        attempts=_attempts(conn, order_id),
        actions=_actions(conn, order_id),
    )


def _lines(conn: sa.Connection, order_id: str) -> list[LineView]:
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
    return [
        LineSnapshot(
            line_no=row.line_no,
            sku=row.sku,
            ean=row.ean,
            name=row.name,
            quantity=row.quantity,
            unit_price_tax_excl=canonical_money(row.unit_price_tax_excl),
            price_purchase_amount=_optional_money(row.price_purchase_amount),
            price_selling_amount=_optional_money(row.price_selling_amount),
        )
        for row in conn.execute(query)
    ]


def _optional_money(value: Decimal | None) -> Decimal | None:
    return canonical_money(value) if value is not None else None


def _attempts(conn: sa.Connection, order_id: str) -> list[AttemptView]:
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
    return [AttemptView(**row) for row in conn.execute(query).mappings()]


def _actions(conn: sa.Connection, order_id: str) -> list[ActionView]:
    c = actions_table.c
    query = (
        sa.select(c.at, c.action, c.actor, c.reason, c.from_status, c.to_status, c.detail)
        .where(c.order_id == order_id)
        .order_by(c.at, c.id)
    )
    return [ActionView(**row) for row in conn.execute(query).mappings()]


def explain_status(order: OrderView) -> str:
    """What the order's state means for an operator, and what to do next."""
    order_id, status = order.id, order.status
    reference = order.external_reference
    error = order.last_error or "see the attempts above"
    if status is S.PENDING:
        due = _when(order.next_attempt_at)
        return (
            f"Waiting to be sent (attempt {order.attempt_count + 1}), due {due}. "
            "`irp orders submit` (or irp serve) sends due orders; to send it now: "
            f"irp orders retry {order_id}"
        )
    if status is S.SUBMITTING:
        return (
            f"Being sent right now (lease until {_when(order.lease_until)}). Wait for the "
            "attempt to finish; if the submitter died, the next `irp orders submit` after the "
            "lease marks it uncertain. Operator actions are refused meanwhile."
        )
    if status is S.SUBMITTED:
        return (
            f"The refurbisher accepted it as {reference}. Nothing to do; it becomes shipped "
            "when the shipment arrives."
        )
    if status is S.SHIPPED:
        carrier = order.carrier or "carrier unknown"
        tracking = order.tracking_code or "no tracking code"
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
        lookups = order.lookup_not_found_count
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
