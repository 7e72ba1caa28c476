"""Strict locale numbers: Babel-formatted values round-trip; garbage never parses."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest
from babel.numbers import format_currency, format_decimal
from hypothesis import given, settings
from hypothesis import strategies as st

from irp.feeds.numbers import locale_numbers, parse_count, parse_money


def money(values: list[str | None], locale: str) -> list[tuple[int | None, str | None]]:
    frame = parse_money(
        pl.DataFrame({"v": values}, schema={"v": pl.String}), "v", locale_numbers(locale)
    )
    return frame.select("v_cents", "v_problem").rows()


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("1.234,56", 123456),
        ("€ 1.234,56", 123456),
        ("€\xa0249,00", 24900),
        ("249,00", 24900),
        ("12,5", 1250),
        ("1234,56", 123456),
        ("1234", 123400),
        ("1.234.567,89 €", 123456789),
    ],
)
def test_nl_nl_accepts_its_own_notation(text: str, cents: int) -> None:
    assert money([text], "nl_NL") == [(cents, None)]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("12.5", "not a number in nl_NL"),
        ("1,234.56", "not a number in nl_NL"),
        ("1.23", "not a number in nl_NL"),
        ("12.34,5", "not a number in nl_NL"),
        ("$ 5,00", "not a number in nl_NL"),
        ("1,234", "more than 2 decimals"),
        ("1234567890123456", "too large (more than 15 digits)"),
    ],
)
def test_nl_nl_refuses_other_notations(text: str, problem: str) -> None:
    assert money([text], "nl_NL") == [(None, problem)]


def test_empty_money_is_null_without_problem() -> None:
    assert money([None], "nl_NL") == [(None, None)]


def test_counts_are_strict_whole_numbers() -> None:
    count, problem = parse_count(pl.col("v"))
    frame = pl.DataFrame({"v": ["12", "-1", "1,5", "abc", None, "007"]})
    assert frame.select(count.alias("c"), problem.alias("p")).rows() == [
        (12, None),
        (None, "not a whole number >= 0"),
        (None, "not a whole number >= 0"),
        (None, "not a whole number >= 0"),
        (None, "empty; a whole number >= 0 is required"),
        (7, None),
    ]


amounts = st.decimals(min_value=0, max_value=Decimal("9999999999.99"), places=2)


@settings(max_examples=300, deadline=None)
@given(amount=amounts, locale=st.sampled_from(["nl_NL", "en_US", "de_DE"]), currency=st.booleans())
def test_babel_formatted_amounts_parse_back_exactly(
    amount: Decimal, locale: str, currency: bool
) -> None:
    code = "USD" if locale == "en_US" else "EUR"
    text = (
        format_currency(amount, code, locale=locale)
        if currency
        else format_decimal(amount, locale=locale, decimal_quantization=False)
    )
    assert money([text], locale) == [(int(amount * 100), None)]


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet="0123456789.,€$ -abcE\xa0", min_size=1, max_size=12))
def test_garbage_never_parses_silently(text: str) -> None:
    ((cents, problem),) = money([text], "nl_NL")
    if cents is None:
        assert problem is not None
        return
    # Whatever parses must be the one reading nl_NL allows.
    plain = text.replace("€", "").replace("\xa0", "").strip()
    integer, _, fraction = plain.partition(",")
    assert "." not in fraction
    groups = integer.lstrip("-").split(".")
    assert all(len(g) == 3 for g in groups[1:]) and 1 <= len(groups[0]) <= (
        3 if len(groups) > 1 else 15
    )
    assert Decimal(plain.replace(".", "").replace(",", ".")) * 100 == cents
