"""Reading a refurbisher's ``Retry-After`` header: strictly, and never for too long.

RFC 9110 allows two forms: delta-seconds (ASCII digits) or an HTTP-date. Python's
``str.isdigit()`` also accepts "²" and "٣", and ``float()`` of a trillion seconds
overflows ``now + timedelta``; neither may crash a submission. Used for order answers
(:mod:`irp.orders.classify`) and for an OAuth2 token endpoint (:mod:`irp.orders.auth`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

__all__ = ["RETRY_AFTER_CAP_SECONDS", "parse_retry_after"]

RETRY_AFTER_CAP_SECONDS = 24 * 3600.0
"""A ``Retry-After`` longer than a day is read as a day: the order stays due, not lost."""

_DELTA_SECONDS = re.compile(r"[0-9]+")  # ASCII digits only: str.isdigit() accepts "²"


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP-date).

    >>> parse_retry_after("120", datetime(2025, 1, 1, tzinfo=UTC))
    120.0
    >>> parse_retry_after("Wed, 01 Jan 2025 00:01:00 GMT", datetime(2025, 1, 1, tzinfo=UTC))
    60.0

    Only ASCII digits count as seconds ("²" and "٣" are not numbers here). A date in
    the past gives 0; anything beyond :data:`RETRY_AFTER_CAP_SECONDS` gives the cap; an
    unreadable value gives None (the backoff applies). Never raises.
    """
    if value is None:
        return None
    text = value.strip(" \t")
    if not text:
        return None
    if _DELTA_SECONDS.fullmatch(text):
        digits = text.lstrip("0") or "0"
        if len(digits) > len(str(int(RETRY_AFTER_CAP_SECONDS))):
            return RETRY_AFTER_CAP_SECONDS  # no int() of a 5,000-digit string
        return min(float(int(digits)), RETRY_AFTER_CAP_SECONDS)
    if not text.isascii():
        return None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        seconds = (when - now).total_seconds()
    except OverflowError:
        return None
    return min(max(seconds, 0.0), RETRY_AFTER_CAP_SECONDS)
