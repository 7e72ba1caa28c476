"""Health per refurbisher for the status page: checks, and the colour they add up to.

:func:`live_checks` is the one place the page asks "how is this refurbisher now?". Until
``irp.monitoring`` is on main it computes the database-only checks of SPEC §5 itself
(``latest_order``, ``offers_stock``, ``open_orders``, ``stuck_orders``), each with the
``check`` / ``value`` / ``threshold`` / ``ok`` / ``detail`` of monitoring's results, so
swapping in monitoring's checks changes this module only.

The colour of a cell (:func:`cell_state`):

- ``fail`` (red): the config of the refurbisher is broken, or a check fails;
- ``warn`` (amber): every check passes, but one has used 75 % of its threshold, or the
  last sync did not succeed (``refused``, ``failed``, ``waiting``, ``busy``);
- ``ok`` (green): every check passes with room to spare;
- ``none`` (grey): nothing to judge (no thresholds set, or no data from that
  environment).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from irp.config import Refurbisher
from irp.store.tables import orders, refurbishers, sync_runs

__all__ = ["WARN_RATIO", "Check", "cell_state", "live_checks"]

WARN_RATIO = 0.75
"""A passing check past this share of its threshold turns the cell amber."""

_OPERATOR_STATES = ("uncertain", "failed", "rejected")
_SUCCESS = ("ok", "unchanged")
_UNSUCCESSFUL = frozenset({"refused", "failed", "waiting", "busy"})


@dataclass(frozen=True)
class Check:
    """One monitoring check of one refurbisher (``irp monitor --json`` row, less ids)."""

    check: str
    value: float | None
    threshold: float | None
    ok: bool
    detail: str

    @property
    def near_threshold(self) -> bool:
        """Passing, but past :data:`WARN_RATIO` of a threshold that bounds a value."""
        if not self.ok or self.value is None or not self.threshold:
            return False
        return self.check in ("latest_order", "offers_stock") and (
            self.value >= WARN_RATIO * self.threshold
        )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Check:
        """A check as another instance's ``/api/refurbishers`` gives it."""
        value, threshold = data.get("value"), data.get("threshold")
        return cls(
            check=str(data.get("check", "?")),
            value=float(value) if isinstance(value, int | float) else None,
            threshold=float(threshold) if isinstance(threshold, int | float) else None,
            ok=data.get("ok") is True,
            detail=str(data.get("detail", "")),
        )


def live_checks(conn: sa.Connection, ref: Refurbisher, now: datetime) -> list[Check]:
    """The database-only checks of ``ref`` judged at ``now`` (thresholds left out: skipped)."""
    limits = ref.monitoring
    found: list[Check] = []
    if limits.latest_order_hours is not None:
        found.append(_latest_order(conn, ref.key, limits.latest_order_hours, now))
    if limits.offers_stock_hours is not None and ref.offers is not None:
        found.append(_offers_stock(conn, ref.key, limits.offers_stock_hours, now))
    if limits.open_order_days is not None:
        found.append(_open_orders(conn, ref.key, limits.open_order_days, now))
    found.append(_stuck_orders(conn, ref.key, limits.stuck_order_hours, now))
    return found


def cell_state(checks: list[Check], *, broken: bool, last_sync_status: str | None) -> str:
    """``fail``, ``warn``, ``ok`` or ``none`` (see the module docstring)."""
    if broken or any(not c.ok for c in checks):
        return "fail"
    if any(c.near_threshold for c in checks) or last_sync_status in _UNSUCCESSFUL:
        return "warn"
    return "ok" if checks else "none"


def _hours(since: datetime, now: datetime) -> float:
    return max((now - since).total_seconds() / 3600, 0.0)


def _span(hours: float) -> str:
    """51 h, 5.2 h, 12 min, 3 s: hours as a person reads them."""
    if hours >= 10:
        return f"{hours:.0f} h"
    if hours >= 1:
        return f"{hours:.1f} h"
    if hours * 60 >= 1:
        return f"{hours * 60:.0f} min"
    return f"{hours * 3600:.0f} s"


