"""Health per refurbisher for the status page: monitoring's checks, and their colour.

The page judges nothing itself. The checks are :mod:`irp.monitoring`'s: the results of
the last monitoring run (:func:`irp.monitoring.run.last_results`) — what ``irp monitor``
printed and stored, what ``GET /api/refurbishers`` and ``GET /api/monitor`` answer and
what raised the open alerts. So a red cell, an open alert and a failing ``irp monitor``
always agree, thresholds included (per environment, fractional ones too). The page
says when the checks last ran; "Check now" queues a monitoring run like the scheduler's.

The colour of a cell (:func:`cell_state`):

- ``fail`` (red): the config of the refurbisher is broken, or a check fails;
- ``warn`` (amber): every check passes, but one has used 75 % of its threshold, the
  last sync did not succeed (``refused``, ``failed``, ``waiting``, ``busy``), or the
  checks have not run for much longer than ``platform.monitor_every_seconds``;
- ``ok`` (green): every check passes with room to spare;
- ``none`` (grey): nothing to judge (no thresholds set, not checked yet, or no data
  from that environment).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from irp.config import Config
from irp.monitoring.checks import CheckResult
from irp.monitoring.run import last_results
from irp.store.tables import monitor_results

__all__ = [
    "UNSUCCESSFUL_SYNC",
    "WARN_RATIO",
    "Health",
    "cell_state",
    "check_from_json",
    "fix_link",
    "near_threshold",
    "stale_after_seconds",
    "stored_health",
]

WARN_RATIO = 0.75
"""A passing check past this share of its threshold turns the cell amber."""

UNSUCCESSFUL_SYNC = frozenset({"refused", "failed", "waiting", "busy"})

#: Checks whose value grows towards an upper threshold (hours since something).
_BOUNDED_ABOVE = frozenset({"latest_order", "offers_stock"})


@dataclass(frozen=True)
class Health:
    """The stored checks of one refurbisher and when monitoring ran them."""

    checks: list[CheckResult]
    checked_at: datetime | None


def stored_health(conn: sa.Connection, config: Config) -> dict[str, Health]:
    """Every configured refurbisher's checks of the last monitoring run (empty: never)."""
    results = last_results(conn, config.env)
    newest = sa.func.max(monitor_results.c.checked_at)
    rows = conn.execute(
        sa.select(monitor_results.c.refurbisher, newest).group_by(monitor_results.c.refurbisher)
    ).all()
    when: dict[str, datetime] = {str(row[0]): row[1] for row in rows}
    return {
        key: Health([r for r in results if r.refurbisher == key], when.get(key))
        for key in config.refurbishers
    }


def stale_after_seconds(every: float) -> float:
    """Checks older than this are stale: three missed monitoring runs (``every`` seconds
    apart) and a minute."""
    return 3 * every + 60


def near_threshold(check: CheckResult) -> bool:
    """Passing, but past :data:`WARN_RATIO` of a threshold that bounds the value."""
    if not check.ok or check.value is None or not check.threshold:
        return False
    return check.check in _BOUNDED_ABOVE and check.value >= WARN_RATIO * check.threshold


def check_from_json(data: dict[str, Any], env: str, key: str) -> CheckResult:
    """A check as another instance's ``/api/refurbishers`` gives it."""
    value, threshold = data.get("value"), data.get("threshold")
    return CheckResult(
        refurbisher=key,
        env=env,
        check=str(data.get("check", "?")),
        value=float(value) if isinstance(value, int | float) else None,
        threshold=float(threshold) if isinstance(threshold, int | float) else None,
        ok=data.get("ok") is True,
        detail=str(data.get("detail", "")),
    )


def cell_state(
    checks: list[CheckResult], *, broken: bool, last_sync_status: str | None, stale: bool = False
) -> str:
    """``fail``, ``warn``, ``ok`` or ``none`` (see the module docstring)."""
    if broken or any(not c.ok for c in checks):
        return "fail"
    if any(near_threshold(c) for c in checks) or last_sync_status in UNSUCCESSFUL_SYNC or stale:
        return "warn"
    return "ok" if checks else "none"


def fix_link(key: str, check: str) -> tuple[str, str] | None:
    """(label, path) of the page where a failing ``check`` of ``key`` is acted on."""
    links = {
        "offers_stock": ("Sync now", f"/refurbishers/{key}#sync"),
        "offers_endpoint": ("Sync now", f"/refurbishers/{key}#sync"),
        "latest_order": ("See its offers", f"/offers?refurbisher={key}&listed=yes"),
        "open_orders": ("See submitted orders", f"/orders?state=submitted&refurbisher={key}"),
        "stuck_orders": ("See its waiting orders", f"/orders?state=operator&refurbisher={key}"),
        "unmatched_shipments": ("See unmatched shipments", "/alerts#unmatched-title"),
        "order_endpoint": ("See its connector", f"/refurbishers/{key}#connector-title"),
        "secret_expiry": ("See its connector", f"/refurbishers/{key}#connector-title"),
    }
    return links.get(check)
