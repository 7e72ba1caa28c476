from __future__ import annotations

from decimal import Decimal

import pytest

from irp.errors import TemplateError
from irp.template.filters import FILTERS


def apply(name: str, value: object) -> object:
    return FILTERS[name].apply(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("249", "249.00"),
        ("12.345", "12.35"),
        ("12.344", "12.34"),
        (Decimal("0.005"), "0.01"),
        (Decimal("-2.5"), "-2.50"),
        (7, "7.00"),
        (Decimal("249.00"), "249.00"),
    ],
)
def test_format_by_decimal_rounds_half_up_to_two_decimals(value: object, expected: str) -> None:
    assert apply("formatByDecimal", value) == expected


def test_format_by_decimal_refuses_locale_text() -> None:
    with pytest.raises(TemplateError, match=r"^'12,5' is not a number"):
        apply("formatByDecimal", "12,5")


@pytest.mark.parametrize(
    ("value", "alpha2", "alpha3"),
    [
        ("NL", "NL", "NLD"),
        ("nld", "NL", "NLD"),
        ("Germany", "DE", "DEU"),
        (" be ", "BE", "BEL"),
        ("United Kingdom", "GB", "GBR"),
        ("Nederland", "NL", "NLD"),
        ("duitsland", "DE", "DEU"),
        ("België", "BE", "BEL"),
        ("Belgie", "BE", "BEL"),
    ],
)
def test_country_filters(value: str, alpha2: str, alpha3: str) -> None:
    assert apply("getIsoAlpha2", value) == alpha2
    assert apply("getIsoAlpha3", value) == alpha3


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("Atlantis", "'Atlantis' is not a known country"),
        ("XX", "'XX' is not a known country"),
        ("", "expected a country name, alpha-2 or alpha-3 code, got ''"),
    ],
)  # fmt: skip
def test_unknown_country_is_an_error_naming_the_value(value: str, message: str) -> None:
    for name in ("getIsoAlpha2", "getIsoAlpha3"):
        with pytest.raises(TemplateError) as caught:
            apply(name, value)
        assert str(caught.value) == message


def test_text_filters() -> None:
    assert apply("upper", "Jan") == "JAN"
    assert apply("lower", "JAN") == "jan"
    assert apply("trim", "  Jan \t") == "Jan"
    assert apply("digits", "+31 6-1234 5678") == "31612345678"
    assert apply("removeSpaces", "1012 AB") == "1012AB"
    assert apply("upper", True) == "TRUE"
    assert apply("digits", Decimal("12.50")) == "1250"
