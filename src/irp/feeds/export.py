"""Read stored offers and row errors for people and for the marketplace.

CSV that leaves IRP is opened in spreadsheets, so a text cell that starts like a
formula (``=``, ``+``, ``-``, ``@``, tab, carriage return) is prefixed with ``'``:
a supplier's product name must never run as a formula on an operator's machine.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from irp.money import money_text
from irp.store import offers as offer_store
from irp.store import runs as run_store
from irp.store.tables import offers, row_errors, sync_runs

if TYPE_CHECKING:
    from irp.store.db import Database

#: Columns of ``irp offers export``: what the marketplace needs to list an offer.
MARKETPLACE_COLUMNS: tuple[str, ...] = (
    "refurbisher",
    "sku",
    "ean",
    "name",
    "stock_available",
    "price_selling_amount",
    "price_selling_amount_incl_vat",
    "price_consumer_amount",
    "above_srp",
)

#: Stored for the sync's own use, never shown: the hash of the row's raw text.
INTERNAL_COLUMNS: tuple[str, ...] = ("row_hash",)
#: Stored as JSON text, shown as JSON objects.
JSON_COLUMNS: tuple[str, ...] = ("price_breakdown", "extra")
#: Columns of ``irp offers errors --format csv`` and the status page's download.
ROW_ERROR_COLUMNS: tuple[str, ...] = ("line", "column", "message", "sku")

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

#: Columns of ``GET /api/offers``, besides ``id`` (the page cursor).
API_COLUMNS: tuple[str, ...] = (
    "refurbisher",
    "sku",
    "name",
    "ean",
    "stock_available",
    "price_purchase_amount",
    "price_consumer_amount",
    "price_selling_amount",
    "price_selling_amount_incl_vat",
    "listed",
    "above_srp",
    "unlisted_reason",
    "price_breakdown",
    "updated_at",
)


def offer_rows(
    db: Database, refurbisher: str, *, listed_only: bool = False, limit: int | None = None
) -> list[dict[str, Any]]:
    """Stored offers of one refurbisher, ordered by SKU, as plain dicts for people.

    Internal bookkeeping (``row_hash``) is left out; ``price_breakdown`` and ``extra``
    are objects, not JSON text.
    """
    with db.connect() as conn:
        frame = offer_store.load_offers(conn, refurbisher, listed_only=listed_only)
    frame = frame.sort("sku").drop(INTERNAL_COLUMNS, strict=False)
    if limit is not None:
        frame = frame.head(limit)
    return [_decoded(_with_money_text(row)) for row in frame.to_dicts()]


def count_offers(db: Database, refurbisher: str, *, listed_only: bool = False) -> int:
    """How many offers of ``refurbisher`` are stored (listed ones only if asked)."""
    condition = offers.c.refurbisher == refurbisher
    if listed_only:
        condition = sa.and_(condition, offers.c.listed)
    with db.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).where(condition)).scalar_one())


def marketplace_rows(db: Database, refurbishers: Sequence[str]) -> list[dict[str, Any]]:
    """Listed offers of ``refurbishers`` in :data:`MARKETPLACE_COLUMNS`."""
    rows: list[dict[str, Any]] = []
    with db.connect() as conn:
        for key in refurbishers:
            frame = offer_store.load_offers(conn, key, listed_only=True).sort("sku")
            for row in frame.to_dicts():
                row["refurbisher"] = key
                rows.append(_with_money_text({c: row.get(c) for c in MARKETPLACE_COLUMNS}))
    return rows


@dataclass(frozen=True)
class RunErrors:
    """The row errors of one sync run, and which run that is."""

    run_id: int
    started_at: datetime
    status: str
    errors: list[dict[str, Any]]


def run_row_errors(db: Database, refurbisher: str, run_id: int | None) -> RunErrors | None:
    """The row errors of ``run_id``; by default of the newest run that had any.

    With no run having row errors, the newest run (and no errors); None when the
    refurbisher has no run at all. StoreError when ``run_id`` is not one of its runs.
    """
    newest = (sync_runs.c.started_at.desc(), sync_runs.c.id.desc())
    mine = sync_runs.c.refurbisher == refurbisher
    with db.connect() as conn:
        if run_id is None:
            has_errors = sa.exists().where(row_errors.c.run_id == sync_runs.c.id)
            run_id = conn.execute(
                sa.select(sync_runs.c.id).where(mine, has_errors).order_by(*newest).limit(1)
            ).scalar_one_or_none()
        if run_id is None:
            run_id = conn.execute(
                sa.select(sync_runs.c.id).where(mine).order_by(*newest).limit(1)
            ).scalar_one_or_none()
            if run_id is None:
                return None
        run = run_store.get_run(conn, run_id)
        errors = run_store.list_row_errors(conn, refurbisher, run_id)
    assert run is not None  # list_row_errors refused a run of another refurbisher
    return RunErrors(
        run_id=run_id,
        started_at=run["started_at"],
        status=run["status"],
        errors=[
            {"line": e.line, "column": e.column, "message": e.message, "sku": e.sku} for e in errors
        ],
    )


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    for column in JSON_COLUMNS:
        if isinstance(row.get(column), str):
            row[column] = json.loads(row[column])
    return row


def offer_page(
    db: Database,
    *,
    refurbishers: Sequence[str] | None = None,
    listed: bool | None = None,
    changed_since: datetime | None = None,
    after_id: int | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """One page of stored offers in storage order (``id``), for ``GET /api/offers``.

    ``after_id`` is the last ``id`` of the previous page (keyset paging: a page never
    shifts when offers change meanwhile). ``changed_since`` keeps offers written at or
    after it. Money comes back as canonical text.
    """
    o = offers.c
    query = sa.select(o.id, *(o[name] for name in API_COLUMNS)).order_by(o.id).limit(limit)
    if refurbishers is not None:
        query = query.where(o.refurbisher.in_(list(refurbishers)))
    if listed is not None:
        query = query.where(o.listed == listed)
    if changed_since is not None:
        query = query.where(o.updated_at >= changed_since)
    if after_id is not None:
        query = query.where(o.id > after_id)
    with db.connect() as conn:
        return [_with_money_text(dict(row)) for row in conn.execute(query).mappings()]


def last_sync(db: Database, refurbisher: str) -> dict[str, Any] | None:
    """The latest sync run of ``refurbisher`` (any outcome): id, status, times, message."""
    r = sync_runs.c
    query = (
        sa.select(r.id, r.status, r.started_at, r.finished_at, r.message, r.published_at)
        .where(r.refurbisher == refurbisher)
        .order_by(r.id.desc())
        .limit(1)
    )
    with db.connect() as conn:
        row = conn.execute(query).mappings().first()
    return dict(row) if row is not None else None


def _with_money_text(row: dict[str, Any]) -> dict[str, Any]:
    return {k: money_text(v) if isinstance(v, Decimal) else v for k, v in row.items()}


def safe_cell(value: object) -> str:
    """``value`` as CSV text that a spreadsheet shows and never evaluates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if isinstance(value, str) and text.startswith(_FORMULA_START):
        return "'" + text
    return text


def to_safe_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """``rows`` as CSV with a header, every cell through :func:`safe_cell`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(row.get(c)) for c in columns])
    return out.getvalue()
