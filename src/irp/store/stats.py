"""Offer statistics after each sync that changed offers: the status page's charts.

One row per such sync (``offer_stats``): how many offers, how many listed, how many
units in stock. A sync that wrote nothing adds no row; the chart carries the last
value forward, so an unchanged feed costs nothing here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from irp.store.tables import offer_stats, offers


@dataclass(frozen=True)
class OfferStats:
    """A refurbisher's offers at one moment."""

    at: datetime
    offers: int
    listed: int
    stock: int


def record_offer_stats(
    conn: sa.Connection,
    refurbisher: str,
    *,
    run_id: int | None,
    now: datetime,
    counts: tuple[int, int, int] | None = None,
) -> OfferStats:
    """Count ``refurbisher``'s offers now and store the counts; what was stored.

    ``counts`` (offers, listed, units in stock) are the caller's when it knows them
    exactly — the sync does, from its offer index at the current offers version — and
    save a scan of a million offers; without them the offers are counted here.
    """
    if counts is None:
        o = offers.c
        query = sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(sa.case((o.listed, 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(o.stock_available), 0),
        ).where(o.refurbisher == refurbisher)
        row = conn.execute(query).one()
        counts = (int(row[0]), int(row[1]), int(row[2]))
    total, listed, stock = counts
    stats = OfferStats(now, int(total), int(listed), int(stock))
    conn.execute(
        sa.insert(offer_stats).values(
            refurbisher=refurbisher,
            run_id=run_id,
            at=now,
            offers=stats.offers,
            listed=stats.listed,
            stock=stats.stock,
        )
    )
    return stats


def offer_stats_since(conn: sa.Connection, refurbisher: str, since: datetime) -> list[OfferStats]:
    """``refurbisher``'s stats from ``since`` on, oldest first, plus the last one before it
    (the value in force at ``since``)."""
    s = offer_stats.c
    columns = (s.at, s.offers, s.listed, s.stock)
    before = conn.execute(
        sa.select(*columns)
        .where(s.refurbisher == refurbisher, s.at < since)
        .order_by(s.at.desc(), s.id.desc())
        .limit(1)
    ).first()
    rows = conn.execute(
        sa.select(*columns).where(s.refurbisher == refurbisher, s.at >= since).order_by(s.at, s.id)
    ).all()
    found = ([before] if before is not None else []) + list(rows)
    return [OfferStats(r.at, r.offers, r.listed, r.stock) for r in found]
