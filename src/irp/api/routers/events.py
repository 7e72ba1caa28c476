"""``GET /api/events?after=&limit=``: the order events of SPEC §4, oldest first.

The same read as ``irp events list``: :func:`irp.events.read.read_events`. Send the
answer's ``next_cursor`` as ``after`` next time; with nothing new it comes back
unchanged, so a client can poll with it forever.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

from irp.api.deps import DatabaseDep
from irp.api.responses import JsonText, documented_errors
from irp.api.schemas import EventsPage
from irp.events.read import DEFAULT_LIMIT, MAX_LIMIT, CursorError, read_events

router = APIRouter(prefix="/events", tags=["events"])


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
