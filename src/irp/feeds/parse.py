"""Feed bytes -> canonical offers: read, map, validate — vectorized with polars.

Only the mapped columns are read, as text, and converted with polars expressions; no
Python loop runs per row on a healthy CSV. Two slow but exact paths exist only for
damaged files: a CSV whose rows do not all have the header's number of fields (or whose
quoting polars refuses, or with a quoted field spanning lines and an empty last column)
is re-read with Python's ``csv`` module to name each broken line; JSON and XML feeds
are small and read with the standard library. Polars pads a short row with empty
fields, so when the last column has empties the fields of every physical line are
counted (vectorized, outside quotes) before the fast result is trusted.

The sync uses the two halves separately: :func:`read_feed` (raw mapped text, which it
hashes to skip unchanged rows) and :func:`validate_rows` (for the rest);
:func:`parse_feed` is both.

Line numbers (``RowIssue.line`` and the ``line`` column): for CSV the physical line,
the header being line 1 (a quoted field spanning lines counts all its lines); with
``heading=False`` the first record is line 1; for JSON/XML the 1-based record index.
Blank lines are skipped silently.

Validation (SPEC §2): a row without a usable ``sku``, ``stock_available`` or
``price_purchase_amount`` is dropped and reported. An unusable EAN or SRP
(``price_consumer_amount``) is reported and stored as null; the offer stays. Duplicate
SKUs: the first valid row wins, later ones are reported.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

import polars as pl

from irp.errors import FeedError
from irp.feeds.decode import decode_feed, strip_bom
from irp.feeds.ean import ean_problem
from irp.feeds.numbers import (
    cents_to_decimal,
    locale_numbers,
    parse_count,
    parse_money,
)

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

_LINE = "line"


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
    return ParsedFeed(offers, _sorted(raw.issues + row_issues), raw.rows, raw.encoding)


@dataclass(frozen=True)
class RawFeed:
    """A feed read but not validated: one row per record, as text.

    ``frame`` has ``line`` and one String column per mapped field, named after the
    field (``sku``, ``ean``, ...), with the feed's text untouched (null = empty).
    ``issues`` are the records that could not be read at all (ragged rows).
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
        frame, issues, encoding = _read_csv(data, fmt)
    elif fmt.type == "json":
        text, encoding = decode_feed(data, fmt.encoding)
        frame, issues = _read_json(text, fmt), []
        del text
    elif fmt.type == "xml":
        text, encoding = decode_feed(data, fmt.encoding)
        frame, issues = _read_xml(text, fmt), []
        del text
    else:
        raise FeedError(f"unknown offers.type {fmt.type!r}; use csv, json or xml")
    return RawFeed(_mapped(frame, fmt), issues, encoding)


def _mapped(frame: pl.DataFrame, fmt: FeedFormat) -> pl.DataFrame:
    columns = {f: _source_column(fmt, s) for f, s in fmt.mapping.items()}
    missing = [fmt.mapping[f] for f, c in columns.items() if c not in frame.columns]
    if missing:
        present = [c for c in frame.columns if c != _LINE]
        raise FeedError(
            f"the feed's header lacks the mapped column(s) {_names(missing)}; "
            f"it has {_names(present)}; fix offers.mapping or ask the supplier"
        )
    return frame.select(pl.col(_LINE), *(pl.col(c).alias(f) for f, c in columns.items()))


# --- reading -------------------------------------------------------------------------


def _read_csv(data: bytes, fmt: FeedFormat) -> tuple[pl.DataFrame, list[RowIssue], str]:
    buffer = data  # polars skips a UTF-8 BOM itself
    encoding = "utf-8"
    if fmt.encoding == "windows-1252":
        text, encoding = decode_feed(data, fmt.encoding)
        buffer = text.encode("utf-8")
    frame, width = _read_csv_mapped(buffer, fmt)
    if frame is None and encoding == "utf-8":
        text, encoding = decode_feed(data, fmt.encoding)  # names a bad byte, or picks 1252
        if encoding == "windows-1252":
            buffer = text.encode("utf-8")
            frame, width = _read_csv_mapped(buffer, fmt)
    if frame is None or (
        frame.width
        and frame[frame.columns[-1]].null_count()
        and _has_ragged_lines(buffer, fmt.separator, width)
    ):
        # polars pads a short row with nulls; only the line-by-line read names it.
        slow_frame, issues = _read_csv_slow(str(buffer, "utf-8").lstrip("\ufeff"), fmt)
        return slow_frame, issues, encoding
    if not fmt.heading:
        frame.columns = [f"column_{i + 1}" for i in range(frame.width)]
    first = 2 if fmt.heading else 1
    index = pl.int_range(0, pl.len(), dtype=pl.Int64)
    heading_lines = 1 if fmt.heading else 0
    if buffer.count(b"\n") > frame.height + heading_lines:  # a quoted field spans lines
        whole = frame if frame.width == width else _read_csv_fast(buffer, fmt)
        assert whole is not None  # the same bytes read a moment ago
        spans = whole.select(
            pl.sum_horizontal(
                pl.col(c).str.count_matches("\n", literal=True).fill_null(0) for c in whole.columns
            ).cast(pl.Int64)
        ).to_series()
        line = first + index + spans.cum_sum() - spans
    else:
        line = first + index
    return frame.with_columns(line.alias(_LINE)), [], encoding


