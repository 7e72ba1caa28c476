"""Read stored offers and row errors for people and for the marketplace.

CSV that leaves IRP is opened in spreadsheets, so a text cell that starts like a
formula (``=``, ``+``, ``-``, ``@``, tab, carriage return) is prefixed with ``'``:
a supplier's product name must never run as a formula on an operator's machine.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from irp.money import money_text
from irp.store import offers as offer_store
from irp.store import runs as run_store
from irp.store.tables import sync_runs

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

#: Columns of ``irp offers errors --format csv`` and the status page's download.
ROW_ERROR_COLUMNS: tuple[str, ...] = ("line", "column", "message", "sku")

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def offer_rows(
    db: Database, refurbisher: str, *, listed_only: bool = False, limit: int | None = None
) -> list[dict[str, Any]]:
    """Stored offers of one refurbisher, ordered by SKU, as plain dicts."""
    with db.connect() as conn:
        frame = offer_store.load_offers(conn, refurbisher, listed_only=listed_only)
    frame = frame.sort("sku")
    if limit is not None:
        frame = frame.head(limit)
    return [_with_money_text(row) for row in frame.to_dicts()]


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


def row_error_rows(
    db: Database, refurbisher: str, run_id: int | None
) -> tuple[int | None, list[dict[str, Any]]]:
    """The row errors of ``run_id`` (default: the refurbisher's latest run) and its id."""
    with db.connect() as conn:
        if run_id is None:
            run_id = conn.execute(
                sa.select(sa.func.max(sync_runs.c.id)).where(sync_runs.c.refurbisher == refurbisher)
            ).scalar_one_or_none()
            if run_id is None:
                return None, []
        errors = run_store.list_row_errors(conn, refurbisher, run_id)
    return run_id, [
        {"line": e.line, "column": e.column, "message": e.message, "sku": e.sku} for e in errors
    ]


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
