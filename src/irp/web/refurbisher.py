"""What the refurbisher page shows: settings, thresholds, connector, syncs, charts, feed.

Reads only; every figure comes from the loaded config or the database. Sync history
pages by run id (newest first); the row errors of a run are shown in part and
downloaded whole as CSV (:mod:`irp.feeds.export`, the same as ``irp offers errors``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import PurePosixPath
from typing import Any

import sqlalchemy as sa

from irp.config import LevyTable, Refurbisher
from irp.monitoring.checks import CheckResult
from irp.store import runs as run_store
from irp.store.stats import offer_stats_since
from irp.store.tables import feed_archive, row_errors, sync_runs
from irp.web.charts import Series, window
from irp.web.health import near_threshold

RUNS_PER_PAGE = 20
ERRORS_SHOWN = 50

#: Threshold field of ``monitoring`` -> the check it drives, and the unit shown.
THRESHOLDS: dict[str, tuple[str, str]] = {
    "latest_order_hours": ("latest_order", "h"),
    "offers_stock_hours": ("offers_stock", "h"),
    "open_order_days": ("open_orders", "days"),
    "offers_endpoint_status": ("offers_endpoint", "HTTP status"),
    "stuck_order_hours": ("stuck_orders", "h"),
    "unmatched_shipment_hours": ("unmatched_shipments", "h"),
    "secret_expiry_days": ("secret_expiry", "days"),
}


@dataclass(frozen=True)
class Threshold:
    """One monitoring threshold and what its check says now."""

    field: str
    setting: str
    check: CheckResult | None

    @property
    def state(self) -> str:
        """``ok``, ``warn`` (passing, near the threshold), ``fail``, or ``none``."""
        if self.check is None:
            return "none"
        if not self.check.ok:
            return "fail"
        return "warn" if near_threshold(self.check) else "ok"


@dataclass(frozen=True)
class RunRow:
    """One sync run in the history table."""

    id: int
    started_at: datetime
    status: str
    duration: str
    counts: dict[str, int | None]
    message: str | None
    errors: int
    archive_id: int | None


def settings_rows(ref: Refurbisher) -> list[tuple[str, str]]:
    """The operators' settings table, in their order."""
    s = ref.settings
    levy = s.home_copy_tax
    levy_text = (
        f"by {levy.field}: "
        + ", ".join(f"{k} {v}" for k, v in levy.values.items())
        + f"; otherwise {levy.default}"
        if isinstance(levy, LevyTable)
        else _money(levy)
    )
    margin = f"{s.default_margin}% ({s.margin_mode})"
    return [
        ("Refurbisher ID", str(ref.refurbisher_id)),
        ("Supplier ID", _opt(s.supplier_id)),
        ("Odoo vendor ID", _opt(s.odoo_vendor_id)),
        ("Currency", s.currency),
        ("Shipping costs", _money(s.shipping_costs)),
        ("Home copy tax", levy_text),
        ("Margin", margin),
        ("VAT rate", "—" if s.vat_rate is None else f"{s.vat_rate * 100:g}%"),
        ("Stock threshold", str(s.stock_threshold)),
        ("Approved refurbished", _yes(s.approved_refurbished)),
        ("Drop-ship", _yes(s.drop_ship)),
    ]


def thresholds(ref: Refurbisher, checks: list[CheckResult]) -> list[Threshold]:
    """Every threshold field of ``monitoring`` with its last check (None: not run yet)."""
    by_name = {c.check: c for c in checks}
    found: list[Threshold] = []
    for name in type(ref.monitoring).model_fields:
        value = getattr(ref.monitoring, name)
        check_name, unit = THRESHOLDS.get(name, (name, ""))
        setting = "off" if value is None else f"{value:g} {unit}".strip()
        if isinstance(value, bool):
            setting = "on" if value else "off"
        found.append(Threshold(name, setting, by_name.get(check_name)))
    return found


