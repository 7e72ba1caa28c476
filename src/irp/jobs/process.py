"""One long-running process (``irp serve`` or ``irp worker``): start, signals, stop.

Signals (installed by :meth:`ServiceProcess.install_signals`, main thread only):

- SIGTERM / SIGINT — stop taking work: the HTTP server stops accepting, workers take
  no new message, order passes claim no new order; requests already sent finish
  within their timeouts (a running feed sync finishes too), then the process exits 0
  with nothing left ``submitting``. A second SIGTERM/SIGINT exits at once (status
  1); orders then in flight are settled by their lease (SPEC §3).
- SIGHUP — reload the config (a config that does not load is refused, the old one
  keeps running).
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable
from types import FrameType

from irp.jobs.scheduler import Scheduler
from irp.jobs.service import Service
from irp.jobs.watch import ConfigWatcher
from irp.jobs.worker import WorkerPool

__all__ = ["ServiceProcess"]

log = logging.getLogger(__name__)

EXIT_FORCED = 1


class ServiceProcess:
    """The threads of one process around a :class:`Service`."""

    def __init__(self, service: Service, *, workers: int, scheduler: bool) -> None:
        self.service = service
        self.workers = WorkerPool(service, workers) if workers > 0 else None
        if self.workers is not None:
            service.local_runner = self.workers.run_local
        self.scheduler = Scheduler(service) if scheduler else None
        self.watcher = ConfigWatcher(service)
        self._on_stop: list[Callable[[], None]] = []
        self._stopping = False

    def start(self) -> None:
        """Start the worker threads, the scheduler and the config watcher."""
        from irp.feeds.sync import fail_abandoned_runs

        fail_abandoned_runs(self.service.db)  # sync runs a dead process left `running`
        self.watcher.start()
        if self.workers is not None:
            self.workers.start()
        if self.scheduler is not None:
            self.scheduler.start()

    def on_stop(self, callback: Callable[[], None]) -> None:
        """Also call ``callback`` when a stop is requested (e.g. tell uvicorn to exit)."""
        self._on_stop.append(callback)

    def install_signals(self) -> None:
        """SIGTERM/SIGINT stop (twice: at once), SIGHUP reloads the config."""
        signal.signal(signal.SIGTERM, self._handle_stop)
        signal.signal(signal.SIGINT, self._handle_stop)
        signal.signal(signal.SIGHUP, self._handle_reload)

    def request_stop(self) -> None:
        """Stop taking work (what SIGTERM does)."""
        if not self._stopping:
            self._stopping = True
            log.info("stopping: no new work is taken; work in hand finishes")
        self.service.shut_down()
        self.watcher.wake()
        for callback in self._on_stop:
            callback()

    def wait(self) -> None:
        """Block until a stop is requested (``irp worker``'s main thread)."""
        while not self.service.stop.wait(1.0):
            pass

    def finish(self) -> None:
        """After a stop: wait for the work in hand, hand over the schedule, close."""
        if not self.service.stop.is_set():
            self.request_stop()
        if self.workers is not None:
            self.workers.join()
        if self.scheduler is not None:
            self.scheduler.join()
        self.watcher.join(5.0)
        self.service.close()
        log.info("stopped")

    def _handle_stop(self, signum: int, frame: FrameType | None) -> None:
        if self._stopping:
            log.warning(
                "%s again: exiting now; orders in flight are settled by their lease",
                signal.Signals(signum).name,
            )
            logging.shutdown()
            os._exit(EXIT_FORCED)
        log.info("%s received", signal.Signals(signum).name)
        self.request_stop()

    def _handle_reload(self, signum: int, frame: FrameType | None) -> None:
        self.watcher.request_reload()
