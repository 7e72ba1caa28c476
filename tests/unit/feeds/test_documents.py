"""Hostile JSON and XML feeds, and values too long for a row: a clear refusal or a short
row error, never a crash or a fifty-megabyte message (issue 12 items 3 and 6)."""

from __future__ import annotations

import pytest

from irp.errors import FeedError
from irp.feeds.parse import FeedFormat, RowIssue, parse_feed, read_feed

JSON = FeedFormat(
    type="json", mapping={"sku": "id", "stock_available": "qty", "price_purchase_amount": "price"}
)
XML = FeedFormat(
    type="xml",
    records_path="offer",
    mapping={"sku": "sku", "stock_available": "stock", "price_purchase_amount": "price"},
)
NL = FeedFormat(
    separator=";",
    price_locale="nl_NL",
    mapping={
        "sku": "SKU",
        "name": "Name",
        "stock_available": "Stock",
        "price_purchase_amount": "Price",
    },
)
TOO_DEEP = (
    "the JSON feed nests arrays and objects too deeply to read (hundreds of levels); an "
    "offer feed needs a few; ask the supplier"
)


def refusal(data: bytes, fmt: FeedFormat) -> str:
    with pytest.raises(FeedError) as caught:
        read_feed(data, fmt)
    return str(caught.value)


def test_deeply_nested_json_is_refused_not_a_recursion_error() -> None:
    assert refusal(b"[" * 100_000 + b"]" * 100_000, JSON) == TOO_DEEP


def test_deeply_nested_json_inside_a_record_is_refused() -> None:
    data = b'[{"id": "A", "qty": 1, "price": 1, "x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}]"
    assert refusal(data, JSON) == TOO_DEEP


def test_huge_json_number_is_a_short_row_error() -> None:
    data = (
        b'[{"id": "A", "qty": 1, "price": 1e50000000}, {"id": "B", "qty": 1e-50000000, "price": 2}]'
    )
    parsed = parse_feed(data, JSON)
    assert parsed.offers.height == 0
    assert parsed.errors == [
        RowIssue(1, "price", "not a number in en_US: '1e50000000'"),
        RowIssue(2, "qty", "not a whole number >= 0: '1e-50000000'"),
    ]


def test_json_number_with_too_many_digits_is_reported_cut_short() -> None:
    digits = "9" * 20_000
    parsed = parse_feed(f'[{{"id": "A", "qty": 1, "price": {digits}}}]'.encode(), JSON)
    assert parsed.errors == [
        RowIssue(
            1,
            "price",
            "a value of 20,000 characters, more than the 10,000 a feed value may have: "
            f"'{'9' * 200}\u2026'",
        )
    ]
    assert parsed.rows == 1


def test_json_nan_and_infinity_are_not_numbers() -> None:
    data = b'[{"id": "A", "qty": 1, "price": NaN}, {"id": "B", "qty": 1, "price": -Infinity}]'
    assert parse_feed(data, JSON).errors == [
        RowIssue(1, "price", "not a number in en_US: 'NaN'"),
        RowIssue(2, "price", "not a number in en_US: '-Infinity'"),
    ]


def test_json_string_that_is_not_unicode_is_refused_naming_the_record() -> None:
    data = b'[{"id": "A", "qty": 1, "price": 1}, {"id": "B\\ud800", "qty": 1, "price": 1}]'
    assert refusal(data, JSON) == (
        "record 2, key 'id': the text is not valid Unicode (a lone surrogate \\ud800); "
        "the supplier's JSON writer is broken"
    )


def test_xml_entity_expansion_is_refused() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<feed><offer sku="&lol2;"><stock>1</stock><price>1</price></offer></feed>'
    )
    assert refusal(bomb, XML) == (
        "the XML feed declares the entity 'lol'; IRP does not expand XML entities (line 1); "
        "ask the supplier"
    )


def test_xml_external_entity_is_refused() -> None:
    data = (
        b'<?xml version="1.0"?>\n<!DOCTYPE feed [\n<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
        b'<feed><offer sku="a"><stock>&secret;</stock><price>1</price></offer></feed>'
    )
    assert refusal(data, XML) == (
        "the XML feed declares the entity 'secret'; IRP does not expand XML entities "
        "(line 3); ask the supplier"
    )


def test_xml_entity_from_an_external_dtd_is_refused_not_dropped() -> None:
    data = (
        b'<!DOCTYPE feed SYSTEM "http://127.0.0.1:9/feed.dtd">'
        b'<feed><offer sku="a"><stock>&stock;</stock><price>1</price></offer></feed>'
    )
    assert refusal(data, XML) == (
        "the XML feed refers to the entity &stock; that IRP does not resolve (line 1); "
        "ask the supplier"
    )


def test_deeply_nested_xml_is_refused() -> None:
    data = b"<a>\n" * 101 + b"</a>" * 101
    assert refusal(data, XML) == (
        "the XML feed nests elements more than 100 levels deep (line 101); ask the supplier"
    )


def test_xml_records_read_like_element_tree_shows_them() -> None:
    data = (
        b'<f xmlns="urn:x"><offer sku="a"><stock>1</stock><price>1<b>x</b>0</price></offer>'
        b'<offer sku="b"><stock/><price><![CDATA[ 2 ]]></price><price>3</price></offer></f>'
    )
    fmt = FeedFormat(
        type="xml",
        records_path="{urn:x}offer",
        mapping={
            "sku": "sku",
            "stock_available": "{urn:x}stock",
            "price_purchase_amount": "{urn:x}price",
        },
    )
    raw = read_feed(data, fmt)
    assert raw.frame.rows() == [(1, "a", "1", "1"), (2, "b", None, "3")]


def test_csv_value_longer_than_the_limit_is_a_row_error_and_the_rest_is_read() -> None:
    name = "é" * 10_001
    data = f"SKU;Name;Stock;Price\nA;{name};1;1,00\nB;b;2;2,00\n".encode()
    parsed = parse_feed(data, NL)
    assert parsed.offers.select("line", "sku").rows() == [(3, "B")]
    assert parsed.errors == [
        RowIssue(
            2,
            "Name",
            "a value of 10,001 characters, more than the 10,000 a feed value may have: "
            f"'{'é' * 200}\u2026'",
        )
    ]
    assert (parsed.errors[0].sku, parsed.rows) == ("A", 2)


def test_row_errors_quote_at_most_200_characters_of_a_value() -> None:
    data = ("SKU;Name;Stock;Price\nA;a;1;" + "x" * 5_000 + "\n").encode()
    (issue,) = parse_feed(data, NL).errors
    assert issue == RowIssue(2, "Price", f"not a number in nl_NL: '{'x' * 200}\u2026'")
    assert (issue.value, issue.kind) == ("x" * 200 + "\u2026", "price_format")
