"""The long lists of the status page, paged by keyset: offers (search) and orders.

A page is the next :data:`PAGE_SIZE` rows after a cursor — the last row's sort key,
never an OFFSET — so the millionth offer is as quick to reach as the first. Each
query walks an index in order and stops after a page:

- offers in (refurbisher, sku) order: the unique index; with the "listed" filter,
  ``offers(refurbisher, listed, sku)``; an EAN through ``offers(ean)``; a SKU by
  prefix on the unique index; a name by substring (a scan in SKU order that stops
  once the page is full — fast for the common case, bounded by the table otherwise);
- orders newest change first: ``orders(updated_at)``, or ``orders(status,
  updated_at)`` when filtered by state.

Cursors are opaque URL-safe text (:func:`encode_cursor`).
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from irp.store.tables import offers, orders

PAGE_SIZE = 50
_EAN = re.compile(r"^\d{8,14}$")


@dataclass(frozen=True)
class Page:
    """One page of rows and the cursor of the next (None on the last page)."""

    rows: list[dict[str, Any]]
    next_cursor: str | None


def encode_cursor(values: list[Any]) -> str:
    """An opaque cursor for a sort key (strings, ints, ISO datetimes)."""
    text = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values])
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, size: int) -> list[Any] | None:
    """The sort key of a cursor, or None when absent or not one of ours."""
    if not cursor:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:
        return None
    if not isinstance(values, list) or len(values) != size:
        return None
    return values


def search_offers(
    conn: sa.Connection,
    refurbishers: list[str],
    *,
    query: str = "",
    listed: bool | None = None,
    cursor: str | None = None,
) -> Page:
    """Offers of ``refurbishers`` matching ``query`` (SKU prefix, EAN or name), by SKU."""
    o = offers.c
    select = sa.select(
        o.refurbisher, o.sku, o.name, o.ean, o.stock_available, o.price_purchase_amount,
        o.price_selling_amount, o.listed, o.unlisted_reason, o.updated_at,
    ).where(o.refurbisher.in_(refurbishers))  # fmt: skip
    if listed is not None:
        select = select.where(o.listed.is_(listed))
    text = query.strip()
    if text:
        select = select.where(_matches(conn, text))
    after = decode_cursor(cursor, 2)
    if after is not None:
        select = select.where(sa.tuple_(o.refurbisher, o.sku) > (str(after[0]), str(after[1])))
    rows = conn.execute(select.order_by(o.refurbisher, o.sku).limit(PAGE_SIZE + 1)).mappings()
    found = [dict(row) for row in rows]
    more = len(found) > PAGE_SIZE
    found = found[:PAGE_SIZE]
    last = found[-1] if more else None
    return Page(found, encode_cursor([last["refurbisher"], last["sku"]]) if last else None)


def _matches(conn: sa.Connection, text: str) -> sa.ColumnElement[bool]:
    o = offers.c
    sku_prefix = sa.and_(o.sku >= text, o.sku < text + "\U0010ffff")
    if _EAN.match(text):
        variants = {text, text.zfill(13), text.zfill(14), text.lstrip("0") or "0"}
        return sa.or_(o.ean.in_(sorted(variants)), sku_prefix)
    if conn.dialect.name == "postgresql":
        name = o.name.ilike(f"%{_escape_like(text)}%", escape="\\")
    else:  # SQLite's LIKE ignores ASCII case already
        name = o.name.like(f"%{_escape_like(text)}%", escape="\\")
    return sa.or_(sku_prefix, name)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def offer(conn: sa.Connection, refurbisher: str, sku: str) -> dict[str, Any] | None:
    """One stored offer in full (price breakdown parsed), or None."""
    row = conn.execute(
        sa.select(offers).where(offers.c.refurbisher == refurbisher, offers.c.sku == sku)
    ).first()
    if row is None:
        return None
    found = dict(row._mapping)
    breakdown = found.get("price_breakdown")
    if isinstance(breakdown, str):
        try:
            found["price_breakdown"] = json.loads(breakdown)
        except ValueError:
            found["price_breakdown"] = {"unreadable": breakdown}
    return found


def list_orders(
    conn: sa.Connection,
    *,
    state: str | None = None,
    refurbisher: str | None = None,
    cursor: str | None = None,
) -> Page:
    """Orders, most recently changed first, optionally of one state and refurbisher."""
    o = orders.c
    select = sa.select(
        o.id, o.refurbisher, o.order_number, o.status, o.external_reference, o.attempts,
        o.last_error, o.updated_at, o.created_at,
    )  # fmt: skip
    if state:
        select = select.where(o.status == state)
    if refurbisher:
        select = select.where(o.refurbisher == refurbisher)
    after = decode_cursor(cursor, 2)
    if after is not None:
        try:
            moment = datetime.fromisoformat(str(after[0]))
        except ValueError:
            moment = None
        if moment is not None:
            select = select.where(sa.tuple_(o.updated_at, o.id) < (moment, str(after[1])))
    rows = conn.execute(
        select.order_by(o.updated_at.desc(), o.id.desc()).limit(PAGE_SIZE + 1)
    ).mappings()
    found = [dict(row) for row in rows]
    more = len(found) > PAGE_SIZE
    found = found[:PAGE_SIZE]
    last = found[-1] if more else None
    return Page(found, encode_cursor([last["updated_at"], last["id"]]) if last else None)
