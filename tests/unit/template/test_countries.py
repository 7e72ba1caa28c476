"""One country module for intake and the template filters: English and Dutch names."""

from __future__ import annotations

import pytest

from irp.orders.intake import ShippingAddress
from irp.template.countries import UnknownCountryError, build_index, country_alpha2


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("Nederland", "NL"),
        ("NEDERLAND", "NL"),
        ("Duitsland", "DE"),
        ("België", "BE"),
        ("belgie", "BE"),
        ("Verenigd  Koninkrijk", "GB"),
        ("Ivoorkust", "CI"),
        ("Curacao", "CW"),
        ("Netherlands", "NL"),
        ("Côte d'Ivoire", "CI"),
        ("cote d'ivoire", "CI"),
        ("nl", "NL"),
        ("DEU", "DE"),
        (" be ", "BE"),
    ],
)
def test_dutch_and_english_names_and_codes_resolve(value: str, code: str) -> None:
    assert country_alpha2(value) == code


@pytest.mark.parametrize("value", ["Nederland", "duitsland", "Belgie"])
def test_inbound_orders_accept_dutch_country_names(value: str) -> None:
    address = ShippingAddress(
        full_name="Jan Jansen",
        full_address="Damrak 1",
        zipcode="1012 AB",
        city="Amsterdam",
        country=value,
    )
    assert address.country == {"Nederland": "NL", "duitsland": "DE", "Belgie": "BE"}[value]


def test_an_unaccented_name_two_countries_share_matches_only_with_its_accents() -> None:
    index = build_index([("Ländé", "AA"), ("Lande", "BB"), ("Ålpha", "CC")])
    assert index["ländé"] == "AA"
    assert index["lande"] == "BB"  # the exact name wins over an unaccented form
    assert index["alpha"] == "CC"
    ambiguous = build_index([("Ländé", "AA"), ("Landé", "BB")])
    assert "lande" not in ambiguous
    assert ambiguous["landé"] == "BB"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("Narnia", "'Narnia' is not a known country; give a name, alpha-2 or alpha-3 code "
         "(e.g. Netherlands, NL, NLD)"),
        ("   ", "expected a country name, alpha-2 or alpha-3 code, got '   '"),
        (31, "expected a country name, alpha-2 or alpha-3 code, got 31"),
    ],
)  # fmt: skip
def test_a_value_that_names_no_country_is_refused_with_the_value(
    value: object, message: str
) -> None:
    with pytest.raises(UnknownCountryError) as caught:
        country_alpha2(value)
    assert str(caught.value) == message
