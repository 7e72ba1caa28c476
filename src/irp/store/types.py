"""Column types that behave the same on SQLite and PostgreSQL.

Two things SQLite cannot do natively and IRP depends on:

- **Exact money.** SQLAlchemy's ``Numeric`` on SQLite goes through float. ``Money`` is
  ``NUMERIC(14, 4)`` on PostgreSQL and a canonical decimal *string* on SQLite
  (``"249.0000"``: always four decimals), so a ``Decimal`` comes back exactly as it went
  in. A value with more than four decimals or more than ten integer digits is refused
  rather than rounded.
- **Aware UTC datetimes.** ``UtcDateTime`` is ``TIMESTAMP WITH TIME ZONE`` on PostgreSQL
  and SQLAlchemy's ``YYYY-MM-DD HH:MM:SS.ffffff`` string (UTC) on SQLite; it refuses naive
  datetimes on the way in and returns aware UTC datetimes on the way out.

The bulk paths in ``offers.py`` bypass SQLAlchemy's type processing and write the same
representations themselves (``SQLITE_DATETIME_FORMAT``, four-decimal strings).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from irp.errors import StoreError

MONEY_PRECISION = 14
MONEY_SCALE = 4
_QUANTUM = Decimal(1).scaleb(-MONEY_SCALE)
_MAX_MONEY = Decimal(10) ** (MONEY_PRECISION - MONEY_SCALE)
SQLITE_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def to_money(value: Decimal | str | int) -> Decimal:
    """``value`` as an exact four-decimal ``Decimal``; refuses floats and lost digits.

    >>> to_money("0.1")
    Decimal('0.1000')
    """
    if isinstance(value, float):
        raise StoreError(f"money must be Decimal or a decimal string, not float {value!r}")
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:
        raise StoreError(f"{value!r} is not a decimal amount") from exc
    if not amount.is_finite() or abs(amount) >= _MAX_MONEY:
        raise StoreError(f"amount {value} does not fit NUMERIC(14, 4)")
    quantized = amount.quantize(_QUANTUM)
    if quantized != amount:
        raise StoreError(f"amount {value} has more than {MONEY_SCALE} decimals")
    return quantized


def to_utc(value: datetime) -> datetime:
    """``value`` converted to UTC; a naive datetime is a programming error."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise StoreError(f"naive datetime {value.isoformat()} given; use an aware UTC datetime")
    return value.astimezone(UTC)


def sqlite_datetime(value: datetime) -> str:
    """How a UTC instant is stored on SQLite (what SQLAlchemy's DATETIME writes)."""
    return to_utc(value).strftime(SQLITE_DATETIME_FORMAT)


class Money(TypeDecorator[Decimal]):
    """Exact ``Decimal`` money: NUMERIC(14, 4) on PostgreSQL, a 4-decimal string on SQLite."""

    impl = sa.Numeric(MONEY_PRECISION, MONEY_SCALE)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.String(24))
        return dialect.type_descriptor(sa.Numeric(MONEY_PRECISION, MONEY_SCALE))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        amount = to_money(value)
        return str(amount) if dialect.name == "sqlite" else amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(value).quantize(_QUANTUM)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both backends; naive datetimes are refused."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        utc = to_utc(value)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # raw SQL on SQLite hands back the stored string
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]
