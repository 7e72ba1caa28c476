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
)


def periodic_job(name: str) -> PeriodicJob | None:
    """The job called ``name``, or None."""
    return next((job for job in PERIODIC_JOBS if job.name == name), None)
