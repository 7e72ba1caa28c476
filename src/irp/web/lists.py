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

from irp.orders.states import NEEDS_OPERATOR
from irp.store.tables import offers, orders

PAGE_SIZE = 50
OPERATOR_FILTER = "operator"
"""The orders page's state filter for every order waiting for an operator."""
SCAN_ROWS = 200_000
"""A name search reads at most this many offers per page, then offers to search on."""
_EAN = re.compile(r"^\d{8,14}$")


@dataclass(frozen=True)
class Page:
    """One page of rows and the cursor of the next (None on the last page).

    ``scanned_to`` is set when a name search stopped at its scan limit before the page
    filled: "searched up to <refurbisher> <sku>"; the cursor continues from there.
    """

    rows: list[dict[str, Any]]
    next_cursor: str | None
    scanned_to: str | None = None


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
    """Offers of ``refurbishers`` matching ``query`` (SKU prefix, EAN or name), by SKU.

    Each refurbisher and each way to match is its own query that seeks in an index and
    stops after a page; their results are merged in (refurbisher, sku) order.
    """
    after = decode_cursor(cursor, 2)
    text = query.strip()
    found: list[dict[str, Any]] = []
    resume: tuple[str, str] | None = None
    for key in sorted(refurbishers):
        if after is not None and key < str(after[0]):
            continue
        sku_after = str(after[1]) if after is not None and key == str(after[0]) else None
        wanted = PAGE_SIZE + 1 - len(found)
        bound = _scan_bound(conn, key, sku_after) if _scans(text) else None
        matches: dict[str, dict[str, Any]] = {}
        for condition, scan in _conditions(conn, text):
            select = _offer_columns().where(offers.c.refurbisher == key)
            if condition is not None:
                select = select.where(condition)
            if scan and bound is not None:
                select = select.where(offers.c.sku <= bound)
            if listed is not None:
                select = select.where(offers.c.listed.is_(listed))
            if sku_after is not None:
                select = select.where(offers.c.sku > sku_after)
            rows = conn.execute(select.order_by(offers.c.sku).limit(wanted)).mappings()
            matches.update((row["sku"], dict(row)) for row in rows)
        if bound is not None:  # only SKUs up to the bound are settled
            matches = {sku: row for sku, row in matches.items() if sku <= bound}
        found.extend(matches[sku] for sku in sorted(matches)[:wanted])
        if len(found) > PAGE_SIZE:
            break
        if bound is not None:  # the scan limit: the next page searches on from here
            resume = (key, bound)
            break
    if len(found) > PAGE_SIZE:
        last = found[PAGE_SIZE - 1]
        return Page(found[:PAGE_SIZE], encode_cursor([last["refurbisher"], last["sku"]]))
    if resume is not None:
        return Page(found, encode_cursor(list(resume)), f"{resume[0]} {resume[1]}")
    return Page(found, None)


def _scans(text: str) -> bool:
    """Whether matching ``text`` reads names (a scan), not only indexes."""
    return bool(text) and not _EAN.match(text)


def _scan_bound(conn: sa.Connection, key: str, sku_after: str | None) -> str | None:
    """The SKU :data:`SCAN_ROWS` offers on (None when fewer remain): a name search reads
    at most that many offers per page, so every page answers in bounded time."""
    o = offers.c
    query = sa.select(o.sku).where(o.refurbisher == key)
    if sku_after is not None:
        query = query.where(o.sku > sku_after)
    bound = conn.execute(query.order_by(o.sku).offset(SCAN_ROWS).limit(1)).scalar_one_or_none()
    return None if bound is None else str(bound)


def _offer_columns() -> sa.Select[Any]:
    o = offers.c
    return sa.select(
        o.refurbisher, o.sku, o.name, o.ean, o.stock_available, o.price_purchase_amount,
        o.price_selling_amount, o.listed, o.unlisted_reason, o.updated_at,
    )  # fmt: skip


def _conditions(conn: sa.Connection, text: str) -> list[tuple[sa.ColumnElement[bool] | None, bool]]:
    """(condition, reads names?) per way ``text`` may match, or [(None, False)]."""
    if not text:
        return [(None, False)]
    o = offers.c
    sku_prefix = sa.and_(o.sku >= text, o.sku < text + "\U0010ffff")
    if _EAN.match(text):
        variants = {text, text.zfill(13), text.zfill(14), text.lstrip("0") or "0"}
        return [(o.ean.in_(sorted(variants)), False), (sku_prefix, False)]
    pattern = f"%{_escape_like(text)}%"
    if conn.dialect.name == "postgresql":
        name = o.name.ilike(pattern, escape="\\")
    else:  # SQLite's LIKE ignores ASCII case already
        name = o.name.like(pattern, escape="\\")
    return [(sku_prefix, False), (name, True)]


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
    """Orders, most recently changed first, optionally of one state and refurbisher.

    ``state`` may also be :data:`OPERATOR_FILTER`: every order only an operator moves on
    (uncertain, failed, rejected), where the stuck-orders check sends people.
    """
    o = orders.c
    select = sa.select(
        o.id, o.refurbisher, o.order_number, o.status, o.external_reference, o.attempts,
        o.last_error, o.updated_at, o.created_at,
    )  # fmt: skip
    if state == OPERATOR_FILTER:
        select = select.where(o.status.in_(sorted(str(s) for s in NEEDS_OPERATOR)))
    elif state:
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
