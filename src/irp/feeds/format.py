"""What every feed reader and validator shares: the format keys, row issues, names.

Line numbers (``RowIssue.line`` and the ``line`` column): for CSV the physical line,
the header being line 1 (a quoted field spanning lines counts all its lines); with
``heading=False`` the first record is line 1; for JSON/XML the 1-based record index.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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

    @classmethod
    def from_config(cls, offers: Any) -> FeedFormat:
        """Take the format keys of an ``OffersConfig`` (read by attribute name)."""
        return cls(
            type=str(getattr(offers, "type", "csv")),
            separator=str(getattr(offers, "separator", ",")),
            heading=bool(getattr(offers, "heading", True)),
            encoding=str(getattr(offers, "encoding", "auto")),
            price_locale=str(getattr(offers, "price_locale", "en_US")),
            mapping=dict(getattr(offers, "mapping", {})),
            records_path=getattr(offers, "records_path", None),
        )


@dataclass(frozen=True)
class RowIssue:
    """One problem in one feed row: ``line``, the feed's ``column`` name, and what is wrong."""

    line: int
    column: str
    message: str


def source_column(fmt: FeedFormat, source: str) -> str:
    if fmt.type == "csv" and not fmt.heading:
        return f"column_{source.strip()}"
    return source


def sorted_issues(issues: list[RowIssue]) -> list[RowIssue]:
    return sorted(issues, key=lambda issue: issue.line)


def quoted_names(names: list[str]) -> str:
    return ", ".join(repr(n) for n in names)
