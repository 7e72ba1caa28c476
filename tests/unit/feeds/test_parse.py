"""parse_feed on good and broken feeds: every issue asserted exactly."""

from __future__ import annotations

from decimal import Decimal

import pytest

from irp.errors import FeedError
from irp.feeds.parse import (
    FeedFormat,
    RowIssue,
    kept_row_issues,
    parse_feed,
    read_feed,
    validate_rows,
)

HEADER = "SKU;Name;EAN;Stock;Price;SRP;Group"
MAPPING = {
    "sku": "SKU",
    "name": "Name",
    "ean": "EAN",
    "stock_available": "Stock",
    "price_purchase_amount": "Price",
    "price_consumer_amount": "SRP",
    "product_group": "Group",
}
NL = FeedFormat(type="csv", separator=";", price_locale="nl_NL", mapping=MAPPING)


def feed(*lines: str, ending: str = "\r\n", bom: bool = True) -> bytes:
    body = ending.join((HEADER, *lines)) + ending
    return (b"\xef\xbb\xbf" if bom else b"") + body.encode("utf-8")


def test_good_rows_become_exact_canonical_offers() -> None:
    parsed = parse_feed(
        feed(
            "FLX-1;Café \u2013 A;8712345678906;12;1.234,56;€ 1.399,00;Smartphones",
            "FLX-2; Pixel ;;0;249,00;€\xa0249,00;Laptops",
        ),
        NL,
    )
    assert parsed.errors == []
    assert parsed.rows == 2
    assert parsed.encoding == "utf-8"
    assert parsed.offers.to_dicts() == [
        {
            "line": 2,
            "sku": "FLX-1",
            "name": "Café \u2013 A",
            "ean": "8712345678906",
            "stock_available": 12,
            "price_purchase_amount": Decimal("1234.56"),
            "price_consumer_amount": Decimal("1399.00"),
            "product_group": "Smartphones",
        },
        {
            "line": 3,
            "sku": "FLX-2",
            "name": "Pixel",
            "ean": None,
            "stock_available": 0,
            "price_purchase_amount": Decimal("249.00"),
            "price_consumer_amount": Decimal("249.00"),
            "product_group": "Laptops",
        },
    ]


def test_broken_rows_are_dropped_and_each_problem_reported() -> None:
    parsed = parse_feed(
        feed(
            "FLX-1;a;;-1;12.5;abc;g",
            ";b;;1;1,00;;g",
            "FLX-3;c;;1,5;;;g",
            "FLX-4;d;;abc;0,00;;g",
            "FLX-5;e;;;1,234;;g",
        ),
        NL,
    )
    assert parsed.offers.height == 0
    assert parsed.rows == 5
    assert parsed.errors == [
        RowIssue(2, "Stock", "not a whole number >= 0: '-1'"),
        RowIssue(2, "Price", "not a number in nl_NL: '12.5'"),
        RowIssue(2, "SRP", "not a number in nl_NL: 'abc' (SRP left empty)"),
        RowIssue(3, "SKU", "empty; a sku is required"),
        RowIssue(4, "Stock", "not a whole number >= 0: '1,5'"),
        RowIssue(4, "Price", "empty; a purchase price is required"),
        RowIssue(5, "Stock", "not a whole number >= 0: 'abc'"),
        RowIssue(5, "Price", "must be greater than 0: '0,00'"),
        RowIssue(6, "Stock", "empty; a whole number >= 0 is required"),
        RowIssue(6, "Price", "more than 2 decimals: '1,234'"),
    ]


def test_bad_ean_and_srp_are_reported_but_the_offer_stays() -> None:
    parsed = parse_feed(
        feed("FLX-1;a;8712345678907;1;10,00;1,234.56;g", "FLX-2;b;123;1;10,00;;g"), NL
    )
    assert parsed.errors == [
        RowIssue(2, "SRP", "not a number in nl_NL: '1,234.56' (SRP left empty)"),
        RowIssue(
            2, "EAN", "invalid EAN/GTIN (wrong check digit): '8712345678907' (EAN left empty)"
        ),
        RowIssue(
            3, "EAN", "invalid EAN/GTIN (must be 8, 12, 13 or 14 digits): '123' (EAN left empty)"
        ),
    ]
    assert parsed.offers.select("sku", "ean", "price_consumer_amount").rows() == [
        ("FLX-1", None, None),
        ("FLX-2", None, None),
    ]


