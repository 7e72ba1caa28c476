"""A stray quote in a CSV feed refuses it, naming the line; quoted line breaks that hold
no rows are read with the physical line numbers (issue 12 item 1)."""

from __future__ import annotations

import pytest

from irp.errors import FeedError
from irp.feeds.parse import FeedFormat, RowIssue, parse_feed, read_feed
from irp.sandbox.feed import FLEXIT_MAPPING, flexit_feed

MAPPING = {
    "sku": "SKU",
    "name": "Name",
    "stock_available": "Stock",
    "price_purchase_amount": "Price",
}
NL = FeedFormat(separator=";", price_locale="nl_NL", mapping=MAPPING)
HEADER = b"SKU;Name;Stock;Price\n"
FLEXIT = FeedFormat(separator=";", price_locale="nl_NL", mapping=FLEXIT_MAPPING)


def refusal(data: bytes, fmt: FeedFormat = NL) -> str:
    with pytest.raises(FeedError) as caught:
        read_feed(data, fmt)
    return str(caught.value)


def test_stray_quote_in_a_3000_row_feed_is_refused_naming_the_line() -> None:
    lines = flexit_feed(3000).split(b"\r\n")
    fields = lines[2000].split(b";")
    fields[3] = b'"' + fields[3]  # the Description of the 2,000th offer (line 2001)
    lines[2000] = b";".join(fields)

    message = refusal(b"\r\n".join(lines), FLEXIT)

    assert message == (
        "line 2001: the quoted value in column 'Description' runs on to line 2006 and holds "
        "whole rows: a '\"' that is not closed where it should be swallows the rows after "
        "it; fix the quoting on line 2001"
    )


def test_stray_quote_never_closed_is_refused_naming_the_last_line() -> None:
    data = HEADER + b'A;a;1;1,00\nB;"b;2;2,00\nC;c;3;3,00\nD;d;4;4,00\n'

    assert refusal(data) == (
        "line 3: the quoted value in column 'Name' runs on to line 5 and leaves its row "
        "with 2 fields, not 4: a '\"' that is not closed where it should be swallows the "
        "rows after it; fix the quoting on line 3"
    )


def test_stray_quote_closed_early_in_the_next_row_is_refused() -> None:
    # The quote closes at the quoted name of the next row: 5 fields, one row lost.
    data = HEADER + b'A;a;"1;1,00\nB;"b";2;2,00\nC;c;3;3,00\n'

    assert refusal(data) == (
        "line 2: the quoted value in column 'Stock' runs on to line 3 and leaves its row "
        "with 5 fields, not 4: a '\"' that is not closed where it should be swallows the "
        "rows after it; fix the quoting on line 2"
    )


def test_stray_quote_that_leaves_the_right_number_of_fields_is_refused() -> None:
    # Tail of row 2 and head of row 3 in one value, 4 fields: what used to pass silently.
    data = HEADER + b'A;"a;1;1,00\nB;"b";2;2,00\nC;c;3;3,00\n'

    assert refusal(data) == (
        "line 2: the quoted value in column 'Name' runs on to line 3 and holds whole rows: "
        "a '\"' that is not closed where it should be swallows the rows after it; fix the "
        "quoting on line 2"
    )


def test_stray_quote_in_a_headerless_feed_names_the_column_number() -> None:
    fmt = FeedFormat(
        separator=";",
        heading=False,
        price_locale="nl_NL",
        mapping={"sku": "1", "stock_available": "3", "price_purchase_amount": "4"},
    )

    assert refusal(b'A;a;1;1,00\nB;"b;2;2,00\nC;c;3;3,00\n', fmt) == (
        "line 2: the quoted value in column 2 runs on to line 3 and leaves its row with 2 "
        "fields, not 4: a '\"' that is not closed where it should be swallows the rows "
        "after it; fix the quoting on line 2"
    )


def test_a_field_past_the_csv_size_limit_is_refused() -> None:
    data = HEADER + b'A;"' + b"x" * 140_000

    assert refusal(data) == (
        "line 2: the row that starts here cannot be read (field larger than field limit "
        "(131072)): a '\"' that is never closed swallows the rest of the file; fix the "
        "quoting on line 2 or after it"
    )


@pytest.mark.parametrize("ending", ["\n", ""])
def test_quoted_line_breaks_holding_no_rows_are_read_on_their_lines(ending: str) -> None:
    text = 'A;"two\nlines; here";1;1,00\nB;"x\n\ny";2;2,00\nC;c;x;3,00' + ending
    parsed = parse_feed(HEADER + text.encode(), NL)

    assert parsed.offers.select("line", "sku", "name").rows() == [
        (2, "A", "two\nlines; here"),
        (4, "B", "x\n\ny"),
    ]
    assert parsed.errors == [RowIssue(7, "Stock", "not a whole number >= 0: 'x'")]


def test_quoted_line_breaks_in_a_feed_with_empty_last_values_are_read_exactly() -> None:
    # An empty last column sends the feed through the exact (line-by-line) reader.
    parsed = parse_feed(HEADER + b'A;"two\nlines";1;\nB;b;2;2,00\nC;c;3;3,00\n', NL)

    assert parsed.offers.select("line", "sku").rows() == [(4, "B"), (5, "C")]
    assert parsed.errors == [RowIssue(2, "Price", "empty; a purchase price is required")]


def test_blank_lines_and_lines_of_separators_are_no_rows() -> None:
    parsed = parse_feed(HEADER + b"\nA;a;1;1,00\n\n;;;\nB;b;2;2,00\r\n\r\n", NL)

    assert parsed.offers.select("line", "sku").rows() == [(3, "A"), (6, "B")]
    assert (parsed.rows, parsed.errors) == (2, [])
