"""IRP's queue tasks: thin wake-ups that call the same service functions as the CLI.

- ``orders(refurbisher)`` — one order pass (:func:`irp.orders.cycle.submit_pass`):
  expire leases, run due lookups, send due orders. Sent when an order is accepted
  over HTTP, after an operator action, and by the sweep for any refurbisher with due
  work. ``None`` means every refurbisher.

  Wake-ups are coalesced at both ends, which keeps a burst of orders from turning
  into a burst of passes: a process runs one pass per refurbisher at a time — a
  wake-up that arrives meanwhile makes that pass run once more instead of starting a
  second one (or queueing a message) — and a message is sent at most once per
  refurbisher per :data:`COALESCE_SECONDS` (at the end of the window, so it follows
  every commit it stands for). A process with workers of its own (``irp serve``
  without ``--no-worker``) wakes its own pass directly for the orders it accepts,
  without the queue (``local=True``); the sweep always goes through the queue, so
  every worker process shares what is due. Within a pass ``order.max_concurrency``
  requests run at once.
- ``sync(refurbisher, slot)`` — one offer sync (:func:`irp.feeds.sync.sync_offers`).
  With a ``slot`` (a scheduled sync) it is skipped when a sync already started since
  that slot: a repeated message runs nothing twice.
- ``periodic(name, fired_at)`` — one run of a job of :data:`irp.jobs.periodic.PERIODIC_JOBS`;
  a wake-up older than twice the job's interval is dropped (a worker that was down
  must not run a backlog of identical sweeps).

A task never raises into Huey (no Huey retries): it logs the failure with its
context, and the database-driven sweep comes back to whatever is still due.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from irp.logs import log_context

if TYPE_CHECKING:
    from huey import Huey

    from irp.jobs.service import Service
    from irp.orders.results import SubmitResult

__all__ = ["Tasks"]

log = logging.getLogger(__name__)

COALESCE_SECONDS = 0.02
STALE_PERIODIC_FACTOR = 2.0
STALE_PERIODIC_MINIMUM_SECONDS = 60.0


class Tasks:
    """IRP's tasks registered on one Huey instance, and how to send their wake-ups."""

    def __init__(self, huey: Huey, service: Service) -> None:
        self.service = service
        self._orders = huey.task(name="orders")(self.run_orders)
        self._sync = huey.task(name="sync")(self.run_sync)
        self._periodic = huey.task(name="periodic")(self.run_periodic)
        self._lock = threading.Lock()
        self._waking: set[str | None] = set()  # wake-ups to send at the end of the window
        self._running: set[str | None] = set()  # passes running in this process
        self._again: set[str | None] = set()  # woken while running: run once more

    # -- sending ---------------------------------------------------------------------

    def wake_orders(self, refurbisher: str | None, *, local: bool = False) -> None:
        """Have an order pass run for ``refurbisher`` (None: all), soon.

        Call it after the commit that made the work due: the wake-up follows it. A pass
        of ``refurbisher`` running in this process runs once more; otherwise, with
        ``local`` and workers in this process, one starts here at once; otherwise a
        message is queued within COALESCE_SECONDS.
        """
        runner = self.service.local_runner if local else None
        with self._lock:
            if refurbisher in self._running:
                self._again.add(refurbisher)
                return
            if runner is not None:
                self._running.add(refurbisher)
            elif refurbisher in self._waking:
                return
            else:
                self._waking.add(refurbisher)
        if runner is not None:
            runner(f"orders-{refurbisher or 'all'}", lambda: self._run_reserved(refurbisher))
            return
        timer = threading.Timer(COALESCE_SECONDS, self._send_wake, args=(refurbisher,))
        timer.daemon = True
        timer.start()

    def _send_wake(self, refurbisher: str | None) -> None:
        with self._lock:
            self._waking.discard(refurbisher)
        self._send("orders", self._orders, refurbisher)

    def sync(self, refurbisher: str, slot: datetime | None = None) -> bool:
        """Queue a sync of ``refurbisher`` (for the scheduled ``slot``, if one)."""
        return self._send("sync", self._sync, refurbisher, slot.isoformat() if slot else None)

    def periodic(self, name: str) -> bool:
        """Queue one run of the periodic job ``name``."""
        return self._send("periodic", self._periodic, name, time.time())

    def _send(self, what: str, task: Callable[..., Any], *args: Any) -> bool:
        try:
            task(*args)
        except Exception as exc:  # the queue is down: the sweep will find the work again
            log.warning(
                "could not queue %s%r on %s: %s; the next sweep picks the work up",
                what,
                args,
                self.service.queue_settings.describe(),
                exc,
            )
            return False
        self.service.notify_workers()
        return True

    # -- running (on a worker) ---------------------------------------------------------

    def run_orders(self, refurbisher: str | None) -> None:
        """One order pass of ``refurbisher`` (or all), stopping early on shutdown."""
        with self._lock:
            if refurbisher in self._running:
                self._again.add(refurbisher)
                return
            self._running.add(refurbisher)
        self._run_reserved(refurbisher)

    def _run_reserved(self, refurbisher: str | None) -> None:
        """Run passes of ``refurbisher`` (already marked running) until none is asked for."""
        try:
            while True:
                with _task("orders", refurbisher=refurbisher):
                    self._one_pass(refurbisher)
                with self._lock:  # decide and leave under one lock: no wake-up slips by
                    if refurbisher in self._again and not self.service.stop.is_set():
                        self._again.discard(refurbisher)
                        continue
                    self._running.discard(refurbisher)
                    self._again.discard(refurbisher)
                    return
        except BaseException:
            with self._lock:
                self._running.discard(refurbisher)
            raise

    def _one_pass(self, refurbisher: str | None) -> None:
        from irp.orders.cycle import submit_pass

        service = self.service
        config = service.config()
        if refurbisher is not None and refurbisher not in config.refurbishers:
            log.warning("no refurbisher %r in the config any more; nothing to do", refurbisher)
            return
        for result in submit_pass(service.db, config, refurbisher, stop=service.stop):
            _log_result(result)

    def run_sync(self, refurbisher: str, slot: str | None) -> None:
        """One offer sync; a scheduled one is skipped if its slot already ran."""
        from irp.feeds.sync import SyncRequest, sync_offers
        from irp.store.schedules import sync_started_since

        with _task("sync", refurbisher=refurbisher):
            service = self.service
            config = service.config()
            ref = config.refurbishers.get(refurbisher)
            if ref is None or ref.offers is None:
                log.warning(
                    "%s has no offers section in the config any more; not synced", refurbisher
                )
                return
            if slot is not None:
                with service.db.connect() as conn:
                    if sync_started_since(conn, refurbisher, datetime.fromisoformat(slot)):
                        log.debug("the sync scheduled for %s already ran", slot)
                        return
            request = SyncRequest(ref, config.path.parent, config_hash=config.hash)
            report = sync_offers(service.db, request)
            with log_context(run_id=report.run_id):
                level = logging.INFO if report.succeeded else logging.WARNING
                log.log(
                    level,
                    "sync %s: %s — %d rows, %d created, %d updated, %d unlisted, %d invalid%s",
                    "scheduled" if slot else "requested",
                    report.status,
                    report.rows,
                    report.created,
                    report.updated,
                    report.unlisted,
                    report.invalid,
                    f"; {report.message}" if report.message else "",
                )

    def run_periodic(self, name: str, fired_at: float) -> None:
        """Run periodic job ``name`` unless this wake-up is stale."""
        from irp.jobs.periodic import periodic_job

        with _task(f"periodic:{name}"):
            job = periodic_job(name)
            if job is None:
                log.warning("no periodic job %r in this version; wake-up dropped", name)
                return
            every = job.every(self.service.config())
            age = time.time() - fired_at
            if age > max(every * STALE_PERIODIC_FACTOR, STALE_PERIODIC_MINIMUM_SECONDS):
                log.debug("dropped a %.0f s old wake-up of %s", age, name)
                return
            if not self.service.stop.is_set():
                job.run(self.service)


@contextmanager
def _task(name: str, **context: Any) -> Iterator[None]:
    with log_context(task=name, **context):
        try:
            yield
        except Exception:
            log.exception("task %s failed; what is still due is picked up by the next sweep", name)


def _log_result(result: SubmitResult) -> None:
    with log_context(refurbisher=result.refurbisher, order_id=result.order_id):
        if result.paused:
            log.debug("held: %s", result.error)
        elif result.needs_operator:
            log.warning("order %s is %s: %s", result.order_id, result.status, result.error)
        else:
            detail = result.external_reference or result.error or ""
            log.info("order %s is %s %s", result.order_id, result.status, detail)
