"""``GET /metrics``: Prometheus figures, read from the database at scrape time.

Figures come from the database, not from counters in this process: every
``irp serve`` of a cluster reports the same totals, and a restart loses nothing.
(Counters here are totals of stored rows, which are never deleted, so they only grow.)

A *metric source* is a function ``(service) -> metric families``; :data:`METRIC_SOURCES`
lists them, and adding figures means adding a function there (the monitoring gauges
``irp_check_ok`` / ``irp_check_value`` of SPEC §5 go in this way). A source that fails
(the database is down) is left out of that scrape and logged; the others still answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from irp.orders.states import OrderStatus
from irp.store.tables import order_attempts, orders, refurbishers, sync_runs

if TYPE_CHECKING:
    from irp.jobs.service import Service

__all__ = ["METRIC_SOURCES", "MetricSource", "build_registry", "render"]

log = logging.getLogger(__name__)

MetricSource = Callable[["Service"], Iterable[Metric]]


def orders_by_state(service: Service) -> Iterator[Metric]:
    """``irp_orders{refurbisher,status}``: orders in each state now (0s included)."""
    query = sa.select(orders.c.refurbisher, orders.c.status, sa.func.count()).group_by(
        orders.c.refurbisher, orders.c.status
    )
    with service.db.connect() as conn:
        counts = {(ref, status): n for ref, status, n in conn.execute(query)}
    keys = sorted(set(service.config().refurbishers) | {ref for ref, _ in counts})
    family = GaugeMetricFamily(
        "irp_orders", "Orders by refurbisher and state", labels=["refurbisher", "status"]
    )
    for key in keys:
        for status in OrderStatus:
            family.add_metric([key, str(status)], counts.get((key, str(status)), 0))
    yield family


def syncs(service: Service) -> Iterator[Metric]:
    """``irp_syncs_total{refurbisher,status}`` and ``irp_sync_rows_total{refurbisher}``."""
    query = sa.select(
        sync_runs.c.refurbisher,
        sync_runs.c.status,
        sa.func.count(),
        sa.func.coalesce(sa.func.sum(sync_runs.c.rows), 0),
    ).group_by(sync_runs.c.refurbisher, sync_runs.c.status)
    with service.db.connect() as conn:
        rows = conn.execute(query).all()
    runs = CounterMetricFamily(
        "irp_syncs", "Offer syncs by outcome", labels=["refurbisher", "status"]
    )
    read = CounterMetricFamily("irp_sync_rows", "Feed rows read by syncs", labels=["refurbisher"])
    per_refurbisher: dict[str, int] = {}
    for ref, status, count, total in rows:
        runs.add_metric([ref, status], count)
        per_refurbisher[ref] = per_refurbisher.get(ref, 0) + int(total)
    for ref, total in sorted(per_refurbisher.items()):
        read.add_metric([ref], total)
    yield runs
    yield read


def attempts(service: Service) -> Iterator[Metric]:
    """``irp_order_attempts_total{refurbisher,kind,outcome}``: requests sent about orders."""
    query = (
        sa.select(
            orders.c.refurbisher, order_attempts.c.kind, order_attempts.c.outcome, sa.func.count()
        )
        .select_from(order_attempts.join(orders, orders.c.id == order_attempts.c.order_id))
        .group_by(orders.c.refurbisher, order_attempts.c.kind, order_attempts.c.outcome)
    )
    with service.db.connect() as conn:
        rows = conn.execute(query).all()
    family = CounterMetricFamily(
        "irp_order_attempts",
        "Submit and lookup requests by outcome",
        labels=["refurbisher", "kind", "outcome"],
    )
    for ref, kind, outcome, count in rows:
        family.add_metric([ref, kind, outcome or "unknown"], count)
    yield family


def submissions_paused(service: Service) -> Iterator[Metric]:
    """``irp_submissions_paused{refurbisher}``: 1 while the circuit breaker holds orders."""
    query = sa.select(refurbishers.c.key, refurbishers.c.submissions_paused_at)
    with service.db.connect() as conn:
        paused = {key: at is not None for key, at in conn.execute(query)}
    family = GaugeMetricFamily(
        "irp_submissions_paused", "Order submissions paused", labels=["refurbisher"]
    )
    for key in sorted(set(service.config().refurbishers) | set(paused)):
        family.add_metric([key], 1 if paused.get(key) else 0)
    yield family


def runtime(service: Service) -> Iterator[Metric]:
    """The queue depth, and which config runs (``irp_config_info``, reload refusals)."""
    depth = GaugeMetricFamily("irp_queue_depth", "Wake-ups waiting on the queue")
    depth.add_metric([], service.queue.storage.queue_size())
    yield depth
    config = service.config()
    info = GaugeMetricFamily(
        "irp_config_info", "The config this process runs", labels=["env", "hash"]
    )
    info.add_metric([service.env, config.hash], 1)
    yield info
    refused = GaugeMetricFamily(
        "irp_config_reload_refused", "1 while the last config reload was refused"
    )
    refused.add_metric([], 1 if service.reload_error else 0)
    yield refused
    refusals = CounterMetricFamily(
        "irp_config_reload_refusals", "Config reloads refused by this process"
    )
    refusals.add_metric([], service.reload_refusals)
    yield refusals


METRIC_SOURCES: tuple[MetricSource, ...] = (
    orders_by_state,
    syncs,
    attempts,
    submissions_paused,
    runtime,
)


class _DatabaseCollector(Collector):
    def __init__(self, service: Service, sources: tuple[MetricSource, ...]) -> None:
        self.service = service
        self.sources = sources

    def collect(self) -> Iterator[Metric]:
        for source in self.sources:
            try:
                yield from list(source(self.service))
            except Exception as exc:
                log.warning("metrics: %s left out of this scrape: %s", source.__name__, exc)


def build_registry(
    service: Service, sources: tuple[MetricSource, ...] = METRIC_SOURCES
) -> CollectorRegistry:
    """A registry of its own per app (nothing global, nothing read until scraped)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_DatabaseCollector(service, sources))
    return registry


def render(registry: CollectorRegistry) -> bytes:
    """The Prometheus text format of ``registry``."""
    return generate_latest(registry)