def _read_csv_mapped(buffer: bytes, fmt: FeedFormat) -> tuple[pl.DataFrame | None, int]:
    """Read only the mapped columns (and the last, for the ragged-row check) when the
    header has them all: half the work of reading every column. Also the header width.
    """
    if not fmt.heading:
        frame = _read_csv_fast(buffer, fmt)
        return frame, 0 if frame is None else frame.width
    header = _read_csv_fast(buffer, fmt, n_rows=0)
    if header is None:
        return None, 0
    names = header.columns
    wanted = {*fmt.mapping.values(), *names[-1:]}
    if len(set(names)) != len(names) or not wanted <= set(names):
        return _read_csv_fast(buffer, fmt), len(names)  # the mapping check names what lacks
    return _read_csv_fast(buffer, fmt, columns=[n for n in names if n in wanted]), len(names)


def _has_ragged_lines(buffer: bytes, separator: str, width: int) -> bool:
    """Whether a physical line has other than ``width`` fields (counted outside quotes).

    Polars reads a row cut short as trailing empty fields, so an empty last column
    needs this check. A quoted field spanning lines cannot be counted per line: that
    rare file also counts as ragged and takes the exact (slow) reader.
    """
    try:
        lines = pl.read_csv(
            buffer,
            has_header=False,
            separator="\x00",
            quote_char=None,
            new_columns=["text"],
            infer_schema=False,
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError:
        return True
    text = pl.col("text")
    quoted = text.str.contains('"', literal=True)
    unquoted = pl.when(quoted).then(text.str.replace_all('"[^"]*"', "")).otherwise(text)
    fields = unquoted.str.count_matches(separator, literal=True) + 1
    odd_quotes = quoted & (text.str.count_matches('"', literal=True) % 2 == 1)
    ragged = text.is_not_null() & ((fields != width) | odd_quotes)
    return bool(lines.select(ragged.any()).item())


def _read_csv_fast(
    buffer: bytes, fmt: FeedFormat, *, columns: list[str] | None = None, n_rows: int | None = None
) -> pl.DataFrame | None:
    try:
        return pl.read_csv(
            buffer,
            separator=fmt.separator,
            has_header=fmt.heading,
            infer_schema=False,
            raise_if_empty=False,
            columns=columns,
            n_rows=n_rows,
        )
    except pl.exceptions.PolarsError:
        return None


def _read_csv_slow(text: str, fmt: FeedFormat) -> tuple[pl.DataFrame, list[RowIssue]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=fmt.separator)
    issues: list[RowIssue] = []
    header: list[str] | None = None
    records: list[list[str]] = []
    lines: list[int] = []
    previous = 0
    try:
        for record in reader:
            line, previous = previous + 1, reader.line_num
            if not record:
                continue
            if header is None:
                header = record if fmt.heading else [f"column_{i + 1}" for i in range(len(record))]
                if fmt.heading:
                    continue
            if len(record) != len(header):
                issues.append(
                    RowIssue(
                        line,
                        ROW_COLUMN,
                        f"row has {len(record)} fields, the header has {len(header)}",
                    )
                )
                continue
            records.append(record)
            lines.append(line)
    except csv.Error:
        issues.append(RowIssue(previous + 1, ROW_COLUMN, "unterminated quoted field (cut off?)"))
    names = header or []
    frame = pl.DataFrame(
        {name: [r[i] for r in records] for i, name in enumerate(names)},
        schema=dict.fromkeys(names, pl.String),
    ).with_columns(pl.col(n).replace("", None) for n in names)
    return frame.with_columns(pl.Series(_LINE, lines, dtype=pl.Int64)), issues


def _read_json(text: str, fmt: FeedFormat) -> pl.DataFrame:
    try:
        document = json.loads(text, parse_float=_json_number, parse_int=_json_number)
    except json.JSONDecodeError as exc:
        raise FeedError(f"the feed is not valid JSON: {exc}") from exc
    records: Any = document
    for key in (fmt.records_path or "").split(".") if fmt.records_path else []:
        records = records.get(key) if isinstance(records, dict) else None
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        where = fmt.records_path or "the top level"
        raise FeedError(f"the JSON feed has no list of objects at {where}; check records_path")
    return _frame_from_records(records, fmt, "key")


def _read_xml(text: str, fmt: FeedFormat) -> pl.DataFrame:
    if not fmt.records_path:
        raise FeedError("an XML feed needs offers.records_path (the element name of a record)")
    try:
        root = ElementTree.fromstring(text.encode("utf-8"))
    except ElementTree.ParseError as exc:
        raise FeedError(f"the feed is not valid XML: {exc}") from exc
    records = []
    for element in root.iter(fmt.records_path):
        record: dict[str, Any] = dict(element.attrib)
        for child in element:
            record[child.tag] = child.text
        records.append(record)
    return _frame_from_records(records, fmt, "element")


def _json_number(text: str) -> _Number:
    return _Number(text)


class _Number(str):
    """A JSON number kept as its exact text (never a float)."""


def _frame_from_records(records: list[dict[str, Any]], fmt: FeedFormat, kind: str) -> pl.DataFrame:
    sources = list(dict.fromkeys(fmt.mapping.values()))
    missing = [s for s in sources if not any(s in r for r in records)]
    if records and missing:
        raise FeedError(
            f"no record has the mapped {kind}(s) {_names(missing)}; "
            f"fix offers.mapping or ask the supplier"
        )
    decimal = locale_numbers(fmt.price_locale).decimal
    columns = {s: [_text(r.get(s), decimal) for r in records] for s in sources}
    frame = pl.DataFrame(columns, schema=dict.fromkeys(sources, pl.String))
    return frame.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(_LINE))