def test_duplicate_skus_keep_the_first_and_report_the_others() -> None:
    parsed = parse_feed(
        feed(
            "FLX-1;a;;1;1,00;;g", "FLX-2;b;;1;2,00;;g", "FLX-1;c;;1;3,00;;g", "FLX-1;d;;1;4,00;;g"
        ),
        NL,
    )
    assert parsed.offers.select("sku", "name").rows() == [("FLX-1", "a"), ("FLX-2", "b")]
    assert parsed.errors == [
        RowIssue(4, "SKU", "duplicate sku FLX-1, first seen on line 2"),
        RowIssue(5, "SKU", "duplicate sku FLX-1, first seen on line 2"),
    ]


def test_truncated_last_line_is_a_ragged_row_issue() -> None:
    data = feed("FLX-1;a;;1;1,00;;g", "FLX-2;b;;2;2,00;;g")[:-9]  # "FLX-2;b;;2;" is left
    parsed = parse_feed(data, NL)
    assert parsed.offers.select("sku", "line").rows() == [("FLX-1", 2)]
    assert parsed.errors == [RowIssue(3, "(row)", "row has 5 fields, the header has 7")]
    assert parsed.rows == 2


def test_a_row_with_too_many_fields_is_reported() -> None:
    parsed = parse_feed(feed("FLX-1;a;;1;1,00;;g;extra", "FLX-2;b;;2;2,00;;g"), NL)
    assert parsed.offers.select("sku", "line").rows() == [("FLX-2", 3)]
    assert parsed.errors == [RowIssue(2, "(row)", "row has 8 fields, the header has 7")]


def test_quoted_field_spanning_lines_keeps_physical_line_numbers() -> None:
    parsed = parse_feed(feed('FLX-1;"two\r\nlines";;1;1,00;;g', "FLX-2;b;;x;2,00;;g"), NL)
    assert parsed.offers.select("sku", "name", "line").rows() == [("FLX-1", "two\r\nlines", 2)]
    assert parsed.errors == [RowIssue(4, "Stock", "not a whole number >= 0: 'x'")]


@pytest.mark.parametrize("ending", ["\r\n", "\n"])
def test_crlf_and_lf_read_the_same(ending: str) -> None:
    parsed = parse_feed(feed("FLX-1;a;;1;1,00;;g", ending=ending, bom=False), NL)
    assert parsed.offers.select("sku", "product_group", "line").rows() == [("FLX-1", "g", 2)]


def test_windows_1252_is_detected_and_read() -> None:
    data = (HEADER + "\r\nFLX-1;Café \u2013 Škoda;;1;1,00;€ 2,00;g\r\n").encode("windows-1252")
    parsed = parse_feed(data, NL)
    assert parsed.encoding == "windows-1252"
    assert parsed.offers.select("name", "price_consumer_amount").rows() == [
        ("Café \u2013 Škoda", Decimal("2.00"))
    ]


def test_explicit_windows_1252_reads_it_too() -> None:
    data = (HEADER + "\nFLX-1;Café;;1;1,00;;g\n").encode("windows-1252")
    fmt = FeedFormat(separator=";", price_locale="nl_NL", mapping=MAPPING, encoding="windows-1252")
    assert parse_feed(data, fmt).offers["name"].to_list() == ["Café"]


def test_explicit_utf8_on_windows_1252_bytes_names_offset_and_fix() -> None:
    data = (HEADER + "\nFLX-1;Café;;1;1,00;;g\n").encode("windows-1252")
    fmt = FeedFormat(separator=";", price_locale="nl_NL", mapping=MAPPING, encoding="utf-8")
    with pytest.raises(FeedError) as caught:
        parse_feed(data, fmt)
    assert str(caught.value) == (
        "the feed is not valid utf-8: byte 0xe9 at offset 44 (line 2); "
        "set offers.encoding to windows-1252"
    )


