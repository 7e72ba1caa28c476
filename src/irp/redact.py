"""Keep secrets out of logs: every log line is scrubbed of the config's secret values.

Messages IRP writes itself never carry a secret, but libraries log too (httpx,
asyncssh, SQLAlchemy at debug level), and an exception text may quote what a server
sent back. Once the config is loaded, :func:`install_redaction` puts a filter on every
root handler that replaces each resolved secret value with ``<secret>``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

MASK = "<secret>"

#: Shorter values are not masked: they would blank out ordinary words and digits.
MIN_SECRET_LENGTH = 4


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret value (longest first) replaced by ``<secret>``."""
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= MIN_SECRET_LENGTH and secret in text:
            text = text.replace(secret, MASK)
    return text


class RedactingFilter(logging.Filter):
    """A handler filter that scrubs the formatted message and any exception text."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__("irp.redact")
        self.secrets = frozenset(s for s in secrets if len(s) >= MIN_SECRET_LENGTH)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        scrubbed = redact(message, self.secrets)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        if record.exc_info and record.exc_info[1] is not None:
            formatted = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(formatted, self.secrets)
            record.exc_info = None
        return True


def install_redaction(secrets: Iterable[str], logger: logging.Logger | None = None) -> None:
    """Scrub ``secrets`` from everything the handlers of ``logger`` (default: root) emit.

    Installing again replaces the previous filter, so a reloaded config's secrets
    take over.
    """
    target = logger or logging.getLogger()
    new = RedactingFilter(secrets)
    for handler in target.handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactingFilter)]:
            handler.removeFilter(old)
        handler.addFilter(new)
