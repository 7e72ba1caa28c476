"""Reading CSV feed bytes into a frame of text columns (fast, or exact when damaged).

Only the mapped columns are read, as text. Polars pads a short row with empty fields,
so when the last column has empties the fields of every physical line are counted
(vectorized, outside quotes) before the fast result is trusted; a CSV whose rows do not
all have the header's number of fields is re-read with Python's ``csv`` module to name
each broken line.

**A stray quote.** A value that opens ``"`` and is not closed where it should be runs on
over the following lines, so whole rows become part of one value: read naively, a
3,000-row feed with a stray quote on row 2,000 silently loses the rows after it. A
row that spans a line break (a quoted value holding it) is taken for legitimate text
only when its values hold, in all, fewer separators than a whole row has (the header's
fields less one) and it has the header's number of fields. Otherwise the feed is
refused (:class:`FeedError`, naming the line where the quote opened and the line the
value runs on to): rows swallowed into values bring their separators with them, and a
quote closed elsewhere leaves its row with the wrong number of fields.

These checks cost nothing on a feed without quoted line breaks: the number of physical
lines equals the number of rows read, and nothing more is looked at.
"""

from __future__ import annotations

import csv
import io
import re

import polars as pl

from irp.errors import FeedError
from irp.feeds.decode import decode_feed
from irp.feeds.format import (
    LINE,
    ROW_COLUMN,
    FeedFormat,
    RowIssue,
)

__all__ = ["read_csv"]


def read_csv(data: bytes, fmt: FeedFormat) -> tuple[pl.DataFrame, list[RowIssue], str]:
    """The mapped columns of a CSV feed as text, with ``line``; the ragged rows; the
    encoding used. Raises ``FeedError`` for a stray quote or a compressed file."""
    _refuse_compressed(data)
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
        return _read_exactly(buffer, data, fmt, encoding)
    if not fmt.heading:
        frame.columns = [f"column_{i + 1}" for i in range(frame.width)]
    first = 2 if fmt.heading else 1
    heading_lines = 1 if fmt.heading else 0
    index = pl.int_range(0, pl.len(), dtype=pl.Int64)
    if _physical_lines(buffer) <= frame.height + heading_lines:
        return frame.with_columns((first + index).alias(LINE)), [], encoding
    # A quoted value spans lines: number the rows by the lines each one spans, and make
    # sure no value swallowed whole rows.
    whole = frame if frame.width == width else _read_csv_fast(buffer, fmt)
    if whole is None or whole.width != width:
        return _read_exactly(buffer, data, fmt, encoding)
    if not fmt.heading:
        whole.columns = frame.columns
    spans = whole.select(
        pl.sum_horizontal(_line_breaks(pl.col(c)) for c in whole.columns).cast(pl.Int64)
    ).to_series()
    line = (first + index + spans.cum_sum() - spans).alias(LINE)
    _refuse_swallowed_rows(whole.with_columns(line).filter(spans > 0), fmt)
    return frame.with_columns(line), [], encoding


def _read_exactly(
    buffer: bytes, data: bytes, fmt: FeedFormat, encoding: str
) -> tuple[pl.DataFrame, list[RowIssue], str]:
    """:func:`_read_csv_slow` of ``buffer`` (UTF-8), or of ``data`` decoded again when
    polars read it without looking at the columns holding bytes that are not UTF-8."""
    try:
        text = str(buffer, "utf-8")
    except UnicodeDecodeError:
        text, encoding = decode_feed(data, fmt.encoding)
    frame, issues = _read_csv_slow(text.lstrip("\ufeff"), fmt)
    return frame, issues, encoding


def _physical_lines(buffer: bytes) -> int:
    """Lines in ``buffer``, the last one counted whether or not it ends with a newline."""
    return buffer.count(b"\n") + (0 if not buffer or buffer.endswith(b"\n") else 1)


def _line_breaks(value: pl.Expr) -> pl.Expr:
    return value.str.count_matches("\n", literal=True).fill_null(0)


def _refuse_swallowed_rows(frame: pl.DataFrame, fmt: FeedFormat) -> None:
    """Raise a ``FeedError`` when a row of ``frame`` (every column, and ``line``) spans a
    line break and its values hold a whole row's separators: rows swallowed by a quote.

    Why that is the sign: a row spanning lines k..k+j is made of j+1 physical lines; if
    they were rows, they hold at least (j+1) times a row's separators, and only one row's
    worth of them separate this row's values, so the rest are inside its values.
    """
    columns = [c for c in frame.columns if c != LINE]
    whole_row = max(len(columns) - 1, 1)
    spanning = frame.filter(pl.sum_horizontal(_line_breaks(pl.col(c)) for c in columns) > 0)
    separators = pl.sum_horizontal(
        pl.col(c).str.count_matches(fmt.separator, literal=True).fill_null(0) for c in columns
    )
    bad = spanning.filter(separators >= whole_row)
    if bad.height:
        row = bad.row(0, named=True)
        raise _stray_quote(row[LINE], [row[c] for c in columns], columns, fmt, "holds whole rows")


