"""What the API, the scheduler and the workers of one process share: :class:`Service`.

It holds the config — swapped whole on a reload, never edited — the environment's
database, the queue with IRP's tasks registered, and the ``stop`` event every piece of
work watches. Nothing is opened at import: :meth:`Service.open` does it.

Reload (SIGHUP, or the config file changed): the file is loaded and validated in full,
secrets resolved again; if anything is wrong the new config is refused, the old one
keeps running, and the refusal is logged (``irp.jobs.service``, level error), kept in
:attr:`Service.reload_error` for ``/healthz`` and counted on ``/metrics``. Work already
running finishes under the config it started with; every sync run and order attempt
records the hash of the config it ran under.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from irp.config import Config, load_config
from irp.errors import ConfigErrors, IrpError
from irp.jobs.intake import GroupIntake
from irp.jobs.queue import QueueSettings, open_queue
from irp.redact import install_redaction
from irp.store.db import Database, default_database_url, open_database

if TYPE_CHECKING:
    from huey import Huey

    from irp.jobs.tasks import Tasks

__all__ = ["ReloadStatus", "Service"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReloadStatus:
    """The last reload: when, whether it was refused, and why."""

    at: datetime
    refused: str | None = None


class Service:
    """One process's share of the running service (see the module docstring)."""

    def __init__(
        self,
        *,
        config_path: Path,
        env: str,
        config: Config,
        db: Database,
        queue_settings: QueueSettings,
        queue: Huey,
    ) -> None:
        from irp.jobs.tasks import Tasks

        self.config_path = config_path
        self.env = env
        self.db = db
        self.queue_settings = queue_settings
        self.queue = queue
        self.stop = threading.Event()
        self.started_at = datetime.now(UTC)
        self.reload_status: ReloadStatus | None = None
        self.reload_refusals = 0
        self._config = config
        self._secrets: set[str] = set(config.secret_values())
        self._reload_lock = threading.Lock()
        self._idle = threading.Condition()
        self.tasks: Tasks = Tasks(queue, self)
        self.intake = GroupIntake(db)
        # Runs a piece of work on a thread of this process's workers (name, work);
        # None when this process has no workers (irp serve --no-worker).
        self.local_runner: Callable[[str, Callable[[], None]], None] | None = None

    @classmethod
    def open(
        cls,
        config_path: Path,
        env: str,
        db_url: str | None,
        *,
        extra_secrets: Iterable[str] = (),
    ) -> Service:
        """Load the config (ConfigErrors if it does not load), open the database and
        the queue. ``extra_secrets`` (the API tokens) are redacted from logs too."""
        config = load_config(config_path, env)
        url = db_url or default_database_url(config_path, env)
        queue_settings = QueueSettings.from_environment(env, url, config_path)
        db = open_database(url, env)
        try:
            service = cls(
                config_path=config_path,
                env=env,
                config=config,
                db=db,
                queue_settings=queue_settings,
                queue=open_queue(queue_settings),
            )
        except BaseException:
            db.close()
            raise
        service._secrets.update(extra_secrets)
        install_redaction(service._secrets)
        return service

    # -- the config -------------------------------------------------------------------

    def config(self) -> Config:
        """The config in force now (a reload swaps it between two pieces of work)."""
        return self._config

    @property
    def reload_error(self) -> str | None:
        """Why the last reload was refused, or None when it loaded (or none was tried)."""
        return self.reload_status.refused if self.reload_status is not None else None

    def reload(self) -> bool:
        """Load the config file again; keep the old config if the new one does not load.

        A new config in which a refurbisher that runs now has errors of its own is
        refused as a whole too: at start-up such a refurbisher is set aside (and shown
        red), but a reload must not take a working refurbisher out of service.
        """
        with self._reload_lock:
            old = self._config
            try:
                new = load_config(self.config_path, self.env)
                newly_broken = [
                    error
                    for key, errors in new.broken.items()
                    if key not in old.broken
                    for error in errors
                ]
                if newly_broken:  # a working refurbisher is never taken down by a reload
                    raise ConfigErrors(newly_broken)
            except IrpError as exc:
                self.reload_refusals += 1
                self.reload_status = ReloadStatus(datetime.now(UTC), refused=str(exc))
                log.error("config reload refused, still running config %s: %s", old.hash[:12], exc)
                return False
            self._secrets.update(new.secret_values())
            install_redaction(self._secrets)
            self._config = new
            self.reload_status = ReloadStatus(datetime.now(UTC))
            if new.hash == old.hash:
                log.info("config reloaded: unchanged (%s)", new.hash[:12])
            else:
                log.info("config reloaded: %s -> %s", old.hash[:12], new.hash[:12])
            return True

    # -- work in this process ---------------------------------------------------------

    def notify_workers(self) -> None:
        """Wake a worker thread of this process that waits for the queue (SQLite polls)."""
        with self._idle:
            self._idle.notify()

    def wait_for_work(self, seconds: float) -> None:
        """Sleep up to ``seconds``, or until work is queued here or the service stops."""
        with self._idle:
            if not self.stop.is_set():
                self._idle.wait(seconds)

    def shut_down(self) -> None:
        """Stop taking work: passes stop claiming orders, idle workers wake and exit."""
        self.stop.set()
        with self._idle:
            self._idle.notify_all()

    def close(self) -> None:
        """Close the database and the queue's connections."""
        self.db.close()
        storage = self.queue.storage
        close = getattr(storage, "close", None)
        if close is not None:
            close()
