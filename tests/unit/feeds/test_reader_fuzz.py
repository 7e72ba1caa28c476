"""Property tests of the feed readers over damaged and random input (issue 12 items 1, 6).

A reader either refuses the feed with a ``FeedError``, or returns rows and row issues
that account for the input: for a CSV, every physical line is the header, part of one
parsed row (a quoted value may span lines), one reported row, or blank; for JSON and
XML, every record is one row or one issue. Nothing else is ever raised.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any
from xml.etree import ElementTree

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from irp.errors import FeedError
from irp.feeds.decode import decode_feed
from irp.feeds.parse import FeedFormat, RawFeed, read_feed
from tests.unit.feeds.test_csv_quotes import NL as CSV

JSON = FeedFormat(
    type="json",
    records_path="items",
    mapping={
        "sku": "id",
        "name": "name",
        "stock_available": "qty",
        "price_purchase_amount": "price",
    },
)
XML = FeedFormat(
    type="xml",
    records_path="offer",
    mapping={
        "sku": "sku",
        "name": "name",
        "stock_available": "stock",
        "price_purchase_amount": "price",
    },
)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

names = st.text(alphabet='ab ";,é€\t', max_size=12)
rows = st.lists(
    st.tuples(
        st.from_regex(r"[A-Z]{1,3}-[0-9]{1,3}", fullmatch=True),
        names,
        st.sampled_from(["0", "3", "12", "x"]),
        st.sampled_from(["1,00", "1.249,50", "12.5", ""]),
    ),
    min_size=1,
    max_size=12,
)


def write_csv(records: list[tuple[str, str, str, str]], ending: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator=ending)
    writer.writerow(["SKU", "Name", "Stock", "Price"])
    writer.writerows(records)
    return out.getvalue().encode()


def physical_lines(data: bytes) -> list[bytes]:
    lines = data.split(b"\n")
    return lines[:-1] if data.endswith(b"\n") else lines


def assert_csv_accounted(data: bytes, raw: RawFeed) -> set[int]:
    """Every physical line is the header, in exactly one row or issue, or blank.

    Returns the lines that continue a row started on an earlier line (a quoted value
    spanning lines).
    """
    owner: dict[int, str] = {1: "header"}
    spans = raw.frame.select(
        "line",
        pl.sum_horizontal(
            pl.col(c).str.count_matches("\n", literal=True).fill_null(0)
            for c in raw.frame.columns
            if c != "line"
        ).alias("span"),
    )
    lines = physical_lines(data)
    for line, span in spans.iter_rows():
        # A value never closed on the last line holds the file's final line break.
        for covered in range(line, min(line + span, len(lines)) + 1):
            assert covered not in owner, f"line {covered} is in two rows"
            owner[covered] = "row" if covered == line else "continued"
    for issue in raw.issues:
        assert issue.line not in owner or owner[issue.line] == "issue", issue
        owner[issue.line] = "issue"
    assert set(owner) <= set(range(1, len(lines) + 1))
    for number, text in enumerate(lines, start=1):
        if number not in owner:
            assert re.fullmatch(rb"[;\r]*", text), f"line {number} ({text!r}) was lost"
    return {line for line, what in owner.items() if what == "continued"}


@FUZZ
@given(records=rows, ending=st.sampled_from(["\n", "\r\n"]), data=st.data())
def test_one_stray_quote_is_refused_on_its_line_or_loses_no_line(
    records: list[tuple[str, str, str, str]], ending: str, data: st.DataObject
) -> None:
    row = data.draw(st.integers(0, len(records) - 1), label="row")
    field = data.draw(st.integers(0, 3), label="field")
    lines = [";".join(_quoted(v) for v in ("SKU", "Name", "Stock", "Price"))]
    for number, record in enumerate(records):
        values = [_quoted(v) for v in record]
        if number == row:
            values[field] = '"' + values[field]  # the stray quote
        lines.append(";".join(values))
    feed = (ending.join(lines) + ending).encode()
    try:
        raw = read_feed(feed, CSV)
    except FeedError as exc:
        assert str(exc).startswith(f"line {row + 2}: "), str(exc)
        return
    assert assert_csv_accounted(feed, raw) == set()  # no line swallowed into a value


def _quoted(value: str) -> str:
    """A CSV value as a writer quotes it: in quotes when it holds a quote or separator."""
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in '";') else value


@FUZZ
@given(
    records=st.lists(
        st.tuples(
            st.from_regex(r"[A-Z]{1,3}-[0-9]{1,3}", fullmatch=True),
            st.text(alphabet='ab "\né', max_size=12),
            st.sampled_from(["0", "3"]),
            st.sampled_from(["1,00", "2,50"]),
        ),
        min_size=1,
        max_size=12,
    ),
    ending=st.sampled_from(["\n", "\r\n"]),
)
def test_quoted_line_breaks_without_separators_are_read_exactly(
    records: list[tuple[str, str, str, str]], ending: str
) -> None:
    feed = write_csv(records, ending)

    raw = read_feed(feed, CSV)

    assert_csv_accounted(feed, raw)
    assert raw.issues == []
    assert raw.frame.select("sku", "name").rows() == [(s, n or None) for s, n, _, _ in records]


damage = st.lists(
    st.tuples(st.sampled_from(['"', "\n", ";", "", '""', "\r\n"]), st.integers(0, 10_000)),
    min_size=1,
    max_size=5,
)


@FUZZ
@given(records=rows, ending=st.sampled_from(["\n", "\r\n"]), edits=damage)
def test_random_quoting_damage_keeps_every_line_accounted_for(
    records: list[tuple[str, str, str, str]], ending: str, edits: list[tuple[str, int]]
) -> None:
    feed = bytearray(write_csv(records, ending))
    for text, at in edits:
        at = len(HEADER_BYTES) + at % max(len(feed) - len(HEADER_BYTES), 1)
        if text:
            feed[at:at] = text.encode()
        elif at < len(feed) and feed[at : at + 1] not in (b"\n", b"\r"):
            del feed[at]  # delete one character, never a line ending
    try:
        raw = read_feed(bytes(feed), CSV)
    except FeedError:
        return
    assert_csv_accounted(bytes(feed), raw)


HEADER_BYTES = b"SKU;Name;Stock;Price\n"


@FUZZ
@given(data=st.binary(max_size=400), kind=st.sampled_from(["csv", "json", "xml"]))
def test_random_bytes_are_read_or_refused_never_anything_else(data: bytes, kind: str) -> None:
    fmt = {"csv": CSV, "json": JSON, "xml": XML}[kind]
    try:
        raw = read_feed(data, fmt)
    except FeedError:
        return
    assert raw.rows == raw.frame.height + len(raw.issues)
    lines = data.count(b"\n") + data.count(b"\r") + 1
    assert all(1 <= line <= lines for line in raw.frame["line"].to_list())


SOME_COLUMNS = FeedFormat(
    separator=";",
    mapping={"sku": "SKU", "stock_available": "Stock", "price_purchase_amount": "Price"},
)


@FUZZ
@given(
    rest=st.binary(max_size=60),
    header=st.sampled_from([HEADER_BYTES, b"SKU;Name;Stock;Price;Extra;Last\n", b""]),
    good=st.sampled_from([b"", b"A;a;1;1,00;e;l\n"]),
)
def test_random_bytes_after_a_header_are_read_or_refused(
    rest: bytes, header: bytes, good: bytes
) -> None:
    data = header + good + rest
    for fmt in (CSV, SOME_COLUMNS):  # every column read, or only the mapped ones
        try:
            raw = read_feed(data, fmt)
        except FeedError:
            continue
        assert raw.rows == raw.frame.height + len(raw.issues)


def json_document(records: list[tuple[str, str, str, str]]) -> bytes:
    items = [{"id": s, "name": n, "qty": q, "price": p} for s, n, q, p in records]
    return json.dumps({"items": items}).encode()


byte_edits = st.lists(st.tuples(st.binary(max_size=3), st.integers(0, 10_000)))


def damaged(document: bytes, edits: list[tuple[bytes, int]]) -> bytes:
    """``document`` with each edit applied: bytes inserted at a position, or (empty)
    one byte deleted there."""
    result = bytearray(document)
    for text, at in edits:
        at %= len(result)
        result[at : at + (0 if text else 1)] = text
    return bytes(result)


@FUZZ
@given(records=rows, edits=byte_edits)
def test_damaged_json_is_read_record_by_record_or_refused(
    records: list[tuple[str, str, str, str]], edits: list[tuple[bytes, int]]
) -> None:
    document = damaged(json_document(records), edits)
    try:
        raw = read_feed(document, JSON)
    except FeedError:
        return
    text, _ = decode_feed(document, "auto")
    items = json.loads(text)["items"]
    assert raw.rows == len(items)
    assert raw.frame.height + len(raw.issues) == len(items)


def xml_document(records: list[tuple[str, str, str, str]]) -> bytes:
    root = ElementTree.Element("feed")
    for sku, name, stock, price in records:
        offer = ElementTree.SubElement(root, "offer", sku=sku)
        ElementTree.SubElement(offer, "name").text = name
        ElementTree.SubElement(offer, "stock").text = stock
        ElementTree.SubElement(offer, "price").text = price
    return ElementTree.tostring(root, encoding="utf-8")


def element_tree_records(document: bytes) -> list[dict[str, Any]]:
    """What the reader returned when it used ElementTree: attributes, then child texts."""
    text, _ = decode_feed(document, "auto")
    records = []
    for element in ElementTree.fromstring(text.encode("utf-8")).iter("offer"):
        record: dict[str, Any] = dict(element.attrib)
        for child in element:
            record[child.tag] = child.text
        records.append(record)
    return records


@FUZZ
@given(records=rows, edits=byte_edits)
def test_damaged_xml_reads_what_element_tree_reads_or_is_refused(
    records: list[tuple[str, str, str, str]], edits: list[tuple[bytes, int]]
) -> None:
    document = damaged(xml_document(records), edits)
    try:
        raw = read_feed(document, XML)
    except FeedError:
        return
    expected = element_tree_records(document)
    assert raw.frame.height + len(raw.issues) == len(expected)
    fields = {
        "sku": "sku",
        "name": "name",
        "stock_available": "stock",
        "price_purchase_amount": "price",
    }
    got = raw.frame.select(*fields).rows()
    assert got == [tuple(r.get(source) for source in fields.values()) for r in expected]
