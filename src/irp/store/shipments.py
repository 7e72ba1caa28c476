"""Reading shipments back: per order (``irp orders show``) and all (``irp shipments list``).

Rows come back as plain dicts with aware datetimes; the raw event stays in the
database (``irp shipments list --json`` shows the fields an operator acts on).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from irp.store.tables import shipments

__all__ = ["list_shipments", "shipments_of_order"]

_COLUMNS = (
    shipments.c.id,
    shipments.c.refurbisher,
    shipments.c.order_id,
    shipments.c.given_order_id,
    shipments.c.external_reference,
    shipments.c.status,
    shipments.c.carrier,
    shipments.c.tracking_code,
    shipments.c.tracking_url,
    shipments.c.shipped_at,
    shipments.c.delivered_at,
    shipments.c.lines,
    shipments.c.source,
    shipments.c.received_at,
    shipments.c.matched_at,
)


def shipments_of_order(conn: sa.Connection, order_id: str) -> list[dict[str, Any]]:
    """The parcels of one order, first received first."""
    query = (
        sa.select(*_COLUMNS)
        .where(shipments.c.order_id == order_id)
        .order_by(shipments.c.received_at, shipments.c.id)
    )
    return [dict(row) for row in conn.execute(query).mappings()]


def list_shipments(
    conn: sa.Connection,
    *,
    unmatched: bool = False,
    refurbisher: str | None = None,
    limit: int = 500,
) -> list[dict[str, Any]]:
    """Shipments, newest first; only those that matched no order with ``unmatched``."""
    query = sa.select(*_COLUMNS).order_by(shipments.c.received_at.desc(), shipments.c.id.desc())
    if unmatched:
        query = query.where(shipments.c.order_id.is_(None))
    if refurbisher is not None:
        query = query.where(shipments.c.refurbisher == refurbisher)
    return [dict(row) for row in conn.execute(query.limit(limit)).mappings()]
