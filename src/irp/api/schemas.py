"""The HTTP API's bodies (``XCreate`` in, ``XPublic`` out), each with an example.

They document the API (OpenAPI at ``/docs``) and validate what FastAPI parses. The
inbound order is *not* one of them: ``POST /api/orders`` hands the raw JSON to
:func:`irp.orders.intake.accept_orders`, exactly as ``irp orders add`` does, so the
checks and the messages are the intake's own; its schema here is the intake model's.
Responses are written by :mod:`irp.api.responses` (Decimals as strings, datetimes as
ISO 8601, the same JSON as the CLI's ``--json``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from irp.orders.inbound_example import example_inbound_order
from irp.orders.intake import InboundOrder

EXAMPLE_ORDER: dict[str, Any] = example_inbound_order()
EXAMPLE_TIME = "2026-05-01T10:00:00.123456+00:00"


def _example(example: dict[str, Any]) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [example]})


def inbound_orders_openapi() -> dict[str, Any]:
    """The ``requestBody`` of ``POST /api/orders``: one order or a list, with examples."""
    schema = TypeAdapter(InboundOrder | list[InboundOrder]).json_schema(
        ref_template="#/components/schemas/{model}"
    )
    definitions = schema.pop("$defs", {})
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": schema,
                    "examples": {
                        "one": {"summary": "one order (SPEC §3)", "value": EXAMPLE_ORDER},
                        "list": {
                            "summary": "a list: each order accepted or refused on its own",
                            "value": [EXAMPLE_ORDER, {**EXAMPLE_ORDER, "id": "5002"}],
                        },
                    },
                }
            },
        },
        "x-irp-schemas": definitions,
    }


class OrderAccepted(BaseModel):
    """One order taken in: ``accepted`` (201) or ``unchanged`` (200)."""

    model_config = _example(
        {"id": "5001", "result": "accepted", "status": "pending", "message": "5001: accepted"}
    )

    id: str
    result: Literal["accepted", "unchanged"]
    status: str
    message: str


class IntakeResultPublic(BaseModel):
    """One order of a list, as ``irp orders add --json`` prints it."""

    model_config = _example({"id": "5001", "result": "accepted", "message": "5001: accepted"})

    id: str | None
    result: Literal["accepted", "unchanged", "refused"]
    message: str


class ErrorPublic(BaseModel):
    """Every error: what is wrong and what to do, for an operator."""

    model_config = _example(
        {
            "detail": "5001: SKU FLX-9 is not an offer of flexit; check the SKU or run "
            "`irp offers sync flexit` first"
        }
    )

    detail: str


class OrderSummaryPublic(BaseModel):
    """A row of ``GET /api/orders`` (as ``irp orders list --json``)."""

    model_config = _example(
        {
            "id": "5001",
            "refurbisher": "flexit",
            "status": "submitted",
            "external_reference": "SO-000001",
            "attempts": 1,
            "next_attempt_at": None,
            "last_error": None,
            "updated_at": EXAMPLE_TIME,
        }
    )

    id: str
    refurbisher: str
    status: str
    external_reference: str | None
    attempts: int
    next_attempt_at: str | None
    last_error: str | None
    updated_at: str


class OrdersPage(BaseModel):
    """A page of orders, newest change first; ``next_cursor`` is null on the last page."""

    model_config = ConfigDict(extra="forbid")

    orders: list[OrderSummaryPublic]
    next_cursor: str | None


class OrderPublic(BaseModel):
    """One order in full: exactly ``irp orders show ID --json``."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "id": "5001",
                    "refurbisher": "flexit",
                    "status": "submitted",
                    "external_reference": "SO-000001",
                    "lines": [{"line_no": 1, "sku": "FLX-1001", "quantity": 1}],
                    "attempts": [{"kind": "submit", "status_code": 201, "outcome": "submitted"}],
                    "actions": [],
                }
            ]
        },
    )

    id: str
    refurbisher: str
    status: str
    external_reference: str | None
    lines: list[dict[str, Any]]
    attempts: list[dict[str, Any]]
    actions: list[dict[str, Any]]


class RetryCreate(BaseModel):
    """``POST /api/orders/{id}/retry``: why (kept with the action record); optional."""

    model_config = _example({"reason": "FlexIT fixed their API key"})

    reason: str | None = Field(default=None, max_length=2000)


class ResolveCreate(BaseModel):
    """``POST /api/orders/{id}/resolve``: exactly one of ``external_ref``, ``resend``,
    ``cancel`` (as ``irp orders resolve``); ``confirm_absent`` only with ``resend``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"external_ref": "SO-000778", "reason": "found in the FlexIT portal"},
                {"resend": True, "confirm_absent": True, "reason": "not in the portal at 10:40"},
                {"cancel": True, "reason": "customer cancelled"},
            ]
        },
    )

    external_ref: str | None = Field(default=None, min_length=1, max_length=200)
    resend: bool = False
    confirm_absent: bool = False
    cancel: bool = False
    reason: str | None = Field(default=None, max_length=2000)


class ActionPublic(BaseModel):
    """The outcome of an operator action, as ``irp orders retry/resolve --json``."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "5001",
                    "action": "retry",
                    "from": "failed",
                    "to": "pending",
                    "ok": True,
                    "message": "5001: failed -> pending, due now (attempts reset to 0)",
                }
            ]
        },
    )

    id: str
    action: str
    from_status: str | None = Field(alias="from")
    to_status: str | None = Field(alias="to")
    ok: bool
    message: str