def _text(value: Any, decimal: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, _Number):  # a JSON number: write it the way the locale does
        return format(Decimal(value), "f").replace(".", decimal)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value)


# --- validation ----------------------------------------------------------------------


def _source_column(fmt: FeedFormat, source: str) -> str:
    if fmt.type == "csv" and not fmt.heading:
        return f"column_{source.strip()}"
    return source


def validate_rows(
    frame: pl.DataFrame, fmt: FeedFormat, *, keep: tuple[str, ...] = (), flag: str | None = None
) -> tuple[pl.DataFrame, list[RowIssue]]:
    """Validate the ``frame`` of a :class:`RawFeed` (or some of its rows).

    Returns the valid offers (duplicates dropped) and every problem found, by line.
    Columns named in ``keep`` (e.g. the sync's ``row_hash``) pass through unchanged;
    with ``flag``, a Boolean column of that name is true for an offer kept despite a
    problem (bad SRP or EAN).
    """
    numbers = locale_numbers(fmt.price_locale)
    label = dict(fmt.mapping)  # canonical field -> the column name the operator knows
    extras = [f for f in fmt.mapping if f not in CANONICAL_FIELDS]
    mapped = _trimmed(frame, (*CANONICAL_FIELDS, *extras), keep)
    stock, stock_problem = parse_count(pl.col("stock_available"))
    mapped = parse_money(mapped, "price_purchase_amount", numbers)
    mapped = parse_money(mapped, "price_consumer_amount", numbers)
    purchase = pl.col("price_purchase_amount_cents")
    srp = pl.col("price_consumer_amount_cents")
    checked = mapped.with_columns(
        stock.alias("_stock"),
        pl.when(pl.col("sku").is_null()).then(pl.lit("empty; a sku is required")).alias("_p_sku"),
        stock_problem.alias("_p_stock"),
        pl.when(pl.col("price_purchase_amount").is_null())
        .then(pl.lit("empty; a purchase price is required"))
        .when(pl.col("price_purchase_amount_problem").is_not_null())
        .then(pl.col("price_purchase_amount_problem"))
        .when(purchase <= 0)
        .then(pl.lit("must be greater than 0"))
        .alias("_p_purchase"),
        _srp_problem().alias("_p_srp"),
        ean_problem(pl.col("ean")).alias("_p_ean"),
    )
    checks = (  # field, problem column, what happens to the offer
        ("sku", "_p_sku", ""),
        ("stock_available", "_p_stock", ""),
        ("price_purchase_amount", "_p_purchase", ""),
        *_KEPT_CHECKS,
    )
    found = _issue_frames(checked, checks, label)
    valid = checked.filter(
        pl.col("_p_sku").is_null() & pl.col("_p_stock").is_null() & pl.col("_p_purchase").is_null()
    ).with_columns(pl.col("sku").is_first_distinct().alias("_first"))
    later = valid.filter(~pl.col("_first"))
    if later.height:  # rare: only then find where each duplicated sku was first seen
        first_seen = valid.filter(pl.col("_first") & pl.col("sku").is_in(later["sku"].implode()))
        found.append(
            later.join(
                first_seen.select("sku", pl.col(_LINE).alias("_first_line")), on="sku"
            ).select(
                pl.col(_LINE),
                pl.lit(len(checks), pl.Int32).alias("_order"),
                pl.lit(label["sku"]).alias("column"),
                pl.format("duplicate sku {}, first seen on line {}", "sku", "_first_line").alias(
                    "message"
                ),
            )
        )
    offers = valid.filter(pl.col("_first")).select(
        pl.col(_LINE),
        pl.col("sku"),
        pl.col("name"),
        pl.when(pl.col("_p_ean").is_null()).then(pl.col("ean")).alias("ean"),
        pl.col("_stock").alias("stock_available"),
        cents_to_decimal(purchase).alias("price_purchase_amount"),
        cents_to_decimal(pl.when(pl.col("_p_srp").is_null()).then(srp)).alias(
            "price_consumer_amount"
        ),
        *(pl.col(f) for f in extras),
        *(pl.col(k) for k in keep),
        *(
            [(pl.col("_p_srp").is_not_null() | pl.col("_p_ean").is_not_null()).alias(flag)]
            if flag
            else []
        ),
    )
    return offers, _issue_list(found)


