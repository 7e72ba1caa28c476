"""The queue that carries wake-ups: SqliteHuey on one machine, RedisHuey to scale out.

- Default: Huey's SqliteHuey in a file beside the SQLite database
  (``irp-acceptance.db`` -> ``irp-acceptance-queue.db``), or beside the config file
  when the database is PostgreSQL — durable, nothing to install.
- ``IRP_QUEUE_URL=redis://HOST:PORT/DB``: Huey's RedisHuey, shared by every
  ``irp serve`` and ``irp worker`` of the installation.
- ``IRP_QUEUE_NAME``: the queue's name (default ``irp-<env>``); two installations on
  one Redis keep apart by it. Redis keys are ``huey.*.<name>`` (non-alphanumerics
  dropped from the name).

Messages are JSON (:class:`JsonSerializer`), never pickle: whoever can write to the
Redis must not be able to run code in the workers. A message names a task and plain
arguments; the database says what is due, so a lost or repeated message costs a
delay, never an order.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey
from huey.registry import Message
from huey.serializer import Serializer
from sqlalchemy.engine import make_url

from irp.errors import ConfigError

__all__ = ["QUEUE_NAME_ENV", "QUEUE_URL_ENV", "JsonSerializer", "QueueSettings", "open_queue"]

QUEUE_URL_ENV = "IRP_QUEUE_URL"
QUEUE_NAME_ENV = "IRP_QUEUE_NAME"
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
_SQLITE_BUSY_SECONDS = 30


@dataclass(frozen=True)
class QueueSettings:
    """Where the queue is: a Redis URL, or a SQLite file; and its name."""

    name: str
    redis_url: str | None = None
    path: Path | None = None

    @classmethod
    def from_environment(
        cls,
        env: str,
        db_url: str,
        config_path: Path,
        environ: Mapping[str, str] | None = None,
    ) -> QueueSettings:
        """The queue for this installation; ConfigError naming the variable if it is wrong."""
        environ = os.environ if environ is None else environ
        name = environ.get(QUEUE_NAME_ENV) or f"irp-{env}"
        if not _NAME.match(name):
            raise ConfigError(
                QUEUE_NAME_ENV, f"{name!r}: use up to 100 letters, digits, '.', '-' or '_'"
            )
        url = environ.get(QUEUE_URL_ENV, "").strip()
        if url:
            if not url.startswith(("redis://", "rediss://", "unix://")):
                raise ConfigError(
                    QUEUE_URL_ENV,
                    "expected redis://HOST:PORT/DB (or rediss://, unix://); unset it to use "
                    "the embedded queue beside the database",
                )
            return cls(name=name, redis_url=url)
        return cls(name=name, path=_queue_file(db_url, config_path, env))

    def describe(self) -> str:
        """Where the queue is, for logs and errors (a Redis password is hidden)."""
        if self.redis_url is not None:
            shown = make_url(self.redis_url.replace("unix://", "redis://", 1))
            return f"redis {shown.render_as_string(hide_password=True)} queue {self.name}"
        return f"sqlite {self.path} queue {self.name}"


def _queue_file(db_url: str, config_path: Path, env: str) -> Path:
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        database = Path(str(url.database)).expanduser().resolve()
        return database.with_name(f"{database.stem}-queue.db")
    return config_path.expanduser().resolve().parent / f"irp-{env}-queue.db"


def open_queue(settings: QueueSettings) -> Huey:
    """A Huey instance on ``settings`` (no task registered yet; see :mod:`irp.jobs.tasks`)."""
    serializer = JsonSerializer()
    if settings.redis_url is not None:
        return RedisHuey(
            settings.name,
            url=settings.redis_url,
            results=False,
            serializer=serializer,
            blocking=True,
            read_timeout=1,
        )
    assert settings.path is not None
    return SqliteHuey(
        settings.name,
        filename=str(settings.path),
        results=False,
        serializer=serializer,
        timeout=_SQLITE_BUSY_SECONDS,
    )


class JsonSerializer(Serializer):  # type: ignore[misc]
    """Huey messages as JSON: task name, plain arguments, times as ISO 8601.

    Pipelines (``on_complete``, chords) are not carried: IRP's tasks never chain.
    """

    def _serialize(self, data: Any) -> bytes:
        message = data._asdict()
        for link in ("on_complete", "on_error", "chord_config"):
            if message.pop(link) is not None:
                raise ValueError(f"IRP's queue carries no task {link}")
        for key in ("eta", "expires", "expires_resolved"):
            value = message[key]
            if isinstance(value, datetime):
                message[key] = {"datetime": value.isoformat()}
            elif value is not None and not isinstance(value, int | float):
                raise ValueError(f"cannot queue {key}={value!r}")
        message["args"] = list(message["args"] or ())
        return json.dumps(message, separators=(",", ":")).encode()

    def _deserialize(self, data: bytes) -> Any:
        raw = json.loads(data)
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            raise ValueError("not an IRP queue message")
        for key in ("eta", "expires", "expires_resolved"):
            value = raw.get(key)
            if isinstance(value, dict):
                raw[key] = datetime.fromisoformat(value["datetime"])
        raw["args"] = tuple(raw.get("args") or ())
        return Message(**{key: raw.get(key) for key in Message._fields})