@pytest.mark.parametrize("data", [b"", b"  \r\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf\n\n"])
def test_empty_feed_is_refused(data: bytes) -> None:
    with pytest.raises(FeedError, match=r"^the feed is empty$"):
        parse_feed(data, NL)


def test_header_only_gives_zero_rows() -> None:
    parsed = parse_feed(feed(), NL)
    assert (parsed.offers.height, parsed.rows, parsed.errors) == (0, 0, [])


def test_missing_columns_are_all_named_with_the_columns_present() -> None:
    data = b"SKU;Name;Stock\r\nFLX-1;a;1\r\n"
    with pytest.raises(FeedError) as caught:
        parse_feed(data, NL)
    assert str(caught.value) == (
        "the feed's header lacks the mapped column(s) 'EAN', 'Price', 'SRP', 'Group'; "
        "it has 'SKU', 'Name', 'Stock'; fix offers.mapping or ask the supplier"
    )


def test_headerless_feed_maps_by_column_number() -> None:
    fmt = FeedFormat(
        separator=",",
        heading=False,
        mapping={"sku": "1", "stock_available": "2", "price_purchase_amount": "3"},
    )
    parsed = parse_feed(b'A-1,3,"1,249.50"\nA-2,x,2.00\n', fmt)
    assert parsed.offers.select("line", "sku", "price_purchase_amount").rows() == [
        (1, "A-1", Decimal("1249.50"))
    ]
    assert parsed.errors == [RowIssue(2, "2", "not a whole number >= 0: 'x'")]


def test_json_feed_with_records_path() -> None:
    fmt = FeedFormat(
        type="json",
        records_path="data.items",
        mapping={"sku": "id", "stock_available": "qty", "price_purchase_amount": "price"},
    )
    data = (
        b'{"data": {"items": [{"id": "J-1", "qty": 2, "price": 249.5},'
        b' {"id": "J-2", "qty": -1, "price": "3.00"}]}}'
    )
    parsed = parse_feed(data, fmt)
    assert parsed.offers.select(
        "line", "sku", "stock_available", "price_purchase_amount"
    ).rows() == [(1, "J-1", 2, Decimal("249.50"))]
    assert parsed.errors == [RowIssue(2, "qty", "not a whole number >= 0: '-1'")]


def test_json_numbers_follow_the_locale_decimal_symbol() -> None:
    fmt = FeedFormat(
        type="json",
        price_locale="nl_NL",
        mapping={"sku": "id", "stock_available": "qty", "price_purchase_amount": "price"},
    )
    parsed = parse_feed(b'[{"id": "J-1", "qty": 1, "price": 1249.5}]', fmt)
    assert parsed.offers["price_purchase_amount"].to_list() == [Decimal("1249.50")]


def test_xml_feed_reads_attributes_and_child_elements() -> None:
    fmt = FeedFormat(
        type="xml",
        records_path="offer",
        mapping={"sku": "sku", "stock_available": "stock", "price_purchase_amount": "price"},
    )
    data = (
        b'<?xml version="1.0" encoding="utf-8"?><feed>'
        b'<offer sku="X-1"><stock>4</stock><price>10.00</price></offer>'
        b'<offer sku="X-2"><stock>4</stock><price>abc</price></offer></feed>'
    )
    parsed = parse_feed(data, fmt)
    assert parsed.offers.select("line", "sku", "stock_available").rows() == [(1, "X-1", 4)]
    assert parsed.errors == [RowIssue(2, "price", "not a number in en_US: 'abc'")]


def test_from_config_reads_attributes_by_name() -> None:
    class Offers:
        type = "csv"
        separator = ";"
        heading = True
        encoding = "auto"
        price_locale = "nl_NL"
        mapping = MAPPING
        records_path = None

    assert FeedFormat.from_config(Offers()) == NL


def test_empty_last_column_is_read_without_row_issues() -> None:
    parsed = parse_feed(feed("FLX-1;a;;1;1,00;;", 'FLX-2;"b;c";;2;2,00;;'), NL)
    assert parsed.errors == []
    assert parsed.offers.select("sku", "name", "product_group", "line").rows() == [
        ("FLX-1", "a", None, 2),
        ("FLX-2", "b;c", None, 3),
    ]


