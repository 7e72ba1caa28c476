"""What every feed reader and validator shares: the format keys, row issues, names,
and the size limits on feed values.

Line numbers (``RowIssue.line`` and the ``line`` column): for CSV the physical line,
the header being line 1 (a quoted field spanning lines counts all its lines); with
``heading=False`` the first record is line 1; for JSON/XML the 1-based record index.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl

CANONICAL_FIELDS = (
    "sku",
    "name",
    "ean",
    "stock_available",
    "price_purchase_amount",
    "price_consumer_amount",
)
ROW_COLUMN = "(row)"
"""``RowIssue.column`` for a problem of the whole row (ragged, duplicate-free)."""

LINE = "line"
"""The column that carries each row's line number."""

MAX_FIELD_CHARS = 10_000
"""The longest mapped value a row may carry; a longer one makes the row a row error.

No SKU, name, price or EAN comes near it: such a value is a broken file (a number
written out to fifty million digits, a whole file in one field), and it must not be
copied into memory, the database and every message again.
"""

QUOTED_CHARS = 200
"""How much of a value a row error quotes; a longer value is cut and ends with ``…``."""

PRICE_FORMAT = "price_format"
"""``RowIssue.kind`` of a purchase price that does not parse in the feed's locale (the
invalid-row guard asks whether ``price_locale`` is right when most rows fail this way)."""


@dataclass(frozen=True)
class FeedFormat:
    """How to read one refurbisher's feed (the format keys of ``offers``).

    ``mapping`` maps a canonical field to its source: a header name for a CSV with a
    heading, a 1-based column number (``"3"``) for ``heading=False``, a key for JSON
    and a child element or attribute name for XML. ``records_path`` is, for JSON, the
    dotted path to the list of records (default: the top level is the list) and, for
    XML, the element name of one record.
    """

    type: str = "csv"
    separator: str = ","
    heading: bool = True
    encoding: str = "auto"
    price_locale: str = "en_US"
    mapping: Mapping[str, str] = field(default_factory=dict)
    records_path: str | None = None
    currency: str | None = None
    """The ISO code prices are in (the refurbisher's ``settings.currency``): only its
    sign is accepted on a price, another currency's sign is a row error. ``None``
    accepts the signs of the locale's own territory."""

    @classmethod
    def from_config(cls, offers: Any, *, currency: str | None = None) -> FeedFormat:
        """Take the format keys of an ``OffersConfig`` (read by attribute name), and the
        refurbisher's ``settings.currency``."""
        return cls(
            type=str(getattr(offers, "type", "csv")),
            separator=str(getattr(offers, "separator", ",")),
            heading=bool(getattr(offers, "heading", True)),
            encoding=str(getattr(offers, "encoding", "auto")),
            price_locale=str(getattr(offers, "price_locale", "en_US")),
            mapping=dict(getattr(offers, "mapping", {})),
            records_path=getattr(offers, "records_path", None),
            currency=currency,
        )


@dataclass(frozen=True)
class RowIssue:
    """One problem in one feed row: ``line``, the feed's ``column`` name, and what is wrong.

    ``sku`` (the row's SKU, when it has one), ``kind`` (e.g. :data:`PRICE_FORMAT`) and
    ``value`` (the offending value, cut like the message quotes it) are for the guards
    and the row-error export; two issues are equal when line, column and message are.
    """

    line: int
    column: str
    message: str
    sku: str | None = field(default=None, compare=False)
    kind: str = field(default="", compare=False)
    value: str | None = field(default=None, compare=False)


def source_column(fmt: FeedFormat, source: str) -> str:
    if fmt.type == "csv" and not fmt.heading:
        return f"column_{source.strip()}"
    return source


def sorted_issues(issues: list[RowIssue]) -> list[RowIssue]:
    return sorted(issues, key=lambda issue: issue.line)


def quoted_names(names: list[str]) -> str:
    return ", ".join(repr(n) for n in names)


def cut_text(text: str, limit: int = QUOTED_CHARS) -> str:
    """``text`` cut to ``limit`` characters, ending with ``…`` when it was longer."""
    return text if len(text) <= limit else text[:limit] + "\u2026"


def cut_value(value: pl.Expr, limit: int = QUOTED_CHARS) -> pl.Expr:
    """:func:`cut_text` as a polars expression over a String column."""
    return (
        pl.when(value.str.len_chars() > limit)
        .then(value.str.slice(0, limit) + pl.lit("\u2026"))
        .otherwise(value)
    )
