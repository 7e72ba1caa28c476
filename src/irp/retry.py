"""Exponential backoff with jitter, for everything IRP retries until it succeeds."""

from __future__ import annotations

import random


def backoff_delay(
    attempt: int,
    *,
    base: float,
    cap: float,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1 = the first).

    ``base * 2**(attempt-1)`` capped at ``cap``, scaled by a random factor in [0.5, 1)
    so a burst of failures does not come back as a burst; never less than the other
    side's ``Retry-After``.

    >>> 5.0 <= backoff_delay(2, base=5, cap=60, rng=random.Random(1)) < 10.0
    True
    """
    plain = min(base * 2 ** max(attempt - 1, 0), cap)
    jittered = plain * (0.5 + (rng or random).random() / 2)
    return float(max(jittered, retry_after or 0.0))
