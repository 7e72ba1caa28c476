"""Named filters of the template language (``path->filter``).

A refurbisher is configuration, not code: when a supplier needs a value shaped
differently, the shape becomes a filter here that every refurbisher can use. Each
filter is a pure function of one value; it raises :class:`~irp.errors.TemplateError`
with a message that starts with the offending value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from irp.errors import TemplateError
from irp.template.casts import to_decimal, to_string
from irp.template.countries import UnknownCountryError, country_alpha2, country_alpha3

_CENTS: Final = Decimal("0.01")


@dataclass(frozen=True)
class Filter:
    """A named filter and the one-line help shown in errors and docs."""

    name: str
    apply: Callable[[object], object]
    help: str


def _text(value: object) -> str:
    """Text filters take text; numbers and booleans become text as ``(string)`` would."""
    if value is None:
        raise TemplateError("null has no text to filter")
    return to_string(value)


def get_iso_alpha2(value: object) -> str:
    """Country name (English or Dutch), alpha-2 or alpha-3 code -> ISO 3166 alpha-2 ('NL')."""
    try:
        return country_alpha2(_text(value))
    except UnknownCountryError as exc:
        raise TemplateError(exc.problem) from None


def get_iso_alpha3(value: object) -> str:
    """Country name (English or Dutch), alpha-2 or alpha-3 code -> ISO 3166 alpha-3 ('NLD')."""
    try:
        return country_alpha3(_text(value))
    except UnknownCountryError as exc:
        raise TemplateError(exc.problem) from None


def format_by_decimal(value: object) -> str:
    """Money -> text with exactly two decimals, rounded half-up: '249' -> '249.00'."""
    if value is None:
        raise TemplateError("null is not an amount")
    amount = to_decimal(value)
    return format(amount.quantize(_CENTS, rounding=ROUND_HALF_UP), "f")


def digits(value: object) -> str:
    """Keep only the digits 0-9: '+31 6-1234 5678' -> '31612345678'."""
    return "".join(ch for ch in _text(value) if "0" <= ch <= "9")


def remove_spaces(value: object) -> str:
    """Drop all whitespace: '1012 AB' -> '1012AB'."""
    return "".join(_text(value).split())


FILTERS: Final[dict[str, Filter]] = {
    f.name: f
    for f in (
        Filter("getIsoAlpha2", get_iso_alpha2, "country -> ISO 3166 alpha-2, e.g. 'NL'"),
        Filter("getIsoAlpha3", get_iso_alpha3, "country -> ISO 3166 alpha-3, e.g. 'NLD'"),
        Filter("formatByDecimal", format_by_decimal, "amount -> '249.00' (2 decimals, half-up)"),
        Filter("upper", lambda v: _text(v).upper(), "text -> UPPER CASE"),
        Filter("lower", lambda v: _text(v).lower(), "text -> lower case"),
        Filter("trim", lambda v: _text(v).strip(), "strip leading/trailing whitespace"),
        Filter("digits", digits, "keep only the digits 0-9"),
        Filter("removeSpaces", remove_spaces, "drop all whitespace, e.g. '1012 AB' -> '1012AB'"),
    )
}
