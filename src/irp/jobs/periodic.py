"""The periodic jobs of the service — the one list to add scheduled work to.

The scheduler of ``irp serve`` fires each job's wake-up every ``every(config)``
seconds (one scheduler leads, cluster-wide); a worker runs ``run(service)``. A job
decides nothing from the clock alone: it asks the database what is due and does or
queues that, so a lost or repeated wake-up only delays work.

To add one (monitoring, shipment polls, the Odoo push)::

    PeriodicJob(
        "monitor",
        every=lambda config: config.platform.monitor_every_seconds,
        run=lambda service: run_checks(service.db, service.config()),
    )

appended to :data:`PERIODIC_JOBS`. ``run`` should return within a few seconds or
queue finer-grained tasks, and watch ``service.stop`` if it loops.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from irp.jobs.sweep import sweep

if TYPE_CHECKING:
    from irp.config import Config
    from irp.jobs.service import Service

__all__ = ["PERIODIC_JOBS", "PeriodicJob", "periodic_job"]


@dataclass(frozen=True)
class PeriodicJob:
    """A job the scheduler wakes every ``every(config)`` seconds."""

    name: str
    every: Callable[[Config], float]
    run: Callable[[Service], None]


def _monitor(service: Service) -> None:
    from irp.monitoring.run import run_monitor

    run_monitor(service.db, service.config())


def _poll_every(config: Config) -> float:
    """Each order has its own next poll in the database (``interval_seconds`` apart); the
    due ones are picked at the sweep's pace (SPEC §8)."""
    return config.platform.service.sweep_seconds


def _poll(service: Service) -> None:
    from irp.shipments.poll import poll_shipments

    poll_shipments(service.db, service.config(), stop=service.stop)


def _push_every(config: Config) -> float:
    """Push soon after an event is written; nothing to do without ``platform.events.url``."""
    events = config.platform.events
    if events.url is None:
        return IDLE_SECONDS
    return min(max(events.retry_seconds, 1.0), PUSH_LOOK_SECONDS)


def _push(service: Service) -> None:
    from irp.events.push import push_due_events

    push_due_events(service.db, service.config(), budget_seconds=PUSH_BUDGET_SECONDS)


IDLE_SECONDS = 300.0
PUSH_LOOK_SECONDS = 5.0
PUSH_BUDGET_SECONDS = 20.0
ODOO_PUSH_LIMIT = 50  # orders booked per wake-up: a run stays within seconds


def _odoo_every(config: Config) -> float:
    odoo = config.platform.odoo
    return odoo.push_every_seconds if odoo is not None else 300.0


def _push_odoo(service: Service) -> None:
    from irp.odoo.push import push_due

    push_due(service.db, service.config(), limit=ODOO_PUSH_LIMIT)


PERIODIC_JOBS: tuple[PeriodicJob, ...] = (
    # Due orders, due lookups, expired leases and scheduled feed syncs (SPEC §8).
    PeriodicJob("sweep", every=lambda config: config.platform.service.sweep_seconds, run=sweep),
    # Accepted orders booked in Odoo as purchase orders (SPEC §9, docs/odoo.md); a no-op
    # without platform.odoo.
    PeriodicJob("odoo", every=_odoo_every, run=_push_odoo),
    # Monitoring checks, alerts and their sinks, stale-stock unlisting (SPEC §5, §8).
    PeriodicJob(
        "monitor", every=lambda config: config.platform.monitor_every_seconds, run=_monitor
    ),
    # Shipment polls that are due (each order every shipment_poll.interval_seconds).
    PeriodicJob("shipment_poll", every=_poll_every, run=_poll),
    # Order events to platform.events.url, retried with backoff until accepted.
    PeriodicJob("event_push", every=_push_every, run=_push),
)


def periodic_job(name: str) -> PeriodicJob | None:
    """The job called ``name``, or None."""
    return next((job for job in PERIODIC_JOBS if job.name == name), None)
