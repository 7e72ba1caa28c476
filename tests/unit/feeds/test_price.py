"""Pricing is exact: hand-computed examples and a Decimal reference."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from irp.errors import ConfigError, FeedError
from irp.feeds.numbers import MONEY_DTYPE
from irp.feeds.price import LevyTable, Pricing, add_breakdown, price_offers

FLEXIT = Pricing(Decimal("10.00"), Decimal("3.18"), Decimal("17"))
CENT = Decimal("0.01")


def offers(purchases: list[str], stock: int = 5, srp: str | None = None) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "sku": [f"S-{i}" for i in range(len(purchases))],
            "stock_available": [stock] * len(purchases),
            "price_purchase_amount": pl.Series([Decimal(p) for p in purchases], dtype=MONEY_DTYPE),
            "price_consumer_amount": pl.Series(
                [None if srp is None else Decimal(srp)] * len(purchases), dtype=MONEY_DTYPE
            ),
            "product_group": ["Laptops"] * len(purchases),
        }
    )


def test_hand_computed_exact_values() -> None:
    rows = price_offers(offers(["249.00", "100.00", "0.01"]), FLEXIT)
    assert rows["price_selling_amount"].to_list() == [
        Decimal("306.75"),  # 262.18 x 1.17 = 306.7506
        Decimal("132.42"),  # 113.18 x 1.17 = 132.4206
        Decimal("15.43"),  # 13.19 x 1.17 = 15.4323
    ]


def test_half_cent_rounds_up() -> None:
    # cost 10.50 x 1.05 = 11.025 -> 11.03
    pricing = Pricing(Decimal("0"), Decimal("0"), Decimal("5"))
    assert price_offers(offers(["10.50"]), pricing)["price_selling_amount"].to_list() == [
        Decimal("11.03")
    ]


def test_margin_mode_divides() -> None:
    # 262.18 / 0.83 = 315.879518... -> 315.88
    pricing = Pricing(Decimal("10.00"), Decimal("3.18"), Decimal("17"), margin_mode="margin")
    assert price_offers(offers(["249.00"]), pricing)["price_selling_amount"].to_list() == [
        Decimal("315.88")
    ]


def test_vat_is_a_second_rounding_and_the_breakdown_shows_every_step() -> None:
    pricing = Pricing(Decimal("10.00"), Decimal("3.18"), Decimal("17"), vat_rate=Decimal("0.21"))
    row = price_offers(offers(["249.00"], srp="299.00"), pricing).row(0, named=True)
    assert row["price_selling_amount_incl_vat"] == Decimal("371.17")  # 306.75 x 1.21 = 371.1675
    assert row["listed"] is True
    assert row["above_srp"] is True
    assert json.loads(row["price_breakdown"]) == {
        "purchase": "249.00",
        "shipping_costs": "10.00",
        "home_copy_tax": "3.18",
        "cost": "262.18",
        "margin": "17",
        "margin_mode": "markup",
        "selling": "306.75",
        "vat_rate": "0.21",
        "selling_incl_vat": "371.17",
    }


def test_without_vat_rate_incl_vat_is_null() -> None:
    row = price_offers(offers(["249.00"]), FLEXIT).row(0, named=True)
    assert row["price_selling_amount_incl_vat"] is None
    assert row["above_srp"] is False
    assert json.loads(row["price_breakdown"])["selling_incl_vat"] is None


def test_listed_needs_stock_at_threshold() -> None:
    assert price_offers(offers(["249.00"], stock=0), FLEXIT)["listed"].to_list() == [False]
    assert price_offers(offers(["249.00"], stock=1), FLEXIT)["listed"].to_list() == [True]


def test_levy_table_by_mapped_field() -> None:
    table = LevyTable("product_group", {"Laptops": Decimal("5.00")}, Decimal("3.18"))
    pricing = Pricing(Decimal("10.00"), table, Decimal("0"))
    assert price_offers(offers(["100.00"]), pricing)["price_selling_amount"].to_list() == [
        Decimal("115.00")
    ]
    with pytest.raises(FeedError, match="keyed by 'brand'"):
        price_offers(offers(["1.00"]), Pricing(home_copy_tax=LevyTable("brand", {}, Decimal(0))))


def test_settings_with_fractions_of_cents_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"^settings.shipping_costs: 0.005 has more"):
        Pricing(shipping_costs=Decimal("0.005"))


def test_fingerprint_changes_with_the_margin() -> None:
    same = Pricing(Decimal("10.00"), Decimal("3.18"), Decimal("17"))
    other = Pricing(Decimal("10.00"), Decimal("3.18"), Decimal("18"))
    assert FLEXIT.fingerprint() == same.fingerprint()
    assert FLEXIT.fingerprint() != other.fingerprint()
    assert len(FLEXIT.fingerprint()) == 64


def test_from_settings_reads_attributes_by_name() -> None:
    class Settings:
        shipping_costs = Decimal("10.00")
        home_copy_tax = Decimal("3.18")
        default_margin = Decimal("17")
        margin_mode = "markup"
        vat_rate = None
        stock_threshold = 1

    assert Pricing.from_settings(Settings()) == FLEXIT


def reference(purchase: Decimal, p: Pricing) -> tuple[Decimal, Decimal | None]:
    assert isinstance(p.home_copy_tax, Decimal)
    cost = purchase + p.shipping_costs + p.home_copy_tax
    if p.margin_mode == "markup":
        selling = (cost * (1 + p.default_margin / 100)).quantize(CENT, ROUND_HALF_UP)
    else:
        raw = cost / (1 - p.default_margin / 100)
        selling = raw.quantize(CENT, ROUND_HALF_UP)
    incl = None
    if p.vat_rate is not None:
        incl = (selling * (1 + p.vat_rate)).quantize(CENT, ROUND_HALF_UP)
    return selling, incl


cents = st.integers(min_value=1, max_value=10**9).map(lambda c: Decimal(c).scaleb(-2))


@settings(max_examples=200, deadline=None)
@given(
    purchase=cents,
    shipping=st.integers(0, 10**5).map(lambda c: Decimal(c).scaleb(-2)),
    levy=st.integers(0, 10**4).map(lambda c: Decimal(c).scaleb(-2)),
    margin=st.decimals(min_value=0, max_value=Decimal("99.9"), places=2),
    mode=st.sampled_from(["markup", "margin"]),
    vat=st.none() | st.decimals(min_value=0, max_value=1, places=3),
)
def test_equals_the_decimal_reference(
    purchase: Decimal,
    shipping: Decimal,
    levy: Decimal,
    margin: Decimal,
    mode: str,
    vat: Decimal | None,
) -> None:
    pricing = Pricing(shipping, levy, margin, margin_mode=mode, vat_rate=vat)
    row = price_offers(offers([str(purchase)]), pricing).row(0, named=True)
    selling, incl = reference(purchase, pricing)
    assert (row["price_selling_amount"], row["price_selling_amount_incl_vat"]) == (selling, incl)


@settings(max_examples=100, deadline=None)
@given(
    purchases=st.lists(cents, min_size=1, max_size=5),
    shipping=st.integers(0, 10**5).map(lambda c: Decimal(c).scaleb(-2)),
    margin=st.decimals(min_value=0, max_value=Decimal("99.9"), places=2),
    mode=st.sampled_from(["markup", "margin"]),
    vat=st.none() | st.decimals(min_value=0, max_value=1, places=3),
    by_group=st.booleans(),
)
def test_breakdown_added_later_is_the_same_text(
    purchases: list[Decimal],
    shipping: Decimal,
    margin: Decimal,
    mode: str,
    vat: Decimal | None,
    by_group: bool,
) -> None:
    levy: Decimal | LevyTable = (
        LevyTable("product_group", {"Laptops": Decimal("5.00")}, Decimal("1.00"))
        if by_group
        else Decimal("3.18")
    )
    pricing = Pricing(shipping, levy, margin, margin_mode=mode, vat_rate=vat)
    frame = offers([str(p) for p in purchases])
    at_once = price_offers(frame, pricing)
    later = add_breakdown(price_offers(frame, pricing, breakdown=False), pricing)
    assert later.columns == [c for c in at_once.columns if c != "price_breakdown"] + [
        "price_breakdown"
    ]
    assert later.select(at_once.columns).rows() == at_once.rows()
