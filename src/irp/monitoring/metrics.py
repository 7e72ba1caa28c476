"""The monitoring figures on ``/metrics`` (SPEC §5), read from the database at scrape time.

:func:`monitoring_metrics` yields them; ``irp.api.metrics`` lists it among its metric
sources beside the service's own (orders by state, syncs, attempts), so every process
of a cluster shows the same figures.

=================================  ======  ==========================================
metric                             type    labels
=================================  ======  ==========================================
``irp_check_ok``                   gauge   refurbisher, env, check (1 ok, 0 failing)
``irp_check_value``                gauge   refurbisher, env, check (the last value)
``irp_check_threshold``            gauge   refurbisher, env, check
``irp_order_transitions_total``    counter refurbisher, env, status (the state entered)
``irp_alerts_open``                gauge   refurbisher, env, check
``irp_shipments_unmatched``        gauge   refurbisher, env
``irp_events_unpushed``            gauge   env (only with ``platform.events.url``)
=================================  ======  ==========================================

The check gauges are the last stored monitoring run (``irp monitor`` or the scheduler).
"""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from irp.store.db import Database
from irp.store.tables import alerts, monitor_results, order_events, shipments

__all__ = ["monitoring_metrics"]

CHECK_LABELS = ["refurbisher", "env", "check"]


def monitoring_metrics(db: Database, env: str, *, events_pushed: bool) -> Iterator[Metric]:
    """Every family of the table above; ``events_pushed``: ``platform.events.url`` is set
    (``irp_events_unpushed`` means nothing otherwise and is left out)."""
    with db.connect() as conn:
        yield from _checks(conn, env)
        yield from _transitions(conn, env)
        yield from _waiting(conn, env, events_pushed)


def _checks(conn: sa.Connection, env: str) -> Iterator[Metric]:
    ok = GaugeMetricFamily("irp_check_ok", "1 when the check passed", labels=CHECK_LABELS)
    value = GaugeMetricFamily("irp_check_value", "The check's last value", labels=CHECK_LABELS)
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


def _transitions(conn: sa.Connection, env: str) -> Iterator[Metric]:
    entered = CounterMetricFamily(
        "irp_order_transitions",
        "Order state changes (outbox events), by the state entered",
        labels=["refurbisher", "env", "status"],
    )
    query = sa.select(order_events.c.refurbisher, order_events.c.type, sa.func.count()).group_by(
        order_events.c.refurbisher, order_events.c.type
    )
    for refurbisher, kind, count in conn.execute(query):
        entered.add_metric([refurbisher, env, kind.removeprefix("order.")], count)
    yield entered


def _waiting(conn: sa.Connection, env: str, events_pushed: bool) -> Iterator[Metric]:
    open_alerts = GaugeMetricFamily("irp_alerts_open", "Open alerts", labels=CHECK_LABELS)
    for refurbisher, check, count in conn.execute(
        sa.select(alerts.c.refurbisher, alerts.c.check, sa.func.count())
        .where(alerts.c.resolved_at.is_(None))
        .group_by(alerts.c.refurbisher, alerts.c.check)
    ):
        open_alerts.add_metric([refurbisher, env, check], count)
    yield open_alerts
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
    if events_pushed:
        unpushed = GaugeMetricFamily(
            "irp_events_unpushed", "Order events the marketplace has not accepted", labels=["env"]
        )
        waiting = sa.select(sa.func.count()).where(order_events.c.pushed_at.is_(None))
        unpushed.add_metric([env], conn.execute(waiting).scalar_one())
        yield unpushed
