"""``POST /webhooks/{refurbisher}/shipments``: shipment webhooks (SPEC §4).

Open (no bearer token): each refurbisher signs its deliveries as its
``shipment_webhook.auth`` says, and the raw body is verified before anything parses
it — so the route takes the bytes as they came and hands them, with the headers, to
:func:`irp.shipments.webhook.receive_shipment_webhook`, whose answer (200, 202, 401,
404 or 422, SPEC §4) it sends as it is.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from irp.api.deps import ServiceDep
from irp.api.responses import JsonText, documented_errors
from irp.api.schemas import ShipmentAnswerPublic
from irp.logs import log_context
from irp.shipments.webhook import receive_shipment_webhook

router = APIRouter(tags=["shipments"])


WEBHOOK_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The refurbisher's own JSON, read through its shipment_webhook.fields",
        "content": {
            "application/json": {
                "schema": {"type": "object"},
                "examples": {
                    "one": {
                        "summary": "one shipment (fields: OrderNumber, Carrier, TrackAndTrace...)",
                        "value": {
                            "OrderNumber": "SO-000001",
                            "Carrier": "PostNL",
                            "TrackAndTrace": "3SABCD000000001",
                            "TrackingUrl": "https://jouw.postnl.nl/track-and-trace/3SABCD000000001",
                            "ShippedAt": "2026-11-28T09:15:00Z",
                            "Status": "Shipped",
                        },
                    }
                },
            }
        },
    }
}


@router.post(
    "/webhooks/{refurbisher}/shipments",
    summary="A refurbisher reports a shipment",
    openapi_extra=WEBHOOK_BODY,
    responses={
        200: {"model": ShipmentAnswerPublic, "description": "genuine; its order is known"},
        202: {"model": ShipmentAnswerPublic, "description": "genuine; stored unmatched"},
        **documented_errors(401, 404, 413, 422),
    },
)
async def post_shipment(refurbisher: str, request: Request, service: ServiceDep) -> Response:
    """Verify the signature on the raw body, then store, match and apply the shipment.

    401 bad or missing signature/token or a replay; 404 unknown refurbisher or one
    without ``shipment_webhook``; 422 not JSON or not what ``fields`` points at. The
    same event delivered twice changes nothing the second time.
    """
    body = await request.body()
    headers = dict(request.headers.items())
    with log_context(refurbisher=refurbisher):
        answer = await run_in_threadpool(
            receive_shipment_webhook, service.db, service.config(), refurbisher, body, headers
        )
    return JsonText(answer.body, status_code=answer.status_code)
