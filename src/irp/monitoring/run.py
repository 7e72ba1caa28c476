"""One monitoring run: unlist stale stock, run every check, keep the results, alert.

What ``irp monitor``, the scheduler (every ``platform.monitor_every_seconds``) and
``GET /api/monitor`` share (SPEC §5, §8):

1. stale stock is unlisted (:func:`irp.feeds.freshness.unlist_stale_stock`), so it
   happens even when no sync runs;
2. every check of every refurbisher runs (:mod:`irp.monitoring.gather`);
3. the results replace the stored last run (``monitor_results``: what
   ``GET /api/monitor`` and ``/metrics`` show);
4. a failing check raises its alert once, a passing one resolves it once (alerts of a
   check that no longer runs — its threshold was removed — are resolved too);
5. the alert sinks are told (:mod:`irp.monitoring.notify`); a failing sink is retried
   later and never fails the run.

The clock is injectable (``now``); by default it is the database's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from irp.config import Config
from irp.feeds.freshness import unlist_stale_stock
from irp.monitoring.checks import CHECK_NAMES, CheckResult
from irp.monitoring.gather import PROBE_CHECKS, check_refurbisher
from irp.monitoring.notify import NotifyReport, notify_sinks
from irp.store.alerts import open_alert, resolve_alert
from irp.store.db import Database
from irp.store.tables import alerts, monitor_results

__all__ = ["MonitorRun", "last_results", "run_monitor"]

log = logging.getLogger(__name__)


@dataclass
class MonitorRun:
    """What one run found and did."""

    results: list[CheckResult]
    raised: list[str] = field(default_factory=list)  # "flexit latest_order"
    resolved: list[str] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)  # stale-stock notes
    notified: NotifyReport = field(default_factory=NotifyReport)

    @property
    def ok(self) -> bool:
        """Whether every check passed (``irp monitor`` exits 1 otherwise)."""
        return all(result.ok for result in self.results)


def run_monitor(
    db: Database,
    config: Config,
    *,
    name: str | None = None,
    now: datetime | None = None,
    probe: bool = True,
    notify: bool = True,
) -> MonitorRun:
    """Run the checks of refurbisher ``name`` (all when None); see the module docstring.

    Raises ConfigError naming the known refurbishers for an unknown ``name``.
    """
    refs = [config.refurbisher(name)] if name is not None else list(config.refurbishers.values())
    moment = now or db.now()
    run = MonitorRun(results=[])
    for ref in refs:
        note = unlist_stale_stock(db, ref, moment)
        if note is not None:
            run.unlisted.append(note)
        run.results.extend(check_refurbisher(db, config, ref, moment, probe=probe))
    keys = [ref.key for ref in refs]
    with db.write_transaction() as conn:
        _store(conn, run.results, keys, moment, everyone=name is None)
        _alert(conn, run, keys, moment, probed=probe)
    if notify:
        try:
            run.notified = notify_sinks(db, config)
        except Exception:  # a sink problem must never fail the checks
            log.exception("notifying the alert sinks failed; they are told on the next run")
    return run


def last_results(conn: sa.Connection, env: str) -> list[CheckResult]:
    """The stored last run of every check (``GET /api/monitor``)."""
    order = {name: index for index, name in enumerate(CHECK_NAMES)}
    rows = conn.execute(sa.select(monitor_results)).mappings().all()
    results = [
        CheckResult(
            row["refurbisher"],
            env,
            row["check"],
            row["value"],
            row["threshold"],
            row["ok"],
            row["detail"],
        )
        for row in rows
    ]
    return sorted(results, key=lambda r: (r.refurbisher, order.get(r.check, len(order))))


def _store(
    conn: sa.Connection,
    results: list[CheckResult],
    keys: list[str],
    now: datetime,
    *,
    everyone: bool,
) -> None:
    stale = monitor_results.c.refurbisher.in_(keys)
    conn.execute(sa.delete(monitor_results).where(sa.true() if everyone else stale))
    if results:
        conn.execute(
            sa.insert(monitor_results),
            [
                {
                    "refurbisher": r.refurbisher,
                    "check": r.check,
                    "value": r.value,
                    "threshold": r.threshold,
                    "ok": r.ok,
                    "detail": r.detail,
                    "checked_at": now,
                }
                for r in results
            ],
        )


def _alert(
    conn: sa.Connection, run: MonitorRun, keys: list[str], now: datetime, *, probed: bool
) -> None:
    ran = set()
    for r in run.results:
        ran.add((r.refurbisher, r.check))
        label = f"{r.refurbisher} {r.check}"
        if not r.ok:
            if open_alert(
                conn, r.refurbisher, r.check, r.detail, now, value=r.value, threshold=r.threshold
            ):
                run.raised.append(label)
                log.warning("alert raised: %s: %s", label, r.detail)
        elif resolve_alert(conn, r.refurbisher, r.check, r.detail, now):
            run.resolved.append(label)
            log.warning("alert resolved: %s: %s", label, r.detail)
    still_open = conn.execute(
        sa.select(alerts.c.refurbisher, alerts.c.check).where(
            alerts.c.resolved_at.is_(None),
            alerts.c.refurbisher.in_(keys),
            alerts.c.check.in_(CHECK_NAMES),
        )
    ).all()
    skipped = set() if probed else set(PROBE_CHECKS)
    for refurbisher, check in still_open:
        if check in skipped:
            continue
        if (refurbisher, check) not in ran and resolve_alert(
            conn, refurbisher, check, "the check no longer runs (its threshold was removed)", now
        ):
            run.resolved.append(f"{refurbisher} {check}")
