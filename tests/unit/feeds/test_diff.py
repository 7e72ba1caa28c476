"""The warm-sync shortcut: raw-row hashes, the unchanged split, and the diff."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from irp.feeds.diff import (
    ISSUE_BIT,
    UNLISTED_HASH,
    diff_offers,
    raw_row_hash,
    split_unchanged,
    with_issue_bit,
)

FIELDS = ["sku", "name", "price_purchase_amount"]
INDEX_SCHEMA = {
    "sku": pl.String,
    "row_hash": pl.Int64,
    "listed": pl.Boolean,
    "stock_available": pl.Int64,
}


def rows(*records: tuple[str | None, str | None, str | None], settings: str = "s") -> pl.DataFrame:
    frame = pl.DataFrame(
        {
            "line": list(range(2, 2 + len(records))),
            **{f: [r[i] for r in records] for i, f in enumerate(FIELDS)},
        },
        schema={"line": pl.Int64, **dict.fromkeys(FIELDS, pl.String)},
    )
    return frame.with_columns(raw_row_hash(frame, FIELDS, settings))


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
            "sku": ["A", "B", "C", "D", "E", "G"],
            "row_hash": [h[2] | ISSUE_BIT, h[3] + 2, h[4], h[5], UNLISTED_HASH, 77],
            "listed": [True, True, False, True, True, True],
            "stock_available": [1, 2, 0, 4, 5, 6],
        }
    )

    split = split_unchanged(feed, index)

    assert split.carried.rows() == [
        (2, "A", h[2] | ISSUE_BIT, True, 1, True),
        (4, "C", h[4], False, 0, False),
    ]
    assert split.fresh["line"].to_list() == [3, 5, 6, 7, 8]
    assert split.fresh.columns == feed.columns
    assert split.rest["sku"].to_list() == ["B", "D", "E", "G"]
    assert (split.listed_before, split.aligned) == (5, False)


def test_split_matches_by_position_when_the_feed_keeps_the_index_order() -> None:
    feed = rows(("A", "same", "1,00"), ("B", "changed", "2,00"), ("C", "same", "3,00"))
    h = feed["row_hash"].to_list()
    index = pl.DataFrame(
        {
            "sku": ["A", "B", "C", "Z"],  # Z: stored, not in the feed (comes last)
            "row_hash": [h[0], h[1] + 2, h[2] | ISSUE_BIT, 5],
            "listed": [True, True, True, False],
            "stock_available": [3, 2, 1, 0],
        }
    )

    split = split_unchanged(feed, index)

    assert split.aligned is True
    assert split.carried.rows() == [
        (2, "A", h[0], True, 3, False),
        (4, "C", h[2] | ISSUE_BIT, True, 1, True),
    ]
    assert split.fresh["line"].to_list() == [3]
    assert split.rest["sku"].to_list() == ["B", "Z"]


def test_split_against_an_empty_index_keeps_everything_fresh() -> None:
    feed = rows(("A", "x", "1,00"))
    empty = pl.DataFrame(schema=INDEX_SCHEMA)
    split = split_unchanged(feed, empty)
    assert (split.carried.height, split.fresh.height, split.rest.height) == (0, 1, 0)


@settings(max_examples=300, deadline=None)
@given(
    feed_rows=st.lists(
        st.tuples(st.sampled_from(["A", "B", "C", "D", " E", ""]), st.sampled_from(["x", "y"])),
        max_size=8,
    ),
    kinds=st.lists(
        st.sampled_from(["same", "issue", "changed", "unlisted"]), min_size=8, max_size=8
    ),
    extra=st.lists(st.sampled_from(["F", "G"]), max_size=2, unique=True),
    data=st.data(),
)
def test_split_by_position_and_by_join_agree(
    feed_rows: list[tuple[str, str]], kinds: list[str], extra: list[str], data: st.DataObject
) -> None:
    """The stored index in feed order (aligned when the feed has no duplicate or empty
    SKU) and the same index shuffled (always joined) give the same split."""
    feed = rows(*((sku or None, name, "1,00") for sku, name in feed_rows))
    first: dict[str, int] = {}
    for sku, row_hash in zip(feed["sku"], feed["row_hash"], strict=True):
        if sku is not None and sku.strip() not in first:
            first[sku.strip()] = row_hash
    skus = [*first, *(e for e in extra if e not in first)]
    stored_hash = {
        "same": lambda h: h,
        "issue": lambda h: h | ISSUE_BIT,
        "changed": lambda h: h + 2,
        "unlisted": lambda h: UNLISTED_HASH,
    }
    index = pl.DataFrame(
        {
            "sku": skus,
            "row_hash": [
                stored_hash[k](first.get(s, 40)) for s, k in zip(skus, kinds, strict=False)
            ],
            "listed": [k != "unlisted" for k in kinds[: len(skus)]],
            "stock_available": list(range(len(skus))),
        },
        schema=INDEX_SCHEMA,
    )
    in_order = split_unchanged(feed, index)
    order = data.draw(st.permutations(range(index.height)))
    shuffled = split_unchanged(feed, index[list(order)] if order else index)

    plain = [r[0] for r in feed_rows]
    unique_and_present = all(plain) and len({k.strip() for k in plain}) == len(plain)
    assert in_order.aligned is (unique_and_present and index.height > 0 and feed.height > 0)
    assert shuffled.aligned is (
        in_order.aligned and order[: feed.height] == list(range(feed.height))
    )
    assert in_order.carried.rows() == shuffled.carried.sort("line").rows()
    assert in_order.fresh.rows() == shuffled.fresh.rows()
    assert sorted(in_order.rest.rows()) == sorted(shuffled.rest.rows())
    assert in_order.listed_before == shuffled.listed_before
    carried = set(in_order.carried["sku"])
    assert carried.isdisjoint(in_order.rest["sku"])
    assert carried | set(in_order.rest["sku"]) == set(index["sku"])


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
        feed,
        stored.filter(pl.col("sku") != "A"),
        max_price_change_ratio=Decimal("0.5"),
        carried=1,
        listed_before=3,
    )

    assert (changes.created.height, changes.updated["sku"].to_list(), changes.unchanged) == (
        0,
        ["B"],
        1,
    )
    assert changes.vanished["sku"].to_list() == ["C"]
    assert (changes.newly_unlisted, changes.listed_before) == (1, 3)


def test_updated_rows_say_whether_their_indexed_columns_keep_the_stored_values() -> None:
    money = pl.Decimal(18, 2)
    skus = ["same", "new-ean", "ean-gone", "unlisted", "both-null"]
    feed = pl.DataFrame(
        {
            "sku": skus,
            "ean": ["1", "3", None, "4", None],
            "price_purchase_amount": pl.Series([Decimal("2.00")] * 5, dtype=money),
            "listed": [True, True, True, False, True],
            "row_hash": [11, 21, 31, 41, 51],
        }
    )
    stored = pl.DataFrame(
        {
            "sku": skus,
            "row_hash": [10, 20, 30, 40, 50],
            "listed": [True, True, True, True, True],
            "price_purchase_amount": pl.Series([Decimal("2.0000")] * 5, dtype=pl.Decimal(14, 4)),
            "held_purchase_amount": pl.Series([None] * 5, dtype=pl.Decimal(14, 4)),
            "ean": ["1", "2", "9", "4", None],
        }
    )

    changes = diff_offers(feed, stored, max_price_change_ratio=Decimal("0.5"))
    without_ean = diff_offers(feed, stored.drop("ean"), max_price_change_ratio=Decimal("0.5"))

    assert changes.updated["sku"].to_list() == skus
    assert changes.keys_kept is not None
    assert changes.keys_kept.to_list() == [True, False, False, False, True]
    assert "_stored_ean" not in changes.updated.columns
    assert without_ean.keys_kept is None
