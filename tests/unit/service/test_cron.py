from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from irp.cron import CronError, CronSchedule, parse_cron


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("expression", "moment", "latest"),
    [
        ("*/30 * * * *", at(2026, 5, 1, 10, 47, 12), at(2026, 5, 1, 10, 30)),
        ("*/30 * * * *", at(2026, 5, 1, 10, 30), at(2026, 5, 1, 10, 30)),
        ("0 3 * * *", at(2026, 5, 1, 2, 59), at(2026, 4, 30, 3, 0)),
        ("15 9 * * MON-FRI", at(2026, 5, 3, 12, 0), at(2026, 5, 1, 9, 15)),  # Sunday -> Friday
        ("0 0 1 JAN *", at(2026, 5, 1), at(2026, 1, 1)),
        ("0 0 29 2 *", at(2026, 5, 1), at(2024, 2, 29)),
        ("0 12 13 * 5", at(2026, 5, 4), at(2026, 5, 1, 12, 0)),  # 13th OR a Friday
        ("@hourly", at(2026, 5, 1, 10, 47), at(2026, 5, 1, 10, 0)),
        ("*/5 * * * * *", at(2026, 5, 1, 10, 47, 13), at(2026, 5, 1, 10, 47, 10)),
        ("0 0 * * 7", at(2026, 5, 6), at(2026, 5, 3)),  # 7 is Sunday too
    ],
)
def test_latest_is_the_last_scheduled_time_at_or_before(
    expression: str, moment: datetime, latest: datetime
) -> None:
    assert CronSchedule.parse(expression).latest(moment) == latest


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        (
            "*/30 * * *",
            "'*/30 * * *' has 4 field(s); expected five: minute hour day-of-month month "
            "day-of-week (UTC), e.g. '*/30 * * * *'",
        ),
        ("*/0 * * * *", "minute field '*/0': a step of 0 never advances"),
        ("60 * * * *", "minute field '60': 60 is outside 0-59"),
        ("0 5-1 * * *", "hour field '5-1': 5-1 runs backwards"),
        ("0 0 * FOO *", "month field 'FOO': 'FOO' is not a number"),
        ("0 0 30 2 *", "'0 0 30 2 *' never fires (no such day, e.g. 30 February)"),
        ("0 0 * * 1;2", "day-of-week field '1;2': '1;2' is not cron syntax"),
    ],
)
def test_a_wrong_expression_names_the_field_and_why(expression: str, message: str) -> None:
    with pytest.raises(CronError) as refused:
        CronSchedule.parse(expression)
    assert str(refused.value) == message


@given(st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2090, 1, 1)))
def test_latest_matches_and_nothing_later_matches(naive: datetime) -> None:
    moment = naive.replace(tzinfo=UTC, microsecond=0)
    schedule = parse_cron("7,37 */2 * * MON,THU")
    latest = schedule.latest(moment)
    assert latest is not None and latest <= moment
    assert schedule.matches(latest)
    minute = latest.replace(second=0)
    steps = int((moment - minute).total_seconds() // 60)
    for step in range(1, min(steps, 2 * 24 * 60) + 1):
        assert not schedule.matches(minute + timedelta(minutes=step))
