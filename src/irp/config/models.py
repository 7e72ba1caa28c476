"""A refurbisher as configured, and the whole loaded config."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import PrivateAttr, model_validator

from irp.config.base import ConfigModel
from irp.config.offers import OffersConfig
from irp.config.order import OrderConfig
from irp.config.platform import PlatformConfig
from irp.config.settings import LevyTable, Monitoring, Settings
from irp.config.shipments import ShipmentPoll, ShipmentWebhook
from irp.errors import ConfigError


class Refurbisher(ConfigModel):
    """One refurbisher for the active environment (``environments`` already merged)."""

    name: str
    refurbisher_id: int
    settings: Settings
    monitoring: Monitoring = Monitoring()
    offers: OffersConfig | None = None
    order: OrderConfig | None = None
    shipment_webhook: ShipmentWebhook | None = None
    shipment_poll: ShipmentPoll | None = None

    _key: str = PrivateAttr(default="")
    _secret_expiries: dict[str, date] = PrivateAttr(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _settings_optional_without_offers(cls, data: Any) -> Any:
        # Pricing needs settings; a refurbisher that only takes orders does not.
        if isinstance(data, dict) and "settings" not in data and data.get("offers") is None:
            return {**data, "settings": {"default_margin": "0"}}
        return data

    @property
    def key(self) -> str:
        """The refurbisher's key in the config file (``flexit``)."""
        return self._key

    @property
    def secret_expiries(self) -> dict[str, date]:
        """Dotted path of each secret with an ``expires`` date -> that date."""
        return dict(self._secret_expiries)


def cross_check(refurbisher: Refurbisher, path: str) -> list[ConfigError]:
    """Rules that span sections, with the path of the key to fix."""
    errors: list[ConfigError] = []
    levy = refurbisher.settings.home_copy_tax
    if isinstance(levy, LevyTable):
        mapped = sorted(refurbisher.offers.mapping) if refurbisher.offers else []
        if levy.field not in mapped:
            errors.append(
                ConfigError(
                    f"{path}.settings.home_copy_tax.field",
                    f"expected a field of offers.mapping ({', '.join(mapped) or 'none'}), "
                    f"got {levy.field!r}",
                )
            )
    if refurbisher.shipment_poll is not None and refurbisher.order is None:
        errors.append(
            ConfigError(f"{path}.shipment_poll", "needs an order section (it uses order.auth)")
        )
    return errors


@dataclass(frozen=True)
class Config:
    """The loaded configuration for one environment.

    ``hash`` is the sha256 of the merged config before secrets are resolved (literal
    secrets masked), recorded on every sync run and order attempt.
    """

    path: Path
    env: str
    hash: str
    refurbishers: dict[str, Refurbisher]
    platform: PlatformConfig = field(default_factory=PlatformConfig)
    _secret_values: frozenset[str] = field(default=frozenset(), repr=False, compare=False)

    def secret_values(self) -> set[str]:
        """Every resolved secret value, so log handlers can redact them."""
        return set(self._secret_values)

    def refurbisher(self, key: str) -> Refurbisher:
        """The refurbisher called ``key``; a ConfigError listing the known ones if none."""
        try:
            return self.refurbishers[key]
        except KeyError:
            known = ", ".join(sorted(self.refurbishers)) or "none"
            raise ConfigError(
                key, f"no refurbisher {key!r} in {self.path}; known: {known}"
            ) from None
