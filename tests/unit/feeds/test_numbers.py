"""Strict locale numbers: Babel-formatted values round-trip; garbage never parses."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest
from babel.numbers import format_currency, format_decimal
from hypothesis import given, settings
from hypothesis import strategies as st

from irp.feeds.numbers import locale_numbers, parse_count, parse_money


def money(
    values: list[str | None], locale: str, currency: str | None = None
) -> list[tuple[int | None, str | None]]:
    frame = parse_money(
        pl.DataFrame({"v": values}, schema={"v": pl.String}), "v", locale_numbers(locale, currency)
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
        ("1,234", "more than 2 decimals"),
        ("1234567890123456", "too large (more than 15 digits)"),
    ],
)
def test_nl_nl_refuses_other_notations(text: str, problem: str) -> None:
    assert money([text], "nl_NL") == [(None, problem)]


@pytest.mark.parametrize(
    ("text", "locale", "sign"),
    [
        ("$1,249.00", "en_US", "$"),
        ("$ 5,00", "nl_NL", "$"),
        ("US$ 1,249.00", "en_US", "US$"),
        ("US$1.249,00", "nl_NL", "US$"),
        ("£12.00", "en_US", "£"),
        ("12,00 £", "nl_NL", "£"),
        ("USD 12,00", "nl_NL", "USD"),
        ("12.00 GBP", "en_US", "GBP"),
        ("-$5.00", "en_US", "$"),
        ("1.249,00 kr", "nl_NL", "kr"),
        ("CHF 12,00", "nl_NL", "CHF"),
    ],
)
def test_another_currencys_sign_is_a_problem_naming_it_and_the_currency(
    text: str, locale: str, sign: str
) -> None:
    assert money([text], locale, "EUR") == [
        (None, f"has another currency's sign ('{sign}'); prices must be in EUR")
    ]


@pytest.mark.parametrize(
    ("text", "locale", "cents"),
    [
        ("€ 1.249,00", "nl_NL", 124900),
        ("EUR 12,00", "nl_NL", 1200),
        ("12,00\xa0€", "nl_NL", 1200),
        ("€1,249.00", "en_US", 124900),
        ("1,249.00 EUR", "en_US", 124900),
    ],
)
def test_the_feeds_own_currency_sign_is_accepted(text: str, locale: str, cents: int) -> None:
    assert money([text], locale, "EUR") == [(cents, None)]


def test_the_currency_decides_which_dollar_is_foreign() -> None:
    assert money(["$1,249.00"], "en_US", "USD") == [(124900, None)]
    assert money(["€1,249.00"], "en_US", "USD") == [
        (None, "has another currency's sign ('€'); prices must be in USD")
    ]


def test_a_price_that_only_looks_wrong_is_not_called_foreign() -> None:
    assert money(["N/A", "EURO 12", "12,00 abc"], "nl_NL", "EUR") == [
        (None, "not a number in nl_NL"),
        (None, "not a number in nl_NL"),
        (None, "not a number in nl_NL"),
    ]


def test_format_error_marks_only_values_not_shaped_like_the_locale() -> None:
    frame = parse_money(
        pl.DataFrame({"v": ["1,249.00", "$ 5,00", "1,234", "12,50", None]}),
        "v",
        locale_numbers("nl_NL", "EUR"),
    )
    assert frame["v_format_error"].to_list() == [True, False, False, False, False]


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
