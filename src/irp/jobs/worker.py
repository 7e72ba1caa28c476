"""Worker threads: take wake-ups off the queue and run them, until the service stops.

Each thread takes one message at a time; :meth:`WorkerPool.join` returns when every
thread has finished the task in hand. On shutdown (``service.stop``) no new message
is taken, an order pass stops claiming orders, and requests already sent finish
within their timeouts, so a clean stop leaves no order ``submitting``. Messages still
in the queue stay there for the next start. A message that cannot be read is logged
and dropped (the sweep finds its work again).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from irp.jobs.service import Service

__all__ = ["WorkerPool"]

log = logging.getLogger(__name__)

POLL_FIRST_SECONDS = 0.05  # an empty SQLite queue is polled from this interval ...
POLL_MAX_SECONDS = 1.0  # ... backing off to this one; Redis blocks instead of polling
QUEUE_DOWN_SECONDS = 2.0


class WorkerPool:
    """``concurrency`` threads running the service's queue."""

    def __init__(self, service: Service, concurrency: int) -> None:
        if concurrency < 1:
            raise ValueError("a worker needs at least one thread")
        self.service = service
        self.threads = [
            threading.Thread(target=self._work, name=f"irp-worker-{n + 1}", daemon=True)
            for n in range(concurrency)
        ]
        self._queue_down = False
        self._lock = threading.Lock()
        self._local: list[threading.Thread] = []

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def run_local(self, name: str, work: Callable[[], None]) -> None:
        """Run ``work`` (an order pass this process woke itself) on a thread of its own.

        Not through the queue: a blocking Redis read would hold the wake-up for up to
        a second. :meth:`join` waits for these threads too, so a stop still lets the
        pass finish its requests.
        """
        thread = threading.Thread(target=work, name=f"irp-{name}", daemon=True)
        with self._lock:
            self._local = [t for t in self._local if t.is_alive()]
            self._local.append(thread)
        thread.start()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for every thread to finish; False if some still run after ``timeout``."""
        with self._lock:
            threads = self.threads + self._local
        for thread in threads:
            thread.join(timeout)
        return not any(thread.is_alive() for thread in threads)

    def _work(self) -> None:
        service = self.service
        queue = service.queue
        delay = POLL_FIRST_SECONDS
        while not service.stop.is_set():
            try:
                task = queue.dequeue()
            except Exception as exc:
                self._report_down(exc)
                service.wait_for_work(QUEUE_DOWN_SECONDS)
                continue
            self._report_up()
            if task is None:
                if not queue.storage.blocking:
                    service.wait_for_work(delay)
                    delay = min(delay * 2, POLL_MAX_SECONDS)
                continue
            delay = POLL_FIRST_SECONDS
            try:
                queue.execute(task)
            except Exception:
                log.exception("task %s could not be run", task)

    def _report_down(self, exc: Exception) -> None:
        if not self._queue_down:
            log.error(
                "cannot read the queue (%s): %s; retrying",
                self.service.queue_settings.describe(),
                exc,
            )
        self._queue_down = True

    def _report_up(self) -> None:
        if self._queue_down:
            log.info("the queue answers again")
        self._queue_down = False
