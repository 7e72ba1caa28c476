"""``GET /api/offers``: stored offers, a page at a time, with an ETag."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Query
from fastapi.responses import Response

from irp import jsonable
from irp.api.cursors import as_utc, decode_cursor, encode_cursor
from irp.api.deps import ConfigDep, DatabaseDep
from irp.api.responses import documented_errors
from irp.api.schemas import OffersPage
from irp.feeds.export import offer_page

router = APIRouter(prefix="/offers", tags=["offers"])

MAX_LIMIT = 1000


@router.get(
    "",
    summary="Stored offers",
    responses={
        200: {"model": OffersPage},
        304: {"description": "unchanged (ETag)"},
        **documented_errors(400, 422),
    },
)
def list_offers(
    db: DatabaseDep,
    config: ConfigDep,
    refurbisher: Annotated[str | None, Query(description="Only this refurbisher.")] = None,
    listed: Annotated[
        bool | None, Query(description="Only listed (true) or unlisted (false).")
    ] = None,
    changed_since: Annotated[
        datetime | None,
        Query(description="Only offers written at or after (ISO 8601; UTC if no offset)."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page.")] = None,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Offers in storage order; ``next_cursor`` is null on the last page.

    The ETag is the page's content hash: send it back in ``If-None-Match`` and an
    unchanged page is answered 304 with no body.
    """
    if refurbisher is not None and refurbisher not in config.refurbishers:
        known = ", ".join(sorted(config.refurbishers)) or "none"
        raise HTTPException(
            422, f"refurbisher {refurbisher!r} is not in the config (known: {known})"
        )
    after = decode_cursor(cursor, ("id",))["id"] if cursor else None
    if after is not None and not isinstance(after, int):
        raise HTTPException(400, "cursor: not one this API gave out; start again without it")
    rows = offer_page(
        db,
        refurbishers=None if refurbisher is None else [refurbisher],
        listed=listed,
        changed_since=as_utc(changed_since),
        after_id=after,
        limit=limit,
    )
    next_cursor = encode_cursor({"id": rows[-1]["id"]}) if len(rows) == limit else None
    body = jsonable.dumps({"offers": rows, "next_cursor": next_cursor}).encode()
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if if_none_match is not None and _matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


def _matches(header: str, etag: str) -> bool:
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in tags or etag in tags