class OfferPublic(BaseModel):
    """A stored offer; money as exact decimal text."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "id": 1,
                    "refurbisher": "flexit",
                    "sku": "FLX-1001",
                    "name": "Apple iPhone 13 128GB Midnight (refurbished A)",
                    "ean": "0194252707319",
                    "stock_available": 7,
                    "price_purchase_amount": "249.00",
                    "price_consumer_amount": "399.00",
                    "price_selling_amount": "307.04",
                    "price_selling_amount_incl_vat": None,
                    "listed": True,
                    "above_srp": False,
                    "unlisted_reason": None,
                    "price_breakdown": {"cost": "262.18", "margin": "17"},
                    "updated_at": EXAMPLE_TIME,
                }
            ]
        },
    )

    id: int
    refurbisher: str
    sku: str
    listed: bool


class OffersPage(BaseModel):
    """A page of offers in storage order; ``next_cursor`` is null on the last page."""

    model_config = ConfigDict(extra="forbid")

    offers: list[OfferPublic]
    next_cursor: str | None


class SyncQueued(BaseModel):
    """``POST /api/refurbishers/{name}/sync``: the sync is on the queue."""

    model_config = _example({"queued": True})

    queued: bool


class ConfigErrorPublic(BaseModel):
    """One configuration error of a broken refurbisher: where, and what is wrong."""

    model_config = _example(
        {"path": "acme.order.auth.token", "message": "${ACME_TOKEN} is not set"}
    )

    path: str
    message: str


class RefurbisherPublic(BaseModel):
    """One refurbisher: config summary (never a secret), last sync, order state."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "name": "flexit",
                    "state": "ok",
                    "errors": [],
                    "refurbisher_id": 15,
                    "supplier_id": 10,
                    "env": "acceptance",
                    "offers": {
                        "connection": "sftp",
                        "type": "csv",
                        "schedule": "*/30 * * * *",
                        "last_sync": {
                            "run_id": 12,
                            "status": "ok",
                            "started_at": EXAMPLE_TIME,
                            "finished_at": EXAMPLE_TIME,
                        },
                        "listed": 412,
                    },
                    "orders": {
                        "connection": "web",
                        "auth": "client_id_secret",
                        "paused": False,
                        "paused_reason": None,
                    },
                    "shipment_webhook": "not configured",
                    "checks": [],
                }
            ]
        },
    )

    name: str
    state: Literal["ok", "broken"]
    errors: list[ConfigErrorPublic]
    refurbisher_id: int | None  # None for a broken one: nothing but its errors is shown
    env: str


class HealthPublic(BaseModel):
    """``GET /healthz``: 200 when the database and the queue answer, else 503."""

    model_config = _example(
        {
            "status": "ok",
            "database": "ok",
            "queue": "ok",
            "env": "acceptance",
            "config": "ok",
            "config_hash": "5c0f…",
        }
    )

    status: Literal["ok", "failing"]
    database: str
    queue: str
    env: str
    config: str
    config_hash: str


class ShipmentAnswerPublic(BaseModel):
    """The answer to a genuine delivery: matched (200) or stored unmatched (202)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {"matched": True, "order_id": "5001", "status": "shipped"},
                {"matched": False},
            ]
        },
    )

    matched: bool
    order_id: str | None = None
    status: str | None = None
    shipments: list[dict[str, Any]] | None = None


EXAMPLE_EVENT: dict[str, Any] = {
    "id": "evt_6f1c2b9e4d3a4f0e8b7c6d5e4f3a2b1c",
    "cursor": "42",
    "type": "order.shipped",
    "timestamp": "2026-11-28T09:15:02.123456Z",
    "data": {
        "order_id": "5001",
        "refurbisher": "flexit",
        "order_number": "IU-100234",
        "status": "shipped",
        "external_reference": "SO-000001",
        "shipment": {
            "carrier": "PostNL",
            "tracking_code": "3SABCD000000001",
            "tracking_url": "https://jouw.postnl.nl/track-and-trace/3SABCD000000001",
            "shipped_at": "2026-11-28T09:15:00Z",
        },
    },
}


class EventsPage(BaseModel):
    """A page of events and the cursor to continue from."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"events": [EXAMPLE_EVENT], "next_cursor": "42", "has_more": False}]
        }
    )

    events: list[dict[str, Any]]
    next_cursor: str | None
    has_more: bool


class CheckPublic(BaseModel):
    """One check of one refurbisher (SPEC §5)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "refurbisher": "flexit",
                    "env": "production",
                    "check": "latest_order",
                    "value": 51.0,
                    "threshold": 48.0,
                    "ok": False,
                    "detail": "last order 5001 submitted 51.0 h ago (2026-11-26 09:00 UTC), "
                    "more than 48 h: check that flexit's offers are listed on the marketplace "
                    "and that orders reach IRP (irp orders list)",
                }
            ]
        }
    )

    refurbisher: str
    env: str
    check: str
    value: float | None
    threshold: float | None
    ok: bool
    detail: str
