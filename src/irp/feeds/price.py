"""Selling prices from purchase prices, exactly, for a whole feed at once (SPEC §2).

cost = purchase + shipping_costs + home_copy_tax (the levy is part of the cost, so it
is marked up). ``markup``: selling = cost x (1 + m/100); ``margin``: selling =
cost / (1 - m/100). The selling price is rounded once, half-up to cents; with a
``vat_rate``, selling_incl_vat = round(selling x (1 + vat_rate)), half-up to cents.

Everything is integer arithmetic on cents (Int128 for the intermediate products): each
formula is a rational ``a / b`` rounded half-up as ``(2a + b) // 2b`` for ``a >= 0``
(mirrored for negatives) — the same result as ``Decimal.quantize(ROUND_HALF_UP)``,
which a property test checks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import polars as pl

from irp.errors import ConfigError, FeedError
from irp.feeds.numbers import MONEY_DTYPE, cents_text

__all__ = ["LEVY_CENTS", "LevyTable", "Pricing", "add_breakdown", "price_offers"]


@dataclass(frozen=True)
class LevyTable:
    """A home-copy levy per value of a mapped field (e.g. ``product_group``)."""

    field: str
    values: Mapping[str, Decimal]
    default: Decimal


@dataclass(frozen=True)
class Pricing:
    """A refurbisher's pricing settings. Money in ``Decimal`` whole cents."""

    shipping_costs: Decimal = Decimal("0")
    home_copy_tax: Decimal | LevyTable = Decimal("0")
    default_margin: Decimal = Decimal("0")
    margin_mode: str = "markup"
    vat_rate: Decimal | None = None
    stock_threshold: int = 1

    def __post_init__(self) -> None:
        _cents(self.shipping_costs, "settings.shipping_costs")
        levies = (
            [self.home_copy_tax.default, *self.home_copy_tax.values.values()]
            if isinstance(self.home_copy_tax, LevyTable)
            else [self.home_copy_tax]
        )
        for levy in levies:
            _cents(levy, "settings.home_copy_tax")
        if self.margin_mode not in ("markup", "margin"):
            raise ConfigError("settings.margin_mode", "must be 'markup' or 'margin'")
        if self.margin_mode == "margin" and self.default_margin >= 100:
            raise ConfigError("settings.default_margin", "a margin must be below 100 percent")

    @classmethod
    def from_settings(cls, settings: Any) -> Pricing:
        """Take the pricing keys of a refurbisher's ``Settings`` (read by attribute name)."""
        levy = getattr(settings, "home_copy_tax", Decimal("0"))
        if not isinstance(levy, Decimal) and hasattr(levy, "field"):
            levy = LevyTable(
                field=str(levy.field),
                values={str(k): Decimal(v) for k, v in dict(levy.values).items()},
                default=Decimal(levy.default),
            )
        vat = getattr(settings, "vat_rate", None)
        return cls(
            shipping_costs=Decimal(getattr(settings, "shipping_costs", 0)),
            home_copy_tax=levy if isinstance(levy, LevyTable) else Decimal(levy),
            default_margin=Decimal(getattr(settings, "default_margin", 0)),
            margin_mode=str(getattr(settings, "margin_mode", "markup")),
            vat_rate=None if vat is None else Decimal(vat),
            stock_threshold=int(getattr(settings, "stock_threshold", 1)),
        )

    def fingerprint(self) -> str:
        """sha256 of a canonical JSON of these settings: a change re-prices the feed."""
        levy: object = (
            {
                "field": self.home_copy_tax.field,
                "values": {k: str(v) for k, v in sorted(self.home_copy_tax.values.items())},
                "default": str(self.home_copy_tax.default),
            }
            if isinstance(self.home_copy_tax, LevyTable)
            else str(self.home_copy_tax)
        )
        shape = {
            "shipping_costs": str(self.shipping_costs),
            "home_copy_tax": levy,
            "default_margin": str(self.default_margin),
            "margin_mode": self.margin_mode,
            "vat_rate": None if self.vat_rate is None else str(self.vat_rate),
            "stock_threshold": self.stock_threshold,
        }
        canonical = json.dumps(shape, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


#: Where :func:`price_offers` keeps the levy (cents) when the breakdown is deferred.
LEVY_CENTS = "_levy_cents"


def price_offers(offers: pl.DataFrame, pricing: Pricing, *, breakdown: bool = True) -> pl.DataFrame:
    """Add ``price_selling_amount``, ``price_selling_amount_incl_vat``, ``listed``,
    ``above_srp`` and ``price_breakdown`` (JSON text) to parsed offers.

    Example: shipping 10.00, levy 3.18, markup 17 on purchase 249.00 -> cost 262.18 ->
    262.18 x 1.17 = 306.7506 -> selling 306.75. ``above_srp`` is false without an SRP.

    With ``breakdown=False`` the breakdown — a long string per offer, the biggest thing
    a million-row sync holds — is left for :func:`add_breakdown` to add later, a chunk at
    a time, and the levy is kept (column :data:`LEVY_CENTS`) for it.
    """
    cents = _cents_columns(
        _to_cents(pl.col("price_purchase_amount")), _levy(offers, pricing.home_copy_tax), pricing
    )
    frame = offers.with_columns(
        _to_cents(pl.col("price_consumer_amount")).alias("_srp"), **cents
    ).with_columns(
        cents_text(pl.col("_selling")).cast(MONEY_DTYPE).alias("price_selling_amount"),
        cents_text(pl.col("_incl_vat")).cast(MONEY_DTYPE).alias("price_selling_amount_incl_vat"),
        (
            (pl.col("stock_available") >= pricing.stock_threshold)
            & (pl.col("_purchase") > 0)
            & (pl.col("_selling") > pl.col("_purchase"))
        )
        .fill_null(False)
        .alias("listed"),
        (pl.col("_selling") > pl.col("_srp")).fill_null(False).alias("above_srp"),
    )
    if breakdown:
        frame = frame.with_columns(_breakdown(pricing).alias("price_breakdown"))
    else:
        frame = frame.with_columns(pl.col("_levy").cast(pl.Int64).alias(LEVY_CENTS))
    return frame.drop(*cents, "_srp")


def add_breakdown(priced: pl.DataFrame, pricing: Pricing) -> pl.DataFrame:
    """``priced`` (from ``price_offers(..., breakdown=False)``) with its
    ``price_breakdown``, the same text :func:`price_offers` gives."""
    cents = _cents_columns(
        _to_cents(pl.col("price_purchase_amount")), pl.col(LEVY_CENTS).cast(pl.Int128), pricing
    )
    return (
        priced.with_columns(**cents)
        .with_columns(_breakdown(pricing).alias("price_breakdown"))
        .drop(*cents, LEVY_CENTS)
    )


def _cents_columns(purchase: pl.Expr, levy: pl.Expr, pricing: Pricing) -> dict[str, pl.Expr]:
    """The formula in integer cents: ``_purchase``, ``_levy``, ``_cost``, ``_selling``,
    ``_incl_vat`` (each expression may use the ones before it only through ``purchase``
    and ``levy``, so they can be added in one ``with_columns``)."""
    i128 = pl.Int128
    shipping = pl.lit(_cents(pricing.shipping_costs, "settings.shipping_costs"), i128)
    cost = purchase + shipping + levy
    numerator, denominator = _ratio(pricing.default_margin)  # m = numerator / denominator
    hundred = 100 * denominator
    if pricing.margin_mode == "markup":  # cost x (100 + m) / 100
        selling = _round_half_up(cost * (hundred + numerator), hundred)
    else:  # cost x 100 / (100 - m)
        selling = _round_half_up(cost * hundred, hundred - numerator)
    if pricing.vat_rate is None:
        incl_vat = pl.lit(None, i128)
    else:
        vat_n, vat_d = _ratio(pricing.vat_rate)
        incl_vat = _round_half_up(selling * (vat_d + vat_n), vat_d)
    return {
        "_purchase": purchase,
        "_levy": levy,
        "_cost": cost,
        "_selling": selling,
        "_incl_vat": incl_vat,
    }


def _breakdown(pricing: Pricing) -> pl.Expr:
    """The ``price_breakdown`` JSON text, from the :func:`_cents_columns` of a frame."""
    text = {name: cents_text(pl.col(f"_{name}")) for name in ("purchase", "levy", "cost")}
    incl_text = cents_text(pl.col("_incl_vat"))
    vat_json = "null" if pricing.vat_rate is None else f'"{pricing.vat_rate}"'
    return pl.concat_str(
        pl.lit('{"purchase":"'),
        text["purchase"],
        pl.lit(f'","shipping_costs":"{_money_text(pricing.shipping_costs)}","home_copy_tax":"'),
        text["levy"],
        pl.lit('","cost":"'),
        text["cost"],
        pl.lit(
            f'","margin":"{pricing.default_margin}","margin_mode":"{pricing.margin_mode}",'
            '"selling":"'
        ),
        cents_text(pl.col("_selling")),
        pl.lit(f'","vat_rate":{vat_json},"selling_incl_vat":'),
        pl.concat_str(pl.lit('"'), incl_text, pl.lit('"')).fill_null("null"),
        pl.lit("}"),
    )


def _round_half_up(numerator: pl.Expr, denominator: int) -> pl.Expr:
    """round(numerator / denominator) half away from zero, for denominator > 0."""
    d = pl.lit(denominator, pl.Int128)
    size = numerator.abs()
    rounded = (2 * size + d) // (2 * d)
    return pl.when(numerator < 0).then(pl.lit(0, pl.Int128) - rounded).otherwise(rounded)


def _ratio(value: Decimal) -> tuple[int, int]:
    """An exact ``numerator / 10**k`` form of a Decimal."""
    sign, digits, exponent = value.as_tuple()
    number = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
    assert isinstance(exponent, int)
    if exponent >= 0:
        return number * 10**exponent, 1
    return number, 10**-exponent


def _cents(amount: Decimal, path: str) -> int:
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ConfigError(path, f"{amount} has more than 2 decimals; use whole cents")
    return int(cents)


def _money_text(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01'))}"


def _to_cents(value: pl.Expr) -> pl.Expr:
    # Decimal(18, 2) x 100 is integral, so the cast to an integer is exact.
    return (
        value.cast(MONEY_DTYPE).cast(pl.String).str.replace(".", "", literal=True).cast(pl.Int128)
    )


def _levy(offers: pl.DataFrame, levy: Decimal | LevyTable) -> pl.Expr:
    if not isinstance(levy, LevyTable):
        return pl.lit(_cents(levy, "settings.home_copy_tax"), pl.Int128)
    if levy.field not in offers.columns:
        raise FeedError(
            f"settings.home_copy_tax is keyed by {levy.field!r}, which the feed does not "
            f"map; add {levy.field} to offers.mapping"
        )
    table = {k: _cents(v, "settings.home_copy_tax") for k, v in levy.values.items()}
    return (
        pl.col(levy.field)
        .replace_strict(table, default=_cents(levy.default, "settings.home_copy_tax"))
        .cast(pl.Int128)
    )
