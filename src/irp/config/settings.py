"""Pricing settings and monitoring thresholds of one refurbisher (SPEC §2, §5)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from irp.config.base import Amount, ConfigModel, fail_at, validate_amount


class LevyTable(ConfigModel):
    """A home-copy levy that depends on a mapped feed field (device kind).

    ``{"field": "product_group", "values": {"Smartphones": "3.18"}, "default": "3.18"}``:
    the offer's ``product_group`` value picks the levy; anything else pays ``default``.
    """

    field: Annotated[str, Field(min_length=1)]
    values: dict[str, Amount]
    default: Amount


class Settings(ConfigModel):
    """How offers are priced, and the operator keys kept for the marketplace side."""

    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "EUR"
    shipping_costs: Amount = Decimal("0")
    home_copy_tax: Decimal | LevyTable = Decimal("0")
    default_margin: Amount
    allow_margin_below_1: bool = False
    margin_mode: Literal["markup", "margin"] = "markup"
    vat_rate: Annotated[Decimal, Field(ge=0, lt=1)] | None = None
    stock_threshold: Annotated[int, Field(ge=0)] = 1
    supplier_id: int | None = None
    odoo_vendor_id: int | None = None
    approved_refurbished: bool | None = None
    drop_ship: bool | None = None

    @field_validator("home_copy_tax", mode="before")
    @classmethod
    def _levy(cls, value: Any) -> Decimal | LevyTable:
        if isinstance(value, LevyTable):
            return value
        if isinstance(value, dict):
            return LevyTable.model_validate(value)
        return validate_amount(value)

    @model_validator(mode="after")
    def _margin_is_a_percentage(self) -> Settings:
        # "0.20" meant as 20% would sell at a 0.2% markup: below cost after fees.
        margin = self.default_margin
        if 0 < margin < 1 and not self.allow_margin_below_1:
            meant = format((margin * 100).normalize(), "f")
            raise fail_at(
                "default_margin",
                "margin_fraction",
                f"default_margin is a percentage: 17 means 17%; got {margin} — did you "
                f"mean {meant}? (if {margin}% is meant, set allow_margin_below_1: true)",
                str(margin),
            )
        return self

    @model_validator(mode="after")
    def _margin_below_100(self) -> Settings:
        if self.margin_mode == "margin" and self.default_margin >= 100:
            raise ValueError(
                "default_margin must be below 100 with margin_mode 'margin' "
                "(selling = cost / (1 - margin/100))"
            )
        return self


class Monitoring(ConfigModel):
    """Alert thresholds; a threshold left out switches its check off."""

    latest_order_hours: Annotated[float, Field(gt=0)] | None = None
    offers_stock_hours: Annotated[float, Field(gt=0)] | None = None
    open_order_days: Annotated[float, Field(gt=0)] | None = None
    offers_endpoint_status: Annotated[int, Field(ge=100, le=599)] | None = None
    stuck_order_hours: Annotated[float, Field(gt=0)] = 4.0
    secret_expiry_days: Annotated[int, Field(ge=0)] = 30
