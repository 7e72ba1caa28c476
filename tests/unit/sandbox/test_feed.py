"""The sample FlexIT feed parses cleanly under FlexIT's own format."""

from __future__ import annotations

from irp.feeds.parse import FeedFormat, parse_feed
from irp.sandbox.feed import FLEXIT_COLUMNS, FLEXIT_MAPPING, change_rows, flexit_feed

FLEXIT = FeedFormat(type="csv", separator=";", price_locale="nl_NL", mapping=FLEXIT_MAPPING)


def test_feed_parses_with_no_errors_and_exact_row_count() -> None:
    parsed = parse_feed(flexit_feed(2_000, seed=3), FLEXIT)
    assert parsed.errors == []
    assert (parsed.rows, parsed.offers.height) == (2_000, 2_000)
    assert parsed.offers["sku"].to_list()[:2] == ["FLX-100000", "FLX-100001"]
    assert parsed.offers["ean"].null_count() == 0
    assert parsed.offers["line"].to_list()[-1] == 2_001


def test_feed_has_bom_crlf_and_flexit_header() -> None:
    data = flexit_feed(3)
    assert data.startswith(b"\xef\xbb\xbf" + ";".join(FLEXIT_COLUMNS).encode() + b"\r\n")
    assert data.count(b"\r\n") == 4


def test_feed_is_deterministic_per_seed() -> None:
    assert flexit_feed(500, seed=1) == flexit_feed(500, seed=1)
    assert flexit_feed(500, seed=1) != flexit_feed(500, seed=2)


def test_windows_1252_variant_reads_the_same_offers() -> None:
    utf8 = parse_feed(flexit_feed(300), FLEXIT)
    cp1252 = parse_feed(flexit_feed(300, encoding="windows-1252", line_ending="\n"), FLEXIT)
    assert cp1252.encoding == "windows-1252"
    assert cp1252.offers.equals(utf8.offers)
    assert any("\u2013" in name for name in cp1252.offers["name"].to_list())


def test_change_rows_changes_only_that_fraction() -> None:
    before = parse_feed(flexit_feed(1_000), FLEXIT).offers
    after = parse_feed(change_rows(flexit_feed(1_000), 0.1, seed=5), FLEXIT).offers
    changed = (before["stock_available"] != after["stock_available"]).sum()
    assert changed == 98  # seed 5 picks 98 of 1,000 rows
    moved = (after["price_purchase_amount"] - before["price_purchase_amount"]).unique().to_list()
    assert sorted(str(m) for m in moved) == ["0.00", "1.00"]
    assert before["sku"].equals(after["sku"])
