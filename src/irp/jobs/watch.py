"""Config reloads: on SIGHUP, or when the config file's content changes.

A thread looks at the file every :data:`CHECK_SECONDS`; a changed content (or a
requested reload) calls :meth:`irp.jobs.service.Service.reload`, which keeps the old
config if the new one does not load. A file that stays broken is not reloaded again
until it changes again, so the refusal is logged once per edit.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from irp.jobs.service import Service

__all__ = ["CHECK_SECONDS", "ConfigWatcher"]

log = logging.getLogger(__name__)

CHECK_SECONDS = 1.0


class ConfigWatcher:
    """Reloads the service's config when asked to or when the file changes."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self._requested = threading.Event()
        self._seen = self._digest()
        self._thread = threading.Thread(target=self._run, name="irp-config-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def request_reload(self) -> None:
        """Reload soon (safe to call from a signal handler)."""
        self._requested.set()

    def _digest(self) -> str | None:
        try:
            return hashlib.sha256(self.service.config_path.read_bytes()).hexdigest()
        except OSError:
            return None

    def _run(self) -> None:
        stop = self.service.stop
        while not stop.is_set():
            self._requested.wait(CHECK_SECONDS)
            if stop.is_set():
                return
            requested = self._requested.is_set()
            self._requested.clear()
            digest = self._digest()
            if requested:
                log.info("reloading the config (SIGHUP)")
            elif digest == self._seen:
                continue
            else:
                log.info("the config file changed; reloading it")
            self._seen = digest
            self.service.reload()

    def wake(self) -> None:
        """Let the thread see ``service.stop`` now."""
        self._requested.set()
