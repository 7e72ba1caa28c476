from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from decimal import Decimal

import polars as pl
import psycopg
import pytest
import sqlalchemy as sa

from irp.errors import StoreError
from irp.store import offers
from irp.store.db import Database
from irp.store.tables import refurbishers

NOW = datetime(2024, 5, 1, 12, tzinfo=UTC)
LATER = datetime(2024, 5, 2, 12, tzinfo=UTC)
N = 3000


def _feed(n: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "sku": [f"SKU-{i:05d}" for i in range(n)],
            "name": [f"Phone {i}" for i in range(n)],
            "stock_available": list(range(n)),
            "price_purchase_amount": [f"{i}.{i % 10000:04d}" for i in range(n)],
            "price_selling_amount": pl.Series(
                [Decimal(i) / 100 for i in range(n)], dtype=pl.Decimal(14, 2)
            ),
            "listed": [i % 2 == 0 for i in range(n)],
            "row_hash": pl.Series(range(n), dtype=pl.Int64).hash(seed=1),
            "price_breakdown": [f'{{"cost": "{i}"}}' for i in range(n)],
        }
    )


@pytest.fixture
def loaded(database: Database) -> Database:
    with database.begin() as conn:
        conn.execute(
            sa.insert(refurbishers),
            [
                {"key": k, "name": k, "created_at": NOW, "updated_at": NOW}
                for k in ("flexit", "other")
            ],
        )
        assert offers.insert_offers(conn, "flexit", _feed(N), run_id=1, now=NOW) == N
        assert offers.insert_offers(conn, "other", _feed(5), run_id=1, now=NOW) == 5
    return database


def test_bulk_insert_then_index_returns_every_offer_exactly(loaded: Database) -> None:
    feed = _feed(N)
    with loaded.begin() as conn:
        index = offers.load_offer_index(conn, "flexit").sort("sku")
    assert index.columns == list(offers.INDEX_COLUMNS)
    assert index.height == N
    assert index["sku"].to_list() == feed["sku"].to_list()
    assert index["row_hash"].to_list() == feed["row_hash"].reinterpret(signed=True).to_list()
    assert index["listed"].to_list() == feed["listed"].to_list()
    assert index["stock_available"].to_list() == list(range(N))
    assert index["price_purchase_amount"].dtype == pl.Decimal(14, 4)
    assert index["price_purchase_amount"][1234] == Decimal("1234.1234")
    assert index["held_purchase_amount"].null_count() == N
    assert index["id"].n_unique() == N


def test_update_sets_only_the_given_columns_of_matching_skus(loaded: Database) -> None:
    change = pl.DataFrame(
        {
            "sku": [f"SKU-{i:05d}" for i in range(0, 2000, 2)] + ["NOT-STORED"],
            "stock_available": [7] * 1001,
            "price_purchase_amount": pl.Series([Decimal("0.1")] * 1001, dtype=pl.Decimal(14, 4)),
            "row_hash": pl.Series([2**64 - 1] * 1001, dtype=pl.UInt64),
            "unlisted_reason": pl.Series([None] * 1001, dtype=pl.String),
        }
    )
    with loaded.begin() as conn:
        assert offers.update_offers(conn, "flexit", change, run_id=2, now=LATER) == 1000
    with loaded.begin() as conn:
        stored = offers.load_offers(conn, "flexit")
    changed = stored.filter(pl.col("last_run_id") == 2)
    assert changed.height == 1000
    assert changed["stock_available"].unique().to_list() == [7]
    assert changed["price_purchase_amount"].unique().to_list() == [Decimal("0.1000")]
    assert changed["row_hash"].unique().to_list() == [-1]
    assert changed["updated_at"].unique().to_list() == [LATER]
    assert changed["name"][5] == "Phone 10"
    untouched = stored.filter(pl.col("sku") == "SKU-00001").row(0, named=True)
    assert untouched["stock_available"] == 1
    assert untouched["updated_at"] == NOW
    assert untouched["price_selling_amount"] == Decimal("0.0100")
    assert untouched["price_breakdown"] == '{"cost": "1"}'


