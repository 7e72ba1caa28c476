"""The warm-sync shortcut: raw-row hashes, the unchanged split, and the diff."""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from irp.feeds.diff import (
    ISSUE_BIT,
    UNLISTED_HASH,
    diff_offers,
    raw_row_hash,
    split_unchanged,
    with_issue_bit,
)

FIELDS = ["sku", "name", "price_purchase_amount"]


def rows(*records: tuple[str | None, str | None, str | None], settings: str = "s") -> pl.DataFrame:
    frame = pl.DataFrame(
        {
            "line": list(range(2, 2 + len(records))),
            **{f: [r[i] for r in records] for i, f in enumerate(FIELDS)},
        },
        schema={"line": pl.Int64, **dict.fromkeys(FIELDS, pl.String)},
    )
    return frame.with_columns(raw_row_hash(FIELDS, settings).alias("row_hash"))


def test_raw_hash_follows_the_text_and_the_settings_and_leaves_the_issue_bit_free() -> None:
    a = rows(("A", "x", "1,00"), ("A", "x", "1,00"), ("A", "x", "1,01"), ("A", None, "1,00"))
    other = rows(("A", "x", "1,00"), settings="t")
    hashes = a["row_hash"].to_list()
    assert hashes[0] == hashes[1]
    assert len({hashes[0], hashes[2], hashes[3], other["row_hash"][0]}) == 4
    assert all(h & ISSUE_BIT == 0 and h != UNLISTED_HASH for h in hashes)


def test_split_carries_rows_whose_stored_hash_matches_and_whose_sku_is_single() -> None:
    feed = rows(
        ("A", "same", "1,00"),  # carried (stored with the issue bit)
        ("B", "changed", "2,00"),  # fresh: hash differs
        (" C ", "same", "3,00"),  # carried: the SKU is matched trimmed
        ("D", "dup", "4,00"),  # fresh: D occurs twice
        ("D", "dup2", "4,00"),
        ("E", "held", "5,00"),  # fresh: stored with hash 0
        ("F", "new", "6,00"),  # fresh: not stored
    )
    h = dict(zip(feed["line"], feed["row_hash"], strict=True))
    index = pl.DataFrame(
        {
            "sku": ["A", "B", "C", "D", "E"],
            "row_hash": [h[2] | ISSUE_BIT, h[3] + 2, h[4], h[5], UNLISTED_HASH],
            "listed": [True] * 5,
        }
    )

    carried, fresh = split_unchanged(feed, index)

    assert carried.rows() == [(2, "A", True), (4, "C", False)]
    assert fresh["line"].to_list() == [3, 5, 6, 7, 8]
    assert fresh.columns == feed.columns


def test_split_against_an_empty_index_keeps_everything_fresh() -> None:
    feed = rows(("A", "x", "1,00"))
    empty = pl.DataFrame(schema={"sku": pl.String, "row_hash": pl.Int64, "listed": pl.Boolean})
    carried, fresh = split_unchanged(feed, empty)
    assert (carried.height, fresh.height) == (0, 1)


def test_issue_bit_is_set_only_where_asked() -> None:
    frame = pl.DataFrame({"h": [4, -8], "bad": [True, False]})
    assert frame.select(with_issue_bit(pl.col("h"), pl.col("bad")))["h"].to_list() == [5, -8]


def test_carried_skus_count_as_unchanged_and_never_as_vanished() -> None:
    money = pl.Decimal(18, 2)
    feed = pl.DataFrame(
        {
            "sku": ["B"],
            "price_purchase_amount": pl.Series([Decimal("2.00")], dtype=money),
            "listed": [True],
            "row_hash": [22],
        }
    )
    stored = pl.DataFrame(
        {
            "sku": ["A", "B", "C"],
            "row_hash": [10, 20, 30],
            "listed": [True, True, True],
            "price_purchase_amount": pl.Series(
                [None, Decimal("2.0000"), None], dtype=pl.Decimal(14, 4)
            ),
            "held_purchase_amount": pl.Series([None, None, None], dtype=pl.Decimal(14, 4)),
        }
    )

    changes = diff_offers(
        feed, stored, max_price_change_ratio=Decimal("0.5"), carried=pl.Series(["A"])
    )

    assert (changes.created.height, changes.updated["sku"].to_list(), changes.unchanged) == (
        0,
        ["B"],
        1,
    )
    assert changes.vanished["sku"].to_list() == ["C"]
    assert (changes.newly_unlisted, changes.listed_before) == (1, 3)
