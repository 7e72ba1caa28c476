"""Cron expressions for schedules (``offers.schedule``), always in UTC.

Standard five fields — ``minute hour day-of-month month day-of-week`` — with ``*``,
lists (``1,15``), ranges (``1-5``), steps (``*/30``, ``0-30/10``, ``5/15``), month and
weekday names (``JAN``, ``MON-FRI``; 0 and 7 are Sunday) and the macros ``@hourly``,
``@daily``/``@midnight``, ``@weekly``, ``@monthly``, ``@yearly``/``@annually``. As in
Vixie cron, when both day fields are restricted a day matches if *either* does.

An optional sixth field *in front* gives seconds (``*/5 * * * * *``: every five
seconds), as Quartz and Spring write it; a feed never needs that, tests do.

The scheduler only ever asks one question — "which slot is the latest one at or
before now?" (:meth:`CronSchedule.latest`) — and compares it with what the database
says already ran, so a missed slot (the service was down) runs once when it comes back.

>>> CronSchedule.parse("*/30 * * * *").latest(datetime(2026, 5, 1, 10, 47, tzinfo=UTC))
datetime.datetime(2026, 5, 1, 10, 30, tzinfo=datetime.timezone.utc)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

__all__ = ["CronError", "CronSchedule", "parse_cron"]

MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
MONTHS = {
    m: i
    for i, m in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1
    )
}
WEEKDAYS = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}
SEARCH_YEARS = 8  # Feb 29 on a given weekday comes back within 28 years; "29 2" within 8

_PIECE = re.compile(r"^(?P<range>\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:/(?P<step>\d+))?$")


class CronError(ValueError):
    """An expression that is not cron syntax; the message says which field and why."""


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: dict[str, int] | None = None


_SECOND = _Field("second", 0, 59)
_MINUTE = _Field("minute", 0, 59)
_HOUR = _Field("hour", 0, 23)
_DAY = _Field("day-of-month", 1, 31)
_MONTH = _Field("month", 1, 12, MONTHS)
_WEEKDAY = _Field("day-of-week", 0, 7, WEEKDAYS)


@dataclass(frozen=True)
class CronSchedule:
    """A parsed cron expression; every time it names is a UTC instant."""

    expression: str
    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    days_restricted: bool
    weekdays_restricted: bool

    @classmethod
    def parse(cls, expression: str) -> CronSchedule:
        """Parse ``expression``; raises CronError naming the field that is wrong."""
        text = " ".join(expression.split())
        fields = MACROS.get(text.lower(), text).split(" ")
        if len(fields) == 5:
            fields = ["0", *fields]
        elif len(fields) != 6:
            raise CronError(
                f"{expression!r} has {len(fields)} field(s); expected five: minute hour "
                "day-of-month month day-of-week (UTC), e.g. '*/30 * * * *'"
            )
        second, minute, hour, day, month, weekday = fields
        weekdays = frozenset(d % 7 for d in _values(weekday, _WEEKDAY))
        schedule = cls(
            expression=text,
            seconds=_values(second, _SECOND),
            minutes=_values(minute, _MINUTE),
            hours=_values(hour, _HOUR),
            days=_values(day, _DAY),
            months=_values(month, _MONTH),
            weekdays=weekdays,
            days_restricted=day != "*",
            weekdays_restricted=weekday != "*",
        )
        if not any(schedule._day_matches(d) for d in _days_back(date(2024, 12, 31))):
            raise CronError(f"{expression!r} never fires (no such day, e.g. 30 February)")
        return schedule

    def matches(self, moment: datetime) -> bool:
        """Whether ``moment`` (taken in UTC, to the second) is one of the schedule's times."""
        at = moment.astimezone(UTC)
        return (
            self._day_matches(at.date())
            and at.hour in self.hours
            and at.minute in self.minutes
            and at.second in self.seconds
        )

    def latest(self, moment: datetime) -> datetime | None:
        """The latest scheduled time at or before ``moment`` (UTC, whole seconds).

        None only when nothing fired in the :data:`SEARCH_YEARS` before ``moment``.
        """
        at = moment.astimezone(UTC).replace(microsecond=0)
        limit = (at.hour, at.minute, at.second)
        for day in _days_back(at.date()):
            if not self._day_matches(day):
                continue
            found = self._latest_time(limit if day == at.date() else (23, 59, 59))
            if found is not None:
                hour, minute, second = found
                return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)
        return None

    def _latest_time(self, limit: tuple[int, int, int]) -> tuple[int, int, int] | None:
        for hour in sorted(self.hours, reverse=True):
            if hour > limit[0]:
                continue
            for minute in sorted(self.minutes, reverse=True):
                if (hour, minute) > limit[:2]:
                    continue
                for second in sorted(self.seconds, reverse=True):
                    if (hour, minute, second) <= limit:
                        return hour, minute, second
        return None

    def _day_matches(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        in_month = day.day in self.days
        in_week = (day.isoweekday() % 7) in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return in_month or in_week
        return in_month and in_week


@lru_cache(maxsize=256)
def parse_cron(expression: str) -> CronSchedule:
    """:meth:`CronSchedule.parse`, cached (the scheduler asks every sweep)."""
    return CronSchedule.parse(expression)


def _days_back(start: date) -> list[date]:
    return [start - timedelta(days=n) for n in range(366 * SEARCH_YEARS + 2)]


def _values(text: str, field: _Field) -> frozenset[int]:
    values: set[int] = set()
    for piece in text.split(","):
        match = _PIECE.match(piece)
        if match is None:
            raise CronError(f"{field.name} field {text!r}: {piece!r} is not cron syntax")
        step = int(match.group("step")) if match.group("step") else 1
        if step == 0:
            raise CronError(f"{field.name} field {text!r}: a step of 0 never advances")
        span = match.group("range")
        if span == "*":
            low, high = field.low, field.high
        elif "-" in span:
            first, last = span.split("-")
            low, high = _number(first, field, text), _number(last, field, text)
            if low > high:
                raise CronError(f"{field.name} field {text!r}: {span} runs backwards")
        else:
            low = _number(span, field, text)
            high = field.high if match.group("step") else low
        values.update(range(low, high + 1, step))
    return frozenset(values)


def _number(text: str, field: _Field, whole: str) -> int:
    upper = text.upper()
    if field.names is not None and upper in field.names:
        return field.names[upper]
    if not text.isdigit():
        raise CronError(f"{field.name} field {whole!r}: {text!r} is not a number")
    value = int(text)
    if not field.low <= value <= field.high:
        raise CronError(
            f"{field.name} field {whole!r}: {value} is outside {field.low}-{field.high}"
        )
    return value