def _stray_quote(
    line: int,
    record: list[str | None],
    header: list[str],
    fmt: FeedFormat,
    what: str,
    end: int | None = None,
) -> FeedError:
    """The error for ``record`` (a row starting on ``line``) whose first value with a line
    break opened with a quote not closed where it should be: names the line where it
    opened (``line``: no value before it spans a line), its column and the line it runs
    on to (``end`` when known: a value never closed ends with the file's last line
    break)."""
    index, breaks = next(
        ((i, (v or "").count("\n")) for i, v in enumerate(record) if v and "\n" in v), (0, 0)
    )
    column = repr(header[index]) if fmt.heading and index < len(header) else str(index + 1)
    return FeedError(
        f"line {line}: the quoted value in column {column} runs on to line "
        f"{line + breaks if end is None else end} and {what}: a '\"' that is not closed "
        f"where it should be swallows the rows after it; fix the quoting on line {line}"
    )


#: Polars unpacks bytes starting with these (gzip, zstd) before reading them as CSV.
_COMPRESSED = {b"\x1f\x8b": "gzip", b"\x28\xb5\x2f\xfd": "zstd"}


def _refuse_compressed(data: bytes) -> None:
    for magic, kind in _COMPRESSED.items():
        if data.startswith(magic):
            raise FeedError(
                f"the feed is a compressed ({kind}) file, not CSV text; ask the supplier for "
                "the plain file, or unpack it and sync it with --file"
            )


def _zlib_header(buffer: bytes) -> bool:
    """Whether polars would take ``buffer`` for zlib data (``x^`` may also start a CSV)."""
    return buffer[:1] == b"x" and buffer[1:2] in (b"\x01", b"^", b"\x9c", b"\xda")


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
    except (pl.exceptions.PolarsError, OSError):
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
    """Polars' read, or ``None`` when it cannot read the bytes (the exact reader will)."""
    if _zlib_header(buffer):
        return None  # polars would unpack it, or fail: the exact reader reads it as text
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
    except (pl.exceptions.PolarsError, OSError):
        return None


def _unique(names: list[str]) -> list[str]:
    """Header names made unique the way polars does (``x``, ``x_duplicated_0``, ...)."""
    seen: set[str] = set()
    unique = []
    for name in names:
        candidate, n = name, 0
        while candidate in seen:
            candidate, n = f"{name}_duplicated_{n}", n + 1
        seen.add(candidate)
        unique.append(candidate)
    return unique


_LONE_CR = re.compile(r"\r(?!\n)")


def _stand_in(text: str) -> str:
    """A private-use character ``text`` does not hold, to stand in for a lone CR."""
    return next(c for c in map(chr, range(0xE000, 0xF900)) if c not in text)


def _read_csv_slow(text: str, fmt: FeedFormat) -> tuple[pl.DataFrame, list[RowIssue]]:
    """Read line by line with Python's ``csv``: every row with the wrong number of fields
    is named. A row that runs over a line break and has the wrong number of fields, or
    a field past ``csv``'s size limit, is a stray quote: the feed is refused.

    A carriage return that does not end a line is kept in its value, as the fast reader
    keeps it (``csv`` alone would end the row there and count a line polars does not).
    """
    lone_cr = _LONE_CR.search(text) is not None
    stand_in = _stand_in(text) if lone_cr else "\r"
    if lone_cr:
        text = _LONE_CR.sub(stand_in, text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=fmt.separator)
    issues: list[RowIssue] = []
    header: list[str] | None = None
    records: list[list[str]] = []
    lines: list[int] = []
    previous = 0
    spanning = False
    try:
        for record in reader:
            line, previous = previous + 1, reader.line_num
            if not record:
                continue
            if lone_cr:
                record = [value.replace(stand_in, "\r") for value in record]
            if header is None:
                header = record if fmt.heading else [f"column_{i + 1}" for i in range(len(record))]
                if fmt.heading:
                    continue
            if len(record) != len(header):
                if previous > line:
                    raise _stray_quote(
                        line,
                        list(record),
                        header,
                        fmt,
                        f"leaves its row with {len(record)} fields, not {len(header)}",
                        end=previous,
                    )
                issues.append(
                    RowIssue(
                        line,
                        ROW_COLUMN,
                        f"row has {len(record)} fields, the header has {len(header)}",
                    )
                )
                continue
            spanning = spanning or previous > line
            records.append(record)
            lines.append(line)
    except csv.Error as exc:
        raise FeedError(
            f"line {previous + 1}: the row that starts here cannot be read ({exc}): a "
            "'\"' that is never closed swallows the rest of the file; fix the quoting on "
            f"line {previous + 1} or after it"
        ) from exc
    names = _unique(header or [])
    frame = pl.DataFrame(
        {name: [r[i] for r in records] for i, name in enumerate(names)},
        schema=dict.fromkeys(names, pl.String),
    ).with_columns(pl.col(n).replace("", None) for n in names)
    frame = frame.with_columns(pl.Series(LINE, lines, dtype=pl.Int64))
    if spanning:
        _refuse_swallowed_rows(frame, fmt)
    return frame, issues
