"""Country names and codes -> ISO 3166, for order intake and the ``getIsoAlpha2`` filter.

The marketplace sends a country as an alpha-2 or alpha-3 code, or as a name in English
or Dutch (``NL``, ``NLD``, ``Netherlands``, ``Nederland``, ``Duitsland``, ``België``).
Names are matched in any case, with runs of spaces as one, and with or without
diacritics (``Belgie``) where that leaves a single country. English names and codes
come from pycountry (ISO 3166-1, also the numeric code ``528``); Dutch names from
CLDR through Babel. One module answers for both callers, so an order that intake
accepted always renders.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import cache

import babel
import pycountry

__all__ = ["UnknownCountryError", "country_alpha2", "country_alpha3"]


class UnknownCountryError(ValueError):
    """The value names no country: the message quotes it and says what to give;
    ``problem`` is the message without that hint (for a rendered payload, where the
    order was already accepted and the hint is for no one)."""

    def __init__(self, problem: str, hint: str = "") -> None:
        super().__init__(f"{problem}; {hint}" if hint else problem)
        self.problem = problem


def _plain(text: str) -> str:
    """Case-folded, spaces collapsed: the form names are compared in."""
    return " ".join(text.casefold().split())


def _without_diacritics(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def build_index(names: Iterable[tuple[str, str]]) -> dict[str, str]:
    """(name, alpha-2) pairs -> lookup table of plain names and their unaccented forms.

    An unaccented form that two countries share is left out: it matches only when
    written with its diacritics.
    """
    index: dict[str, str] = {}
    stripped: dict[str, set[str]] = {}
    for name, code in names:
        plain = _plain(name)
        index[plain] = code
        stripped.setdefault(_without_diacritics(plain), set()).add(code)
    for form, codes in stripped.items():
        if len(codes) == 1:
            index.setdefault(form, next(iter(codes)))
    return index


@cache
def _index() -> dict[str, str]:
    dutch = babel.Locale("nl").territories
    pairs: list[tuple[str, str]] = []
    for country in pycountry.countries:
        code = str(country.alpha_2)
        for attribute in ("name", "official_name", "common_name"):
            name = getattr(country, attribute, None)
            if name:
                pairs.append((str(name), code))
        if code in dutch:
            pairs.append((str(dutch[code]), code))
    return build_index(pairs)


def _lookup(value: object) -> pycountry.db.Country:
    if not isinstance(value, str) or not value.strip():
        raise UnknownCountryError(
            f"expected a country name, alpha-2 or alpha-3 code, got {value!r}"
        )
    text = value.strip()
    if len(text) == 2 and text.isascii():
        by_code = pycountry.countries.get(alpha_2=text.upper())
    elif len(text) == 3 and text.isascii():
        by_code = pycountry.countries.get(alpha_3=text.upper())
    else:
        by_code = None
    if by_code is not None:
        return by_code
    code = _index().get(_plain(text)) or _index().get(_without_diacritics(_plain(text)))
    try:
        return pycountry.countries.lookup(code or text)
    except LookupError:
        raise UnknownCountryError(
            f"{value!r} is not a known country",
            "give a name, alpha-2 or alpha-3 code (e.g. Netherlands, NL, NLD)",
        ) from None


def country_alpha2(value: object) -> str:
    """A country name (English or Dutch), alpha-2 or alpha-3 code -> ISO 3166 alpha-2.

    ``country_alpha2("Nederland") == country_alpha2("nld") == "NL"``;
    ``country_alpha2("belgie") == "BE"``. Raises :class:`UnknownCountryError` (a
    ValueError) naming the value when it resolves to no country.
    """
    return str(_lookup(value).alpha_2)


def country_alpha3(value: object) -> str:
    """The same as :func:`country_alpha2`, giving the alpha-3 code (``"NLD"``)."""
    return str(_lookup(value).alpha_3)