def test_unlist_zeroes_stock_and_marks_vanished(loaded: Database) -> None:
    with loaded.begin() as conn:
        vanished = offers.unlist_offers(
            conn,
            "flexit",
            ["SKU-00000", "SKU-00002", "GONE"],
            reason="vanished",
            run_id=3,
            now=LATER,
        )
        jumped = offers.unlist_offers(
            conn, "flexit", ["SKU-00004"], reason="price_jump", run_id=3, now=LATER
        )
        other = offers.load_offer_index(conn, "other")
    assert (vanished, jumped) == (2, 1)
    with loaded.begin() as conn:
        stored = offers.load_offers(conn, "flexit").filter(pl.col("last_run_id") == 3)
        listed = offers.load_offers(conn, "flexit", listed_only=True)
    assert stored["sku"].to_list() == ["SKU-00000", "SKU-00002", "SKU-00004"]
    assert stored["stock_available"].to_list() == [0, 0, 0]
    assert stored["listed"].to_list() == [False, False, False]
    assert stored["row_hash"].to_list() == [0, 0, 0]
    assert stored["unlisted_reason"].to_list() == ["vanished", "vanished", "price_jump"]
    assert stored["vanished_at"].to_list() == [LATER, LATER, None]
    assert listed.height == N // 2 - 3
    assert other.sort("sku")["listed"].to_list() == [True, False, True, False, True]


def test_float_money_is_refused(database: Database) -> None:
    bad = pl.DataFrame(
        {
            "sku": ["A"],
            "stock_available": [1],
            "listed": [True],
            "row_hash": [1],
            "price_purchase_amount": [0.1],
        }
    )
    with pytest.raises(StoreError) as caught, database.begin() as conn:
        offers.insert_offers(conn, "flexit", bad, run_id=None, now=NOW)
    assert (
        str(caught.value)
        == "money column 'price_purchase_amount' is Float64; use pl.Decimal or strings"
    )


def test_money_string_with_five_decimals_is_refused(database: Database) -> None:
    bad = pl.DataFrame({"sku": ["A", "B"], "price_purchase_amount": ["1.00", "1.23456"]})
    with pytest.raises(StoreError) as caught, database.begin() as conn:
        offers.update_offers(conn, "flexit", bad, run_id=None, now=NOW)
    assert str(caught.value) == (
        "money column 'price_purchase_amount': '1.23456' is not an amount with at most 10 digits "
        "before and 4 after the point (1 value(s))"
    )


def test_unknown_columns_are_refused(database: Database) -> None:
    with pytest.raises(StoreError) as caught, database.begin() as conn:
        offers.update_offers(
            conn, "flexit", pl.DataFrame({"sku": ["A"], "colour": ["red"]}), run_id=None, now=NOW
        )
    assert str(caught.value) == (
        "offers of 'flexit': column(s) colour are not offer columns; "
        "put other mapped fields in 'extra' as JSON"
    )


def test_index_of_refurbisher_without_offers_is_empty(database: Database) -> None:
    with database.begin() as conn:
        index = offers.load_offer_index(conn, "nobody")
    assert index.height == 0
    assert index.columns == list(offers.INDEX_COLUMNS)


def test_index_narrows_to_given_columns_and_skus(loaded: Database) -> None:
    wanted = pl.Series(["SKU-00007", "SKU-02999", "SKU-99999"])
    with loaded.begin() as conn:
        narrow = offers.load_offer_index(conn, "flexit", columns=("sku", "row_hash", "listed"))
        prices = offers.load_offer_index(
            conn, "flexit", columns=("sku", "price_purchase_amount"), skus=wanted
        )
    assert (narrow.columns, narrow.height) == (["sku", "row_hash", "listed"], N)
    assert sorted(prices.rows()) == [
        ("SKU-00007", Decimal("7.0007")),
        ("SKU-02999", Decimal("2999.2999")),
    ]


def test_large_insert_keeps_every_index_and_the_unique_guard(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(offers, "_BULK_ROWS", 100)  # take the bulk path with a small feed
    with database.begin() as conn:
        conn.execute(
            sa.insert(refurbishers),
            [{"key": "flexit", "name": "f", "created_at": NOW, "updated_at": NOW}],
        )
        assert offers.insert_offers(conn, "flexit", _feed(500), run_id=1, now=NOW) == 500
    names = {i["name"] for i in sa.inspect(database.engine).get_indexes("offers")}
    assert {
        "ix_offers_refurbisher_listed_sku",
        "ix_offers_refurbisher_updated_at",
        "ix_offers_ean",
    } <= names
    duplicate = (sqlite3.IntegrityError, psycopg.errors.UniqueViolation)
    with (
        pytest.raises(duplicate, match=r"UNIQUE|uq_offers_refurbisher_sku"),
        database.begin() as conn,
    ):
        offers.insert_offers(conn, "flexit", _feed(200), run_id=2, now=LATER)
    with database.connect() as conn:
        assert offers.load_offer_index(conn, "flexit").height == 500


def test_index_version_moves_with_every_write(loaded: Database) -> None:
    with loaded.begin() as conn:
        before = offers.index_version(conn, "flexit")
        offers.unlist_offers(conn, "flexit", ["SKU-00001"], reason="stale", run_id=2, now=LATER)
        after = offers.index_version(conn, "flexit")
        nobody = offers.index_version(conn, "nobody")
    assert (before, after, nobody) == (NOW, LATER, None)