def test_short_row_among_empty_last_columns_is_still_named() -> None:
    parsed = parse_feed(feed("FLX-1;a;;1;1,00;;", "FLX-2;b;;2;2,00", "FLX-3;c;;3;3,00;;"), NL)
    assert parsed.offers.select("sku", "line").rows() == [("FLX-1", 2), ("FLX-3", 4)]
    assert parsed.errors == [RowIssue(3, "(row)", "row has 5 fields, the header has 7")]


def test_read_feed_keeps_the_raw_text_of_the_mapped_columns_by_field() -> None:
    data = b"Extra;SKU;Name;EAN;Stock;Price;SRP;Group\r\nz; FLX-1 ;a;;1;1,00;;g\r\n"
    raw = read_feed(data, NL)
    assert raw.frame.columns == ["line", *MAPPING]
    assert raw.frame.row(0) == (2, " FLX-1 ", "a", None, "1", "1,00", None, "g")
    assert (raw.rows, raw.issues, raw.encoding) == (1, [], "utf-8")


def test_kept_row_issues_report_bad_srp_and_ean_like_validation_does() -> None:
    data = feed("FLX-1;a;8712345678907;1;10,00;1,234.56;g", "FLX-2;b;;1;10,00;0,00;g")
    raw = read_feed(data, NL)
    expected = [e for e in parse_feed(data, NL).errors if e.column in ("SRP", "EAN")]
    assert kept_row_issues(raw.frame, NL) == expected
    assert [e.line for e in expected] == [2, 2, 3]


def test_validate_rows_flags_offers_kept_despite_a_problem() -> None:
    raw = read_feed(feed("FLX-1;a;123;1;10,00;;g", "FLX-2;b;;1;10,00;;g"), NL)
    offers, _ = validate_rows(raw.frame, NL, flag="bad")
    assert offers.select("sku", "bad").rows() == [("FLX-1", True), ("FLX-2", False)]


def test_a_price_in_another_currency_is_a_row_error_naming_the_sign_and_currency() -> None:
    fmt = FeedFormat(separator=";", price_locale="en_US", mapping=MAPPING, currency="EUR")
    data = (HEADER + "\nA;a;;1;$1,249.00;;g\nB;b;;1;€249.00;USD 300.00;g\n").encode()

    parsed = parse_feed(data, fmt)

    assert parsed.offers.select("sku", "price_purchase_amount", "price_consumer_amount").rows() == [
        ("B", Decimal("249.00"), None)
    ]
    assert parsed.errors == [
        RowIssue(
            2, "Price", "has another currency's sign ('$'); prices must be in EUR: '$1,249.00'"
        ),
        RowIssue(
            3,
            "SRP",
            "has another currency's sign ('USD'); prices must be in EUR: 'USD 300.00' "
            "(SRP left empty)",
        ),
    ]


def test_from_config_takes_the_refurbishers_currency() -> None:
    class Offers:
        price_locale = "en_US"
        mapping = MAPPING

    assert FeedFormat.from_config(Offers(), currency="GBP").currency == "GBP"


def test_csv_starting_like_zlib_data_is_read_as_text() -> None:
    fmt = FeedFormat(mapping={"sku": "x^sku", "stock_available": "n", "price_purchase_amount": "p"})
    parsed = parse_feed(b"x^sku,n,p\nA,1,2.00\n", fmt)
    assert parsed.offers.select("line", "sku").rows() == [(2, "A")]


@pytest.mark.parametrize(
    ("magic", "kind"), [(b"\x1f\x8b\x08\x00", "gzip"), (b"(\xb5/\xfd\x00", "zstd")]
)
def test_a_compressed_feed_is_refused_not_unpacked(magic: bytes, kind: str) -> None:
    with pytest.raises(FeedError) as caught:
        parse_feed(magic + b"SKU;Stock\n", NL)
    assert str(caught.value) == (
        f"the feed is a compressed ({kind}) file, not CSV text; ask the supplier for the "
        "plain file, or unpack it and sync it with --file"
    )