_KEPT_CHECKS = (  # problems that keep the offer: field, problem column, outcome
    ("price_consumer_amount", "_p_srp", " (SRP left empty)"),
    ("ean", "_p_ean", " (EAN left empty)"),
)


def kept_row_issues(frame: pl.DataFrame, fmt: FeedFormat) -> list[RowIssue]:
    """The problems of rows known to be valid that keep the offer: a bad SRP or EAN.

    The sync does not re-validate rows unchanged since the last sync, yet such a
    problem must be reported on every run (the row errors go back to the refurbisher).
    Numbered like :func:`validate_rows` numbers them.
    """
    numbers = locale_numbers(fmt.price_locale)
    fields = [f for f in ("price_consumer_amount", "ean") if f in frame.columns]
    if not fields or frame.height == 0:
        return []
    mapped = _trimmed(frame, ("price_consumer_amount", "ean"))
    mapped = mapped.filter(pl.any_horizontal(pl.col(f).is_not_null() for f in fields))
    mapped = parse_money(mapped, "price_consumer_amount", numbers)
    checked = mapped.with_columns(
        _srp_problem().alias("_p_srp"), ean_problem(pl.col("ean")).alias("_p_ean")
    )
    found = _issue_frames(checked, _KEPT_CHECKS, dict(fmt.mapping), first_order=3)
    return _issue_list(found)


def _trimmed(
    frame: pl.DataFrame, fields: tuple[str, ...], keep: tuple[str, ...] = ()
) -> pl.DataFrame:
    """``line`` and ``fields`` stripped of spaces; empty and unmapped fields are null."""

    def text(f: str) -> pl.Expr:
        if f not in frame.columns:
            return pl.lit(None, pl.String)
        value = pl.col(f).str.strip_chars()
        return pl.when(value.str.len_bytes() > 0).then(value)

    return frame.select(pl.col(_LINE), *(text(f).alias(f) for f in fields), *keep)


def _srp_problem() -> pl.Expr:
    return (
        pl.when(pl.col("price_consumer_amount_problem").is_not_null())
        .then(pl.col("price_consumer_amount_problem"))
        .when(pl.col("price_consumer_amount_cents") <= 0)
        .then(pl.lit("must be greater than 0"))
    )


def _issue_frames(
    checked: pl.DataFrame,
    checks: tuple[tuple[str, str, str], ...],
    label: dict[str, str],
    *,
    first_order: int = 0,
) -> list[pl.DataFrame]:
    return [
        checked.filter(pl.col(problem).is_not_null()).select(
            pl.col(_LINE),
            pl.lit(order).alias("_order"),
            pl.lit(label.get(f, f)).alias("column"),
            pl.when(pl.col(f).is_null())
            .then(pl.col(problem))
            .otherwise(pl.format("{}: '{}'{}", pl.col(problem), pl.col(f), pl.lit(outcome)))
            .alias("message"),
        )
        for order, (f, problem, outcome) in enumerate(checks, start=first_order)
    ]


def _issue_list(found: list[pl.DataFrame]) -> list[RowIssue]:
    issues = pl.concat(found).sort(_LINE, "_order", maintain_order=True)
    return [RowIssue(line, col, msg) for line, _, col, msg in issues.iter_rows()]


def _sorted(issues: list[RowIssue]) -> list[RowIssue]:
    return sorted(issues, key=lambda issue: issue.line)


def _names(names: list[str]) -> str:
    return ", ".join(repr(n) for n in names)
