"""Feed bytes -> canonical offers: read (``readers``), map, validate (``validate``).

Everything runs as polars expressions; no Python loop runs per row on a healthy feed.
The sync uses the two halves separately: :func:`read_feed` (raw mapped text, which it
hashes to skip unchanged rows) and :func:`validate_rows` (for the rest);
:func:`parse_feed` is both. Line numbers and the shared types are in ``format``.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from irp.errors import FeedError
from irp.feeds.decode import decode_feed, strip_bom
from irp.feeds.documents import read_json, read_xml
from irp.feeds.format import (
    CANONICAL_FIELDS,
    LINE,
    MAX_FIELD_CHARS,
    ROW_COLUMN,
    FeedFormat,
    RowIssue,
    cut_value,
    quoted_names,
    sorted_issues,
    source_column,
)
from irp.feeds.readers import read_csv
from irp.feeds.validate import kept_row_issues, validate_rows

__all__ = [
    "CANONICAL_FIELDS",
    "ROW_COLUMN",
    "FeedFormat",
    "ParsedFeed",
    "RawFeed",
    "RowIssue",
    "kept_row_issues",
    "parse_feed",
    "read_feed",
    "validate_rows",
]


@dataclass(frozen=True)
class ParsedFeed:
    """The valid offers (with their ``line``), every row issue, rows read, encoding used."""

    offers: pl.DataFrame
    errors: list[RowIssue]
    rows: int
    encoding: str


def parse_feed(data: bytes, fmt: FeedFormat) -> ParsedFeed:
    """Read, map and validate a feed.

    Raises ``FeedError`` when the whole feed must be refused: empty, undecodable in the
    configured encoding, or missing a mapped column. Row problems never raise; they
    come back in ``ParsedFeed.errors``.
    """
    raw = read_feed(data, fmt)
    offers, row_issues = validate_rows(raw.frame, fmt)
    return ParsedFeed(offers, sorted_issues(raw.issues + row_issues), raw.rows, raw.encoding)


@dataclass(frozen=True)
class RawFeed:
    """A feed read but not validated: one row per record, as text.

    ``frame`` has ``line`` and one String column per mapped field, named after the
    field (``sku``, ``ean``, ...), with the feed's text untouched (null = empty).
    ``issues`` are the records that could not be read at all (ragged rows, a value
    longer than ``MAX_FIELD_CHARS``), one per record.
    """

    frame: pl.DataFrame
    issues: list[RowIssue]
    encoding: str

    @property
    def rows(self) -> int:
        """Records read, the unreadable ones included."""
        return self.frame.height + len(self.issues)


def read_feed(data: bytes, fmt: FeedFormat) -> RawFeed:
    """Read a feed and keep only its mapped columns (renamed to their fields).

    The sync hashes this raw text to skip unchanged rows before any validation; the
    ``FeedError`` cases are those of :func:`parse_feed`.
    """
    if "sku" not in fmt.mapping or "price_purchase_amount" not in fmt.mapping:
        raise FeedError("offers.mapping must map sku and price_purchase_amount")
    body, _ = strip_bom(data)
    if not bytes(body[:4096]).strip() and not bytes(body).strip():
        raise FeedError("the feed is empty")
    if fmt.type == "csv":
        frame, issues, encoding = read_csv(data, fmt)
    elif fmt.type == "json":
        text, encoding = decode_feed(data, fmt.encoding)
        frame, issues = read_json(text, fmt), []
        del text
    elif fmt.type == "xml":
        text, encoding = decode_feed(data, fmt.encoding)
        frame, issues = read_xml(text, fmt), []
        del text
    else:
        raise FeedError(f"unknown offers.type {fmt.type!r}; use csv, json or xml")
    mapped = _mapped(frame, fmt)
    if fmt.type == "csv":  # a blank line, or one of separators only, is no row
        fields = [f for f in mapped.columns if f != LINE]
        mapped = mapped.filter(~pl.all_horizontal(pl.col(f).is_null() for f in fields))
    mapped, too_long = _without_long_values(mapped, fmt)
    return RawFeed(mapped, issues + too_long, encoding)


def _without_long_values(
    frame: pl.DataFrame, fmt: FeedFormat
) -> tuple[pl.DataFrame, list[RowIssue]]:
    """Take out the rows with a value longer than ``MAX_FIELD_CHARS``, one issue each.

    Such a value is a broken file, not an offer; it is quoted cut short. Cheap when no
    value is that long (one byte-length check per column).
    """
    fields = [f for f in frame.columns if f != LINE]
    suspect = pl.any_horizontal(pl.col(f).str.len_bytes() > MAX_FIELD_CHARS for f in fields)
    if frame.height == 0 or not frame.select(suspect.any()).item():
        return frame, []
    long_field = pl.coalesce(
        pl.when(pl.col(f).str.len_chars() > MAX_FIELD_CHARS).then(pl.lit(f)) for f in fields
    )
    marked = frame.with_columns(long_field.alias("_long"))
    issues = [
        RowIssue(
            row[LINE],
            fmt.mapping.get(row["_long"], row["_long"]),
            f"a value of {len(row[row['_long']]):,} characters, more than the "
            f"{MAX_FIELD_CHARS:,} a feed value may have: '{row['_cut']}'",
            sku=row["_sku"],
            value=row["_cut"],
        )
        for row in marked.filter(pl.col("_long").is_not_null())
        .with_columns(
            cut_value(
                pl.coalesce(pl.when(pl.col("_long") == f).then(pl.col(f)) for f in fields)
            ).alias("_cut"),
            cut_value(pl.col("sku").str.strip_chars()).alias("_sku"),
        )
        .iter_rows(named=True)
    ]
    return marked.filter(pl.col("_long").is_null()).drop("_long"), issues


def _mapped(frame: pl.DataFrame, fmt: FeedFormat) -> pl.DataFrame:
    columns = {f: source_column(fmt, s) for f, s in fmt.mapping.items()}
    missing = [fmt.mapping[f] for f, c in columns.items() if c not in frame.columns]
    if missing:
        present = [c for c in frame.columns if c != LINE]
        raise FeedError(
            f"the feed's header lacks the mapped column(s) {quoted_names(missing)}; "
            f"it has {quoted_names(present)}; fix offers.mapping or ask the supplier"
        )
    return frame.select(pl.col(LINE), *(pl.col(c).alias(f) for f, c in columns.items()))
