"""The orders (list, one order's timeline, operator actions) and the alerts.

Operator actions call the same functions as ``irp orders retry`` / ``resolve`` and the
API (:mod:`irp.orders.actions`), with the viewer's token name as the actor. Each asks
for a reason and an explicit confirmation; a refused action changes nothing and says
why.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from irp.errors import OrderError
from irp.orders.actions import CANCELLABLE, RETRYABLE, ActionResult, resolve_order, retry_order
from irp.orders.states import OrderStatus
from irp.web import lists
from irp.web.activity import alert_lists, order_story, shipments_of
from irp.web.context import back_with_flash, page
from irp.web.deps import BackendDep, PostedFormDep, ViewerDep

router = APIRouter(include_in_schema=False)

ACTIONS = ("retry", "resolve", "resend", "cancel")


@router.get("/orders")
def orders_page(
    request: Request,
    backend: BackendDep,
    who: ViewerDep,
    state: Annotated[str, Query()] = "",
    refurbisher: Annotated[str, Query()] = "",
    after: Annotated[str | None, Query()] = None,
) -> HTMLResponse:
    """Orders, most recently changed first; filter by state and refurbisher."""
    config = backend.config()
    states = [str(s) for s in OrderStatus]
    chosen = state if state in (*states, lists.OPERATOR_FILTER) else ""
    ref = refurbisher if refurbisher in config.refurbishers else ""
    with backend.db.connect() as conn:
        found = lists.list_orders(conn, state=chosen or None, refurbisher=ref or None, cursor=after)
    return page(
        request, backend, who, "orders.html", nav="orders", found=found, states=states,
        state=chosen, refurbisher=ref, refurbishers=list(config.refurbishers),
    )  # fmt: skip


@router.get("/orders/{order_id}")
def order_page(
    request: Request, backend: BackendDep, who: ViewerDep, order_id: str
) -> HTMLResponse:
    """One order: lines, timeline of attempts, actions and shipments; what can be done."""
    with backend.db.connect() as conn:
        try:
            order, events = order_story(conn, order_id)
        except OrderError as exc:
            raise HTTPException(404, str(exc)) from None
        parcels = shipments_of(conn, order_id)
    status = order.status
    allowed = {
        "retry": status in RETRYABLE,
        "resolve": status is OrderStatus.UNCERTAIN,
        "resend": status is OrderStatus.UNCERTAIN,
        "cancel": status in CANCELLABLE,
    }
    return page(
        request, backend, who, "order.html", nav="orders", order=order, events=events,
        allowed=allowed, parcels=parcels,
    )  # fmt: skip


@router.post("/orders/{order_id}/actions")
def order_action(
    backend: BackendDep, who: ViewerDep, form: PostedFormDep, order_id: str
) -> Response:
    """Retry, resolve with a reference, resend or cancel — confirmed, with a reason."""
    target = f"/orders/{order_id}"
    action = form.get("action", "")
    reason = form.get("reason", "").strip()
    if action not in ACTIONS:
        raise HTTPException(422, f"action must be one of {', '.join(ACTIONS)}")
    if form.get("confirm") != "yes":
        return back_with_flash(
            backend, target, f"{action}: tick the confirmation box; nothing was done", False
        )
    if not reason:
        return back_with_flash(backend, target, f"{action}: give a reason; nothing was done", False)
    result = _perform(backend, who.name, order_id, action, reason, form)
    return back_with_flash(backend, target, result.message, result.ok)


def _perform(
    backend: BackendDep, actor: str, order_id: str, action: str, reason: str, form: dict[str, str]
) -> ActionResult:
    db = backend.db
    if action == "retry":
        return retry_order(db, order_id, actor=actor, reason=reason)
    if action == "resolve":
        reference = form.get("external_ref", "").strip()
        if not reference:
            message = f"{order_id}: give the refurbisher's order number; nothing was done"
            return ActionResult(order_id, "resolve_external_ref", None, None, False, message)
        return resolve_order(db, order_id, external_ref=reference, actor=actor, reason=reason)
    if action == "resend":
        confirm_absent = form.get("confirm_absent") == "yes"
        return resolve_order(
            db, order_id, resend=True, confirm_absent=confirm_absent, actor=actor, reason=reason
        )
    return resolve_order(db, order_id, cancel=True, actor=actor, reason=reason)


@router.get("/alerts")
def alerts_page(request: Request, backend: BackendDep, who: ViewerDep) -> HTMLResponse:
    """Open and resolved alerts, and shipment events that matched no order."""
    with backend.db.connect() as conn:
        found = alert_lists(conn)
    return page(
        request, backend, who, "alerts.html", nav="alerts",
        open=found["open"], resolved=found["resolved"], unmatched=found["unmatched"],
    )  # fmt: skip
