from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from decimal import Decimal

import polars as pl
import psycopg
import pytest
import sqlalchemy as sa

from irp.errors import OffersChangedError, StoreError
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


def test_unique_index_guards_against_inserting_a_stored_sku_again(loaded: Database) -> None:
    names = {i["name"] for i in sa.inspect(loaded.engine).get_indexes("offers")}
    assert {"ix_offers_refurbisher_listed_sku", "ix_offers_ean"} <= names
    assert "ix_offers_refurbisher_updated_at" not in names  # migration 0003
    duplicate = (sqlite3.IntegrityError, psycopg.errors.UniqueViolation)
    with (
        pytest.raises(duplicate, match=r"UNIQUE|uq_offers_refurbisher_sku"),
        loaded.begin() as conn,
    ):
        offers.insert_offers(conn, "flexit", _feed(N + 200).tail(400), run_id=2, now=LATER)
    with loaded.connect() as conn:
        assert offers.load_offer_index(conn, "flexit").height == N
        assert offers.offers_version(conn, "flexit") > 0


def _version(db: Database, key: str = "flexit") -> int:
    with db.connect() as conn:
        return offers.offers_version(conn, key)


def test_every_write_changes_the_offers_version_of_its_refurbisher_only(loaded: Database) -> None:
    seen = [_version(loaded)]
    other = _version(loaded, "other")
    change = pl.DataFrame({"sku": ["SKU-00001"], "stock_available": [9]})
    writes = [
        lambda c: offers.update_offers(c, "flexit", change, run_id=2, now=LATER),
        lambda c: offers.unlist_offers(
            c, "flexit", ["SKU-00002"], reason="stale", run_id=2, now=LATER
        ),
        lambda c: offers.insert_offers(c, "flexit", _feed(N + 1).tail(1), run_id=2, now=LATER),
    ]
    for write in writes:
        with loaded.begin() as conn:
            assert write(conn) == 1
        seen.append(_version(loaded))

    assert len(set(seen)) == 4 and 0 not in seen
    assert _version(loaded, "other") == other
    assert _version(loaded, "nobody") == 0


def test_writing_nothing_leaves_the_version_alone(loaded: Database) -> None:
    before = _version(loaded)
    with loaded.begin() as conn:
        assert offers.update_offers(conn, "flexit", _feed(0), run_id=2, now=LATER) == 0
        assert offers.unlist_offers(conn, "flexit", [], reason="stale", run_id=2, now=LATER) == 0
    assert _version(loaded) == before


def test_guarded_write_applies_on_the_expected_version_only(loaded: Database) -> None:
    planned = _version(loaded)
    change = pl.DataFrame({"sku": ["SKU-00003"], "stock_available": [42]})
    with loaded.begin() as conn:
        write = offers.OfferWrite(conn, "flexit", expected=planned)
        assert write.update(change, run_id=2, now=LATER) == 1
    first = write.version
    assert first == _version(loaded) != planned

    with pytest.raises(OffersChangedError) as caught, loaded.begin() as conn:  # stale plan
        offers.OfferWrite(conn, "flexit", expected=planned).unlist(
            ["SKU-00003"], reason="vanished", run_id=3, now=LATER
        )
    assert str(caught.value) == (
        f"flexit: the offers changed since version {planned} (now {first}): "
        "another writer was at work"
    )
    with loaded.connect() as conn:
        stored = offers.load_offer_index(conn, "flexit", skus=pl.Series(["SKU-00003"]))
    assert (stored["stock_available"][0], stored["listed"][0]) == (42, False)
    assert _version(loaded) == first


def test_write_for_a_refurbisher_not_stored_is_refused(database: Database) -> None:
    with pytest.raises(StoreError) as caught, database.begin() as conn:
        offers.insert_offers(conn, "ghost", _feed(1), run_id=1, now=NOW)
    assert str(caught.value) == (
        "offers of 'ghost': the refurbisher is not stored (refurbishers.ensure_refurbisher "
        "comes first)"
    )


def test_commit_without_flush_wait_lasts_one_transaction(database: Database) -> None:
    if database.dialect != "postgresql":
        with database.write_transaction() as conn:
            offers.commit_without_flush_wait(conn)  # SQLite: nothing to set
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar_one() == 2
        return
    with database.write_transaction() as conn:
        offers.commit_without_flush_wait(conn)
        assert conn.exec_driver_sql("SHOW synchronous_commit").scalar_one() == "off"
    with database.write_transaction() as conn:
        assert conn.exec_driver_sql("SHOW synchronous_commit").scalar_one() == "on"


AWKWARD = ["tab\there", "line\nbreak", "cr\rhere", "back\\slash", "\\N", "", '"quoted"; x,y', None]


def test_awkward_text_survives_insert_and_update(database: Database) -> None:
    # PostgreSQL writes through COPY's text format: every escape must come back exact.
    skus = [f"SKU-{i}" for i in range(len(AWKWARD))]
    extra = [None if v is None else json.dumps({"note": v}) for v in AWKWARD]
    frame = pl.DataFrame(
        {
            "sku": skus,
            "name": AWKWARD,
            "stock_available": [1] * len(skus),
            "listed": [True] * len(skus),
            "row_hash": list(range(1, len(skus) + 1)),
            "extra": extra,
        },
        schema_overrides={"name": pl.String, "extra": pl.String},
    )
    with database.begin() as conn:
        conn.execute(
            sa.insert(refurbishers),
            [{"key": "flexit", "name": "f", "created_at": NOW, "updated_at": NOW}],
        )
        offers.insert_offers(conn, "flexit", frame, run_id=1, now=NOW)
    with database.begin() as conn:
        inserted = offers.load_offers(conn, "flexit")
    renamed = frame.select("sku", pl.col("name").reverse(), pl.col("extra").reverse())
    with database.begin() as conn:
        offers.update_offers(conn, "flexit", renamed, run_id=2, now=LATER)
    with database.begin() as conn:
        updated = offers.load_offers(conn, "flexit")

    assert inserted["name"].to_list() == AWKWARD
    assert [None if e is None else json.loads(e)["note"] for e in inserted["extra"]] == AWKWARD
    assert updated["name"].to_list() == AWKWARD[::-1]
    assert [None if e is None else json.loads(e)["note"] for e in updated["extra"]] == AWKWARD[::-1]
