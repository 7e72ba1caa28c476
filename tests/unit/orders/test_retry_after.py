"""``Retry-After`` is read strictly and capped: a refurbisher's header never crashes a send."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from irp.orders.retry_after import RETRY_AFTER_CAP_SECONDS, parse_retry_after

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
DAY = 24 * 3600.0


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 5 ", 5.0),
        ("0", 0.0),
        ("00005", 5.0),
        ("86400", DAY),
        ("86401", DAY),
        ("999999999999", DAY),
        ("9" * 5000, DAY),  # int() of 5,000 digits would raise ValueError
        ("Sun, 01 Jun 2025 12:05:00 GMT", 300.0),
        ("Sun, 01 Jun 2025 11:00:00 GMT", 0.0),
        ("Fri, 31 Dec 9999 23:59:59 GMT", DAY),
    ],
)
def test_retry_after_gives_capped_seconds(header: str, seconds: float) -> None:
    assert parse_retry_after(header, NOW) == seconds


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "   ",
        "soon",
        "²",  # str.isdigit() is True: float("²") raised ValueError before
        "٣",  # Arabic-Indic three: isdigit() True, and float() reads it as 3
        "１２",  # fullwidth digits
        "-5",
        "1.5",
        "Wed, 01 Jan 99999 00:00:00 GMT",
        "Wed, 32 Jan 2025 00:00:00 GMT",
        "Wed, 01 Jan 2025 00:00:00 +9999",
    ],
)
def test_unreadable_retry_after_is_none_so_the_backoff_applies(header: str | None) -> None:
    assert parse_retry_after(header, NOW) is None


@given(header=st.text(max_size=60), offset=st.integers(min_value=-(10**6), max_value=10**6))
def test_any_header_gives_none_or_seconds_within_the_cap(header: str, offset: int) -> None:
    now = NOW + timedelta(seconds=offset)
    seconds = parse_retry_after(header, now)
    assert seconds is None or 0.0 <= seconds <= RETRY_AFTER_CAP_SECONDS
    if seconds is not None:
        now + timedelta(seconds=seconds)  # never overflows


@given(digits=st.from_regex(r"\A[0-9]{1,40}\Z"))
def test_ascii_digits_are_seconds(digits: str) -> None:
    assert parse_retry_after(digits, NOW) == min(float(int(digits)), RETRY_AFTER_CAP_SECONDS)
