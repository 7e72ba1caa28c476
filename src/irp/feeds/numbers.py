"""Strict, vectorized number parsing in a feed's locale.

Babel's own parser is lenient (in nl_NL it reads ``12.5`` as 125), so this module only
borrows Babel's locale *data* — decimal symbol, group symbol, the sign of the feed's
currency — and builds one anchored regex from it. A value either matches exactly
(groups of exactly three digits, at most ``MONEY_SCALE`` decimals, an optional sign of
the feed's currency before or after) or it is a row error; nothing is guessed. A price
that carries another currency's sign (``$1,249.00``, ``USD 12,00``, ``12,00 £`` in an
EUR feed) is a row error that names the sign, never silently read as the feed's
currency.

Money becomes **integer minor units** (cents: ``MONEY_SCALE = 2``) — exact, and cheap
for polars to compute with; ``price.py`` turns them into ``pl.Decimal(18, 2)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

import polars as pl
from babel import Locale, UnknownLocaleError
from babel.numbers import (
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    get_territory_currencies,
    list_currencies,
)

__all__ = [
    "MAX_INTEGER_DIGITS",
    "MONEY_SCALE",
    "LocaleNumbers",
    "locale_numbers",
    "parse_count",
    "parse_money",
]

MONEY_SCALE = 2
"""Decimals kept for money: amounts are exact integer cents; more decimals is a row error."""

MAX_INTEGER_DIGITS = 15
"""Digits allowed before the decimal symbol (keeps cents inside Int64 and Decimal(18, 2))."""

_SPACES = "\u0020\u00a0\u202f"

#: Currency signs as written outside the locale's own CLDR data (narrow and prefixed
#: dollar forms, Nordic and Central European signs).
_COMMON_SIGNS = (
    *("$", "US$", "CA$", "AU$", "NZ$", "HK$", "R$", "£", "¥", "CN¥", "JP¥"),
    *("₹", "₽", "₩", "₺", "₪", "₫", "₴", "₦", "₱", "฿", "kr", "zł", "Kč", "Ft", "lei"),
)

#: The text before the first digit, and after the last (a sign, a minus aside).
_LEADING = r"^[\s\u00a0\u202f]*-?[\s\u00a0\u202f]*([^\d\s\u00a0\u202f.,\-]+)"
_TRAILING = r"([^\d\s\u00a0\u202f.,\-]+)[\s\u00a0\u202f]*$"


@dataclass(frozen=True)
class LocaleNumbers:
    """What a number looks like in one locale, and the regex that accepts exactly that."""

    locale: str
    decimal: str
    group: str
    currency_symbols: tuple[str, ...]
    pattern: str
    currency: str = ""
    """The currency (or currencies) prices are in, for messages: ``EUR``."""
    foreign_signs: tuple[str, ...] = ()
    """Signs and ISO codes of every other currency: on a price, a row error."""


@lru_cache(maxsize=32)
def locale_numbers(locale: str, currency: str | None = None) -> LocaleNumbers:
    """Build the strict number pattern of ``locale`` (e.g. ``nl_NL``) from Babel's data.

    ``currency`` (an ISO code: the refurbisher's ``settings.currency``) is the only
    currency whose sign a price may carry; without it, those of the locale's territory.
    Raises ``ValueError`` for a locale Babel does not know.
    """
    try:
        parsed = Locale.parse(locale)
    except (UnknownLocaleError, ValueError) as exc:
        raise ValueError(f"unknown price_locale {locale!r}; use e.g. 'nl_NL' or 'en_US'") from exc
    decimal = get_decimal_symbol(parsed)
    group = get_group_symbol(parsed)
    if currency:
        codes = [currency]
    else:
        codes = list(get_territory_currencies(parsed.territory)) if parsed.territory else []
    symbols = sorted(
        {s for code in codes for s in (get_currency_symbol(code, parsed), code)},
        key=len,
        reverse=True,
    )

    def chars(symbol: str) -> str:
        return f"[{re.escape(_SPACES)}]" if symbol in _SPACES else re.escape(symbol)

    currency = "|".join(re.escape(s) for s in symbols)
    space = f"[{re.escape(_SPACES)}]*"
    prefix = f"(?:(?:{currency}){space})?" if symbols else ""
    suffix = f"(?:{space}(?:{currency}))?" if symbols else ""
    number = f"(-?)([0-9]{{1,3}}(?:{chars(group)}[0-9]{{3}})+|[0-9]+)(?:{chars(decimal)}([0-9]+))?"
    pattern = f"^{prefix}{number}{suffix}$"
    return LocaleNumbers(
        str(parsed),
        decimal,
        group,
        tuple(symbols),
        pattern,
        currency=", ".join(codes) or "the locale's currency",
        foreign_signs=_foreign_signs(parsed, frozenset(symbols)),
    )


def _foreign_signs(locale: Locale, own: frozenset[str]) -> tuple[str, ...]:
    """Every currency sign (in ``locale`` and in English) and ISO code that is not ``own``."""
    signs = set(_COMMON_SIGNS)
    for code in list_currencies():
        signs |= {code, get_currency_symbol(code, locale), get_currency_symbol(code, "en")}
    return tuple(sorted(s for s in signs - own if s and not any(c.isdigit() for c in s)))


def parse_money(frame: pl.DataFrame, column: str, numbers: LocaleNumbers) -> pl.DataFrame:
    """Add ``{column}_cents`` (exact Int64 cents), ``{column}_problem`` and
    ``{column}_format_error`` to ``frame``.

    ``column`` holds trimmed strings (null = empty). The problem is null when the value
    is fine or empty, else what is wrong (``"not a number in nl_NL"``, ``"has another
    currency's sign ('$'); prices must be in EUR"``, ``"more than 2 decimals"``,
    ``"too large (...)"``) for the caller to quote. ``format_error`` is true where the
    value does not have the locale's shape (the "not a number" case). Done in stages so
    polars materializes each intermediate once.
    """
    value = pl.col(column)
    staged = frame.with_columns(
        value.str.contains(numbers.pattern).alias("_ok_shape"),
        value.str.replace_all(f"[^0-9{re.escape(numbers.decimal)}-]", "").alias("_cleaned"),
    )
    staged = staged.with_columns(_foreign_sign(staged, column, numbers).alias("_foreign"))
    staged = staged.with_columns(
        pl.col("_cleaned").str.find(numbers.decimal, literal=True).cast(pl.Int64).alias("_point"),
        pl.col("_cleaned").str.len_bytes().cast(pl.Int64).alias("_size"),
        pl.col("_cleaned").str.starts_with("-").cast(pl.Int64).alias("_negative"),
    )
    fraction_len = pl.col("_point").is_null().not_() * (pl.col("_size") - pl.col("_point") - 1)
    fraction_len = fraction_len.fill_null(0)
    integer_len = pl.col("_point").fill_null(pl.col("_size")) - pl.col("_negative")
    staged = staged.with_columns(
        (integer_len <= MAX_INTEGER_DIGITS).alias("_whole"),
        (fraction_len <= MONEY_SCALE).alias("_exact"),
        fraction_len.alias("_fraction_len"),
    )
    ok = pl.col("_ok_shape") & pl.col("_whole") & pl.col("_exact")
    digits = pl.col("_cleaned").str.replace(numbers.decimal, "", literal=True)
    scale = pl.lit(10, pl.Int64).pow(MONEY_SCALE - pl.col("_fraction_len").clip(0, MONEY_SCALE))
    problem = (
        pl.when(value.is_null())
        .then(pl.lit(None, pl.String))
        .when(pl.col("_foreign").is_not_null())
        .then(
            pl.format(
                "has another currency's sign ('{}'); prices must be in {}",
                pl.col("_foreign"),
                pl.lit(numbers.currency),
            )
        )
        .when(~pl.col("_ok_shape"))
        .then(pl.lit(f"not a number in {numbers.locale}"))
        .when(~pl.col("_whole"))
        .then(pl.lit(f"too large (more than {MAX_INTEGER_DIGITS} digits)"))
        .when(~pl.col("_exact"))
        .then(pl.lit(f"more than {MONEY_SCALE} decimals"))
    )
    return staged.with_columns(
        pl.when(ok).then(digits.cast(pl.Int64, strict=False) * scale).alias(f"{column}_cents"),
        problem.alias(f"{column}_problem"),
        (value.is_not_null() & ~pl.col("_ok_shape") & pl.col("_foreign").is_null()).alias(
            f"{column}_format_error"
        ),
    ).drop(
        "_ok_shape",
        "_foreign",
        "_cleaned",
        "_point",
        "_size",
        "_negative",
        "_whole",
        "_exact",
        "_fraction_len",
    )


def _foreign_sign(staged: pl.DataFrame, column: str, numbers: LocaleNumbers) -> pl.Expr:
    """The other currency's sign a value carries (null for most): looked for only when
    some value does not have the locale's shape, so a healthy feed pays nothing."""
    if staged.get_column("_ok_shape").fill_null(True).all():
        return pl.lit(None, pl.String)
    value = pl.col(column)
    leading = value.str.extract(_LEADING, 1)
    trailing = value.str.extract(_TRAILING, 1)
    foreign = pl.lit(pl.Series(numbers.foreign_signs, dtype=pl.String)).implode()
    return (
        pl.when(~pl.col("_ok_shape") & leading.is_in(foreign))
        .then(leading)
        .when(~pl.col("_ok_shape") & trailing.is_in(foreign))
        .then(trailing)
    )


def parse_count(value: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Parse trimmed strings as a whole number >= 0 (``"12"``; not ``"-1"``, ``"1,5"``).

    Returns ``(count, problem)`` like :func:`parse_money`; an empty value is a problem
    here too, because stock is required.
    """
    ok = value.str.contains(f"^[0-9]{{1,{MAX_INTEGER_DIGITS}}}$")
    count = pl.when(ok).then(value.cast(pl.Int64, strict=False))
    problem = (
        pl.when(value.is_null())
        .then(pl.lit("empty; a whole number >= 0 is required"))
        .when(~ok)
        .then(pl.lit("not a whole number >= 0"))
    )
    return count, problem


def cents_to_decimal(cents: pl.Expr) -> pl.Expr:
    """Integer cents as an exact ``pl.Decimal(18, 2)`` (decimal arithmetic, no float)."""
    return (cents.cast(pl.Decimal(38, 0)) * pl.lit(Decimal("0.01"))).cast(MONEY_DTYPE)


def cents_text(cents: pl.Expr) -> pl.Expr:
    """Integer cents as a plain decimal string: ``24900`` -> ``"249.00"``."""
    return cents_to_decimal(cents).cast(pl.String)


MONEY_DTYPE = pl.Decimal(18, MONEY_SCALE)
"""The dtype of every money column IRP produces."""