def _verdict(value: float, limit: float) -> tuple[bool, str]:
    ok = value <= limit
    return ok, f"{'≤' if ok else '>'} {limit:g} h"


def _latest_order(conn: sa.Connection, key: str, limit: float, now: datetime) -> Check:
    o = orders.c
    last = conn.execute(
        sa.select(sa.func.max(o.submitted_at)).where(o.refurbisher == key)
    ).scalar_one_or_none()
    if last is not None:
        hours = _hours(last, now)
        ok, verdict = _verdict(hours, limit)
        return Check("latest_order", hours, limit, ok, f"last order {_span(hours)} ago {verdict}")
    first = conn.execute(
        sa.select(sa.func.min(sync_runs.c.started_at)).where(sync_runs.c.refurbisher == key)
    ).scalar_one_or_none()
    if first is None:
        return Check("latest_order", None, limit, False, "no order and no sync yet")
    hours = _hours(first, now)
    ok, verdict = _verdict(hours, limit)
    detail = f"no order since the first sync {_span(hours)} ago {verdict}"
    return Check("latest_order", hours, limit, ok, detail)


def _offers_stock(conn: sa.Connection, key: str, limit: float, now: datetime) -> Check:
    r = sync_runs.c
    last = conn.execute(
        sa.select(r.published_at, r.started_at)
        .where(r.refurbisher == key, r.status.in_(_SUCCESS))
        .order_by(r.started_at.desc(), r.id.desc())
        .limit(1)
    ).first()
    if last is None:
        return Check("offers_stock", None, limit, False, "no successful offer sync yet")
    hours = _hours(last.published_at or last.started_at, now)
    ok, verdict = _verdict(hours, limit)
    return Check("offers_stock", hours, limit, ok, f"feed published {_span(hours)} ago {verdict}")


def _open_orders(conn: sa.Connection, key: str, days: float, now: datetime) -> Check:
    o = orders.c
    cutoff = now - timedelta(days=days)
    overdue = conn.execute(
        sa.select(o.id, o.submitted_at)
        .where(o.refurbisher == key, o.status == "submitted", o.submitted_at < cutoff)
        .order_by(o.submitted_at)
    ).all()
    if not overdue:
        return Check("open_orders", 0, 0, True, f"no order unshipped for more than {days:g} days")
    oldest = overdue[0]
    age = (now - oldest.submitted_at).total_seconds() / 86400
    detail = (
        f"{len(overdue)} order(s) submitted more than {days:g} days ago and not shipped; "
        f"oldest {oldest.id} ({age:.1f} days)"
    )
    return Check("open_orders", len(overdue), 0, False, detail)


def _stuck_orders(conn: sa.Connection, key: str, hours: float, now: datetime) -> Check:
    o = orders.c
    cutoff = now - timedelta(hours=hours)
    stuck = conn.execute(
        sa.select(o.id, o.status)
        .where(o.refurbisher == key, o.status.in_(_OPERATOR_STATES), o.updated_at < cutoff)
        .order_by(o.updated_at)
    ).all()
    paused = conn.execute(
        sa.select(refurbishers.c.paused_reason).where(
            refurbishers.c.key == key, refurbishers.c.submissions_paused_at.is_not(None)
        )
    ).first()
    problems: list[str] = []
    if paused is not None:
        problems.append(f"submissions paused: {paused.paused_reason or 'no reason recorded'}")
    if stuck:
        listed = ", ".join(f"{row.id} ({row.status})" for row in stuck[:3])
        more = f" and {len(stuck) - 3} more" if len(stuck) > 3 else ""
        problems.append(
            f"{len(stuck)} order(s) waiting for an operator > {hours:g} h: {listed}{more}"
        )
    if not problems:
        return Check("stuck_orders", 0, 0, True, "no order waiting for an operator")
    return Check("stuck_orders", len(stuck) + (paused is not None), 0, False, "; ".join(problems))
