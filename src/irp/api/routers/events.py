"""``GET /api/events?after=&limit=``: the order events of SPEC §4, oldest first.

The same read as ``irp events list``: :func:`irp.events.read.read_events`. Send the
answer's ``next_cursor`` as ``after`` next time; with nothing new it comes back
unchanged, so a client can poll with it forever.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from irp.api.deps import DatabaseDep
from irp.api.responses import JsonText, documented_errors
from irp.events.read import DEFAULT_LIMIT, MAX_LIMIT, CursorError, read_events

router = APIRouter(prefix="/events", tags=["events"])

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


@router.get(
    "",
    summary="Order events, oldest first, from a cursor",
    responses={200: {"model": EventsPage}, **documented_errors(401, 422)},
)
def list_events(
    db: DatabaseDep,
    after: Annotated[str | None, Query(description="next_cursor of an earlier answer")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Response:
    """Every change of an order's state (accepted, submitted, shipped...), each with a
    stable ``id`` (the ``webhook-id`` of its push) and the order's facts."""
    with db.connect() as conn:
        try:
            page = read_events(conn, after=after, limit=limit)
        except CursorError as exc:
            raise HTTPException(422, str(exc)) from None
    return JsonText(page.to_json())
