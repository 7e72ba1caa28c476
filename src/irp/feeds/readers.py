"""Reading feed bytes into a frame of text columns: CSV (fast, or exact when damaged),
JSON and XML.

Only the mapped columns are read, as text. Polars pads a short row with empty fields,
so when the last column has empties the fields of every physical line are counted
(vectorized, outside quotes) before the fast result is trusted; a CSV whose rows do not
all have the header's number of fields is re-read with Python's ``csv`` module to name
each broken line. JSON and XML feeds are small and read with the standard library.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

import polars as pl

from irp.errors import FeedError
from irp.feeds.decode import decode_feed
from irp.feeds.format import (
    LINE,
    ROW_COLUMN,
    FeedFormat,
    RowIssue,
    quoted_names,
)
from irp.feeds.numbers import locale_numbers


def read_csv(data: bytes, fmt: FeedFormat) -> tuple[pl.DataFrame, list[RowIssue], str]:
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
    return frame.with_columns(line.alias(LINE)), [], encoding


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
    return frame.with_columns(pl.Series(LINE, lines, dtype=pl.Int64)), issues


def read_json(text: str, fmt: FeedFormat) -> pl.DataFrame:
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


def read_xml(text: str, fmt: FeedFormat) -> pl.DataFrame:
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
            f"no record has the mapped {kind}(s) {quoted_names(missing)}; "
            f"fix offers.mapping or ask the supplier"
        )
    decimal = locale_numbers(fmt.price_locale).decimal
    columns = {s: [_text(r.get(s), decimal) for r in records] for s in sources}
    frame = pl.DataFrame(columns, schema=dict.fromkeys(sources, pl.String))
    return frame.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(LINE))


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