def sync_history(conn: sa.Connection, key: str, before: int | None) -> list[RunRow]:
    """A page of runs, newest first, older than run ``before`` when given."""
    r = sync_runs.c
    errors = (
        sa.select(sa.func.count())
        .where(row_errors.c.run_id == r.id)
        .correlate(sync_runs)
        .scalar_subquery()
    )
    query = sa.select(sync_runs, errors.label("error_count")).where(r.refurbisher == key)
    if before is not None:
        query = query.where(r.id < before)
    rows = conn.execute(query.order_by(r.id.desc()).limit(RUNS_PER_PAGE)).mappings().all()
    return [
        RunRow(
            id=row["id"],
            started_at=row["started_at"],
            status=row["status"],
            duration=_duration(row["started_at"], row["finished_at"]),
            counts={
                k: row[k]
                for k in ("rows", "valid", "invalid", "created", "updated", "unchanged", "unlisted")
            },
            message=row["message"],
            errors=int(row["error_count"] or 0),
            archive_id=row["archive_id"],
        )
        for row in rows
    ]


def run_errors(conn: sa.Connection, key: str, run_id: int) -> list[run_store.StoredRowError]:
    """The first :data:`ERRORS_SHOWN` row errors of run ``run_id`` (all are in the CSV)."""
    return run_store.list_row_errors(conn, key, run_id)[:ERRORS_SHOWN]


def charts(conn: sa.Connection, key: str, now: datetime) -> list[Series]:
    """Listed offers and stock (after each sync that changed them) and sync durations."""
    start, end = window(now)
    first = conn.execute(
        sa.select(sa.func.min(sync_runs.c.started_at)).where(sync_runs.c.refurbisher == key)
    ).scalar_one_or_none()
    if first is not None and first > start:  # a young refurbisher: span its own history
        start = first - max((now - first) / 20, timedelta(minutes=1))
    stats = offer_stats_since(conn, key, start)
    points_at = [(max(s.at, start), s) for s in stats]
    r = sync_runs.c
    runs = conn.execute(
        sa.select(r.started_at, r.finished_at)
        .where(r.refurbisher == key, r.started_at >= start, r.finished_at.is_not(None))
        .order_by(r.started_at)
    ).all()
    durations = [
        (row.started_at, (row.finished_at - row.started_at).total_seconds()) for row in runs
    ]
    return [
        Series(
            "Listed offers", "offers", [(at, s.listed) for at, s in points_at], start, end, True
        ),
        Series("Stock", "units", [(at, s.stock) for at, s in points_at], start, end, True),
        Series("Sync duration", "s", durations, start, end),
    ]


def last_feed(conn: sa.Connection, key: str) -> dict[str, Any] | None:
    """The newest archived raw feed: id, size, sha256, when it was last fetched."""
    a = feed_archive.c
    row = conn.execute(
        sa.select(a.id, a.size, a.sha256, a.fetched_at)
        .where(a.refurbisher == key)
        .order_by(a.fetched_at.desc(), a.id.desc())
        .limit(1)
    ).first()
    return None if row is None else dict(row._mapping)


def feed_filename(ref: Refurbisher, archive_id: int) -> str:
    """``FlexIT_Feed-archive-12.csv``: the feed's own name, the archive id, its type."""
    offers = ref.offers
    path = getattr(offers.auth, "path", None) if offers is not None else None
    stem = PurePosixPath(str(path)).stem if path else f"{ref.key}-feed"
    suffix = offers.type if offers is not None else "bin"
    return f"{_safe(stem)}-archive-{archive_id}.{suffix}"


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text)[:100] or "feed"


def _duration(start: datetime, end: datetime | None) -> str:
    if end is None:
        return "running"
    seconds = (end - start).total_seconds()
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _opt(value: object) -> str:
    return "—" if value is None else str(value)


def _yes(value: bool | None) -> str:
    return "—" if value is None else ("yes" if value else "no")
