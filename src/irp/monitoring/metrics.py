"""Prometheus figures read from the database at scrape time (SPEC §5, ``/metrics``).

Every process serving ``/metrics`` shows the same, cluster-wide numbers — they come
from the database, not from per-process counters that each worker would hold a slice
of. :class:`MonitoringCollector` yields, per refurbisher:

=========================================  ======  ===========================================
metric                                     type    labels
=========================================  ======  ===========================================
``irp_check_ok``                           gauge   refurbisher, env, check (1 ok, 0 failing)
``irp_check_value``                        gauge   refurbisher, env, check (the last value)
``irp_check_threshold``                    gauge   refurbisher, env, check
``irp_sync_runs_total``                    counter refurbisher, env, status
``irp_feed_rows_total``                    counter refurbisher, env (rows read by syncs)
``irp_orders``                             gauge   refurbisher, env, status (orders now)
``irp_order_transitions_total``            counter refurbisher, env, status (entered)
``irp_order_attempts_total``               counter refurbisher, env, kind, outcome
``irp_alerts_open``                        gauge   refurbisher, env, check
``irp_events_unpushed``                    gauge   env (events not yet accepted, if pushed)
``irp_shipments_unmatched``                gauge   refurbisher, env
=========================================  ======  ===========================================

The check gauges are the last stored monitoring run (``irp monitor`` or the scheduler).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from irp.store.db import Database
from irp.store.tables import (
    alerts,
    monitor_results,
    order_attempts,
    order_events,
    orders,
    shipments,
    sync_runs,
)

__all__ = ["MonitoringCollector", "render_metrics"]

CHECK_LABELS = ["refurbisher", "env", "check"]


class MonitoringCollector(Collector):
    """A prometheus-client collector over one environment's database.

    ``database`` is a callable so a config reload (a new Database) is picked up;
    ``events_pushed``: whether ``platform.events.url`` is set (``irp_events_unpushed``
    means nothing otherwise, and is left out).
    """

    def __init__(
        self, database: Callable[[], Database], env: str, *, events_pushed: bool = False
    ) -> None:
        self._database = database
        self._env = env
        self._events_pushed = events_pushed

    def describe(self) -> list[Metric]:
        return []  # nothing is read when the collector is registered

    def collect(self) -> Iterator[Metric]:
        env = self._env
        with self._database().connect() as conn:
            yield from _checks(conn, env)
            yield from _syncs(conn, env)
            yield from _orders(conn, env)
            yield from _rest(conn, env, self._events_pushed)


def render_metrics(database: Database, env: str, *, events_pushed: bool = False) -> bytes:
    """The Prometheus text exposition of :class:`MonitoringCollector` alone."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(MonitoringCollector(lambda: database, env, events_pushed=events_pushed))
    return generate_latest(registry)


def _checks(conn: sa.Connection, env: str) -> Iterator[Metric]:
    ok = GaugeMetricFamily(
        "irp_check_ok", "1 when the check passed in the last run", labels=CHECK_LABELS
    )
    value = GaugeMetricFamily(
        "irp_check_value", "The check's value in the last run", labels=CHECK_LABELS
    )
    threshold = GaugeMetricFamily(
        "irp_check_threshold", "The check's threshold", labels=CHECK_LABELS
    )
    for row in conn.execute(sa.select(monitor_results)).mappings():
        labels = [row["refurbisher"], env, row["check"]]
        ok.add_metric(labels, 1.0 if row["ok"] else 0.0)
        if row["value"] is not None:
            value.add_metric(labels, float(row["value"]))
        if row["threshold"] is not None:
            threshold.add_metric(labels, float(row["threshold"]))
    yield from (ok, value, threshold)


def _syncs(conn: sa.Connection, env: str) -> Iterator[Metric]:
    runs = CounterMetricFamily(
        "irp_sync_runs", "Offer syncs run, by status", labels=["refurbisher", "env", "status"]
    )
    rows = CounterMetricFamily(
        "irp_feed_rows", "Feed rows read by offer syncs", labels=["refurbisher", "env"]
    )
    query = sa.select(
        sync_runs.c.refurbisher,
        sync_runs.c.status,
        sa.func.count(),
        sa.func.coalesce(sa.func.sum(sync_runs.c.rows), 0),
    ).group_by(sync_runs.c.refurbisher, sync_runs.c.status)
    read: dict[str, int] = {}
    for refurbisher, status, count, total in conn.execute(query):
        runs.add_metric([refurbisher, env, status], count)
        read[refurbisher] = read.get(refurbisher, 0) + int(total)
    for refurbisher, total in sorted(read.items()):
        rows.add_metric([refurbisher, env], total)
    yield from (runs, rows)


def _orders(conn: sa.Connection, env: str) -> Iterator[Metric]:
    now = GaugeMetricFamily(
        "irp_orders", "Orders by current state", labels=["refurbisher", "env", "status"]
    )
    for refurbisher, status, count in conn.execute(
        sa.select(orders.c.refurbisher, orders.c.status, sa.func.count()).group_by(
            orders.c.refurbisher, orders.c.status
        )
    ):
        now.add_metric([refurbisher, env, status], count)
    entered = CounterMetricFamily(
        "irp_order_transitions",
        "Order state changes (outbox events), by the state entered",
        labels=["refurbisher", "env", "status"],
    )
    for refurbisher, kind, count in conn.execute(
        sa.select(order_events.c.refurbisher, order_events.c.type, sa.func.count()).group_by(
            order_events.c.refurbisher, order_events.c.type
        )
    ):
        entered.add_metric([refurbisher, env, kind.removeprefix("order.")], count)
    attempts = CounterMetricFamily(
        "irp_order_attempts",
        "Requests about orders (submit, lookup), by outcome",
        labels=["refurbisher", "env", "kind", "outcome"],
    )
    outcome = sa.func.coalesce(order_attempts.c.outcome, "unknown")
    for refurbisher, kind, result, count in conn.execute(
        sa.select(orders.c.refurbisher, order_attempts.c.kind, outcome, sa.func.count())
        .join(orders, orders.c.id == order_attempts.c.order_id)
        .group_by(orders.c.refurbisher, order_attempts.c.kind, outcome)
    ):
        attempts.add_metric([refurbisher, env, kind, result], count)
    yield from (now, entered, attempts)


def _rest(conn: sa.Connection, env: str, events_pushed: bool) -> Iterator[Metric]:
    open_alerts = GaugeMetricFamily("irp_alerts_open", "Open alerts", labels=CHECK_LABELS)
    for refurbisher, check, count in conn.execute(
        sa.select(alerts.c.refurbisher, alerts.c.check, sa.func.count())
        .where(alerts.c.resolved_at.is_(None))
        .group_by(alerts.c.refurbisher, alerts.c.check)
    ):
        open_alerts.add_metric([refurbisher, env, check], count)
    yield open_alerts
    if events_pushed:
        unpushed = GaugeMetricFamily(
            "irp_events_unpushed",
            "Order events not yet accepted by the marketplace",
            labels=["env"],
        )
        waiting = sa.select(sa.func.count()).where(order_events.c.pushed_at.is_(None))
        unpushed.add_metric([env], conn.execute(waiting).scalar_one())
        yield unpushed
    unmatched = GaugeMetricFamily(
        "irp_shipments_unmatched", "Shipments that matched no order", labels=["refurbisher", "env"]
    )
    for refurbisher, count in conn.execute(
        sa.select(shipments.c.refurbisher, sa.func.count())
        .where(shipments.c.order_id.is_(None))
        .group_by(shipments.c.refurbisher)
    ):
        unmatched.add_metric([refurbisher, env], count)
    yield unmatched
