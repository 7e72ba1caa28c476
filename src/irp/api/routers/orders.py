"""``/api/orders``: intake (the very function ``irp orders add`` uses), reading, and the
operator actions ``retry`` and ``resolve`` with the token's name as the actor."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from irp.api.cursors import as_utc, decode_cursor, encode_cursor
from irp.api.deps import ActorDep, DatabaseDep, ServiceDep
from irp.api.limits import read_json_document
from irp.api.responses import JsonText, documented_errors
from irp.api.schemas import (
    ActionPublic,
    IntakeResultPublic,
    OrderAccepted,
    OrderPublic,
    OrdersPage,
    ResolveCreate,
    RetryCreate,
    inbound_orders_openapi,
)
from irp.errors import OrderError
from irp.jobs.service import Service
from irp.logs import log_context
from irp.orders.actions import ActionResult, resolve_order, retry_order
from irp.orders.intake import IntakeResult, order_id_of
from irp.orders.queries import list_orders_page, show_order
from irp.orders.results import order_result
from irp.orders.states import OrderStatus

router = APIRouter(prefix="/orders", tags=["orders"])
log = logging.getLogger(__name__)

MAX_ORDERS_PER_REQUEST = 500
MAX_LIMIT = 1000


@router.post(
    "",
    status_code=201,
    summary="Take in one order, or a list",
    openapi_extra=inbound_orders_openapi(),
    responses={
        201: {"model": OrderAccepted, "description": "one order, accepted"},
        200: {
            "model": OrderAccepted | list[IntakeResultPublic],
            "description": "one order accepted before, unchanged; or a list: one result each",
        },
        **documented_errors(400, 409, 413, 415, 422),
    },
)
async def post_orders(request: Request, service: ServiceDep) -> Response:
    """SPEC §3 orders, checked and stored exactly as ``irp orders add`` does.

    One order: 201 accepted, 200 unchanged (the same id and content again), 409 the id
    is taken by other content (the message names what differs), 422 refused (the
    intake's message). A list: 200 with one ``{"id", "result", "message"}`` each.
    An accepted order is queued for submission at once.
    """
    data = await request.body()
    raws = read_json_document(data)
    if len(raws) > MAX_ORDERS_PER_REQUEST:
        raise HTTPException(
            413, f"{len(raws)} orders in one request; send at most {MAX_ORDERS_PER_REQUEST}"
        )
    one = not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"[")
    with log_context(order_id=order_id_of(raws[0]) if one and raws else None):
        # accept_orders, with the orders of concurrent requests in one transaction
        results = await run_in_threadpool(service.intake.accept, service.config(), raws)
        if one:  # the status as stored, before a worker is woken to send it
            result = results[0]
            if result.result == "accepted":
                answer = _one_answer(result, OrderStatus.PENDING)
            else:
                answer = await run_in_threadpool(_stored_answer, service, result)
        else:
            answer = JsonText([result.to_json() for result in results], status_code=200)
        _wake_accepted(service, raws, results)
        return answer


def _wake_accepted(service: Service, raws: list[object], results: list[IntakeResult]) -> None:
    woken: set[str] = set()
    for raw, result in zip(raws, results, strict=True):
        log.info("%s", result.message)
        if result.result == "accepted" and isinstance(raw, dict):
            key = raw.get("refurbisher")
            if isinstance(key, str) and key not in woken:
                woken.add(key)
                service.tasks.wake_orders(key, local=True)


def _stored_answer(service: Service, result: IntakeResult) -> Response:
    if result.result == "refused":
        raise HTTPException(409 if result.conflict else 422, result.message)
    assert result.id is not None
    with service.db.connect() as conn:
        return _one_answer(result, order_result(conn, result.id).status)


def _one_answer(result: IntakeResult, status: OrderStatus) -> Response:
    body = {
        "id": result.id,
        "result": result.result,
        "status": str(status),
        "message": result.message,
    }
    return JsonText(body, status_code=201 if result.result == "accepted" else 200)


@router.get(
    "",
    summary="Orders, newest change first",
    responses={200: {"model": OrdersPage}, **documented_errors(400, 422)},
)
def list_orders(
    db: DatabaseDep,
    status: Annotated[
        str | None, Query(description="Only this state (pending, submitted, ...).")
    ] = None,
    refurbisher: Annotated[str | None, Query(description="Only this refurbisher.")] = None,
    changed_since: Annotated[
        datetime | None,
        Query(description="Only orders changed at or after (ISO 8601; UTC if no offset)."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page.")] = None,
) -> Response:
    """As ``irp orders list --json``, a page at a time; ``next_cursor`` is null at the end."""
    after = None
    if cursor:
        position = decode_cursor(cursor, ("at", "id"))
        try:
            after = (datetime.fromisoformat(position["at"]), str(position["id"]))
        except (TypeError, ValueError):
            raise HTTPException(
                400, "cursor: not one this API gave out; start again without it"
            ) from None
    try:
        with db.connect() as conn:
            rows = list_orders_page(
                conn,
                status=status,
                refurbisher=refurbisher,
                changed_since=as_utc(changed_since),
                after=after,
                limit=limit,
            )
    except OrderError as exc:
        raise HTTPException(422, str(exc)) from None
    next_cursor = None
    if len(rows) == limit:
        last = rows[-1]
        next_cursor = encode_cursor({"at": last.updated_at.isoformat(), "id": last.id})
    return JsonText({"orders": [row.to_json() for row in rows], "next_cursor": next_cursor})


@router.get(
    "/{order_id}",
    summary="One order in full",
    responses={200: {"model": OrderPublic}, **documented_errors(404)},
)
def get_order(order_id: str, db: DatabaseDep) -> Response:
    """Exactly ``irp orders show ID --json``: lines, every attempt, every action."""
    with log_context(order_id=order_id):
        try:
            with db.connect() as conn:
                return JsonText(show_order(conn, order_id).to_json())
        except OrderError as exc:
            raise HTTPException(404, str(exc)) from None


@router.post(
    "/{order_id}/retry",
    summary="Make a failed, rejected or pending order due now",
    responses={200: {"model": ActionPublic}, **documented_errors(404, 409)},
)
def retry(
    order_id: str, actor: ActorDep, service: ServiceDep, body: RetryCreate | None = None
) -> Response:
    """As ``irp orders retry``; 409 (nothing changed) when the state does not allow it."""
    with log_context(order_id=order_id, actor=actor):
        result = retry_order(
            service.db, order_id, actor=actor, reason=body.reason if body else None
        )
        return _action_answer(service, result)


@router.post(
    "/{order_id}/resolve",
    summary="Settle an uncertain order",
    responses={200: {"model": ActionPublic}, **documented_errors(404, 409, 422)},
)
def resolve(order_id: str, body: ResolveCreate, actor: ActorDep, service: ServiceDep) -> Response:
    """As ``irp orders resolve``: ``external_ref`` (they have it), ``resend`` (after a
    not-found lookup, or with ``confirm_absent``) or ``cancel`` (local only)."""
    if sum([body.external_ref is not None, body.resend, body.cancel]) != 1:
        raise HTTPException(422, "give exactly one of external_ref, resend, cancel")
    if body.confirm_absent and not body.resend:
        raise HTTPException(422, "confirm_absent goes with resend")
    with log_context(order_id=order_id, actor=actor):
        result = resolve_order(
            service.db,
            order_id,
            external_ref=body.external_ref,
            resend=body.resend,
            confirm_absent=body.confirm_absent,
            cancel=body.cancel,
            actor=actor,
            reason=body.reason,
        )
        return _action_answer(service, result)


def _action_answer(service: Service, result: ActionResult) -> Response:
    if not result.ok:
        log.info("refused: %s", result.message)
        raise HTTPException(404 if result.from_status is None else 409, result.message)
    log.info("%s", result.message)
    if result.to_status == "pending":
        with service.db.connect() as conn:
            service.tasks.wake_orders(order_result(conn, result.id).refurbisher, local=True)
    body: dict[str, Any] = result.to_json()
    return JsonText(body)
