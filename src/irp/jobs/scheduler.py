"""The scheduler thread of ``irp serve``: fires the periodic jobs' wake-ups.

It decides nothing about orders or feeds — it only sends each job of
:data:`irp.jobs.periodic.PERIODIC_JOBS` a wake-up every ``every(config)`` seconds (the
config in force at that moment, so a reload takes effect at the next tick).

One scheduler leads cluster-wide: the leader holds the database lock ``scheduler``
(:mod:`irp.store.locks`) and renews it every tick; the others wait and take over
when it runs out (:data:`LEAD_SECONDS` at most after the leader died; at once for a
dead process on the same host). Two leaders for a moment would only double some
wake-ups, which the jobs tolerate.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from typing import TYPE_CHECKING

from irp.jobs.periodic import PERIODIC_JOBS, PeriodicJob
from irp.store import locks

if TYPE_CHECKING:
    from irp.jobs.service import Service

__all__ = ["LEAD_SECONDS", "Scheduler"]

log = logging.getLogger(__name__)

LEAD_LOCK = "scheduler"
LEAD_SECONDS = 30.0  # the leader's lease; renewed every tick
MAX_TICK_SECONDS = 1.0


class Scheduler:
    """Fires periodic wake-ups while this process leads; see the module docstring."""

    def __init__(self, service: Service, jobs: tuple[PeriodicJob, ...] = PERIODIC_JOBS) -> None:
        self.service = service
        self.jobs = jobs
        self.owner = locks.lock_owner()
        self.leading = False
        self._next: dict[str, float] = {}
        self._thread = threading.Thread(target=self._run, name="irp-scheduler", daemon=True)
        self._failing = False

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def _run(self) -> None:
        stop = self.service.stop
        while not stop.is_set():
            self._tick()
            due = min(self._next.values(), default=time.monotonic() + MAX_TICK_SECONDS)
            stop.wait(min(max(due - time.monotonic(), 0.05), MAX_TICK_SECONDS))
        self._resign()

    def _tick(self) -> None:
        was_leading = self.leading
        self.leading = self._lead()
        if not self.leading:
            self._next.clear()
            return
        if not was_leading:
            log.info("this process now runs the schedule (%s)", locks.describe_owner(self.owner))
        config = self.service.config()
        now = time.monotonic()
        for job in self.jobs:
            if self._next.get(job.name, 0.0) <= now:
                self._next[job.name] = now + job.every(config)
                self.service.tasks.periodic(job.name)

    def _lead(self) -> bool:
        ttl = timedelta(
            seconds=max(LEAD_SECONDS, 3 * self.service.config().platform.service.sweep_seconds)
        )
        try:
            with self.service.db.write_transaction() as conn:
                leading = locks.try_lock(conn, LEAD_LOCK, self.owner, ttl)
        except Exception as exc:
            if not self._failing:
                log.error("the scheduler cannot reach the database (%s); retrying", exc)
            self._failing = True
            return False
        if self._failing:
            log.info("the scheduler reaches the database again")
        self._failing = False
        return leading

    def _resign(self) -> None:
        if not self.leading:
            return
        try:
            with self.service.db.begin() as conn:
                locks.release_lock(conn, LEAD_LOCK, self.owner)
        except Exception as exc:  # it runs out by itself
            log.warning("could not hand the schedule over at shutdown: %s", exc)
        self.leading = False
