"""Logs of the long-running processes (``irp serve``, ``irp worker``), SPEC §8.

One JSON object per line on stderr — ``{"time", "level", "logger", "message", ...}``
plus whatever is known about the work in hand: ``refurbisher``, ``order_id``,
``run_id``, ``task``. Code binds those with :func:`log_context` and every line logged
inside the block, by IRP or a library, carries them (context variables: they follow
the thread and the asyncio task, not the call stack; a thread pool started inside the
block does not inherit them, so bind again per item there). ``--log-format text``
gives one readable line per record for people.

Secrets: :func:`irp.redact.install_redaction` puts its filter on the handler this
module installs, so it must run after :func:`configure_logging` (the service does).
The filter scrubs the message and the exception text; context values are ids.

>>> with log_context(refurbisher="flexit", order_id="5001"):
...     logging.getLogger("irp.orders").info("sent")   # -> {"...", "order_id": "5001"}
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

__all__ = [
    "CONTEXT_FIELDS",
    "JsonFormatter",
    "LogFormat",
    "TextFormatter",
    "configure_logging",
    "current_context",
    "log_context",
]

LogFormat = Literal["json", "text"]

#: The context keys, in the order a text line shows them.
CONTEXT_FIELDS = ("task", "refurbisher", "order_id", "run_id", "actor")

#: Libraries that log every request or task at INFO: one line per HTTP call to a
#: refurbisher would drown the service's own lines.
QUIET_LOGGERS = ("httpx", "httpcore", "huey", "asyncssh", "multipart", "alembic")

_context: ContextVar[Mapping[str, Any]] = ContextVar("irp_log_context", default={})  # noqa: B039
_RESERVED = frozenset({"time", "level", "logger", "message", "exception"})


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Add ``fields`` (None values are left out) to every log line inside the block."""
    added = {key: value for key, value in fields.items() if value is not None}
    token = _context.set({**_context.get(), **added})
    try:
        yield
    finally:
        _context.reset(token)


def current_context() -> dict[str, Any]:
    """The fields :func:`log_context` bound here (for handing to another thread)."""
    return dict(_context.get())


class _ContextFilter(logging.Filter):
    """Copies the bound context onto each record as ``irp_context``."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.irp_context = dict(_context.get())
        return True


def _utc(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _exception(formatter: logging.Formatter, record: logging.LogRecord) -> str | None:
    if record.exc_info and not record.exc_text:
        record.exc_text = formatter.formatException(record.exc_info)
    return record.exc_text or None


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    context = getattr(record, "irp_context", None) or {}
    return {
        key: value for key, value in context.items() if key not in _RESERVED and value is not None
    }


class JsonFormatter(logging.Formatter):
    """One JSON object per record; non-JSON values are written as their text."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _utc(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_fields(record))
        exception = _exception(self, record)
        if exception:
            entry["exception"] = exception
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``2026-05-01T10:00:00.123Z INFO irp.jobs [refurbisher=flexit] message``."""

    def format(self, record: logging.LogRecord) -> str:
        fields = _fields(record)
        ordered = [k for k in CONTEXT_FIELDS if k in fields] + sorted(
            k for k in fields if k not in CONTEXT_FIELDS
        )
        context = " ".join(f"{key}={fields[key]}" for key in ordered)
        line = f"{_utc(record)} {record.levelname:<7} {record.name}"
        if context:
            line += f" [{context}]"
        line += f" {record.getMessage()}"
        exception = _exception(self, record)
        return f"{line}\n{exception}" if exception else line


def configure_logging(
    log_format: LogFormat = "json", level: str = "info", stream: TextIO | None = None
) -> logging.Handler:
    """Send every log record to ``stream`` (stderr) as JSON lines or text; the handler.

    Replaces the root logger's handlers (the CLI's plain ``basicConfig`` one), so it
    must run before the config is loaded and redaction is installed.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(_ContextFilter("irp.logs"))
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    return handler
