"""A refurbisher as configured, and the whole loaded config."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
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
from irp.errors import ConfigError, ConfigErrors


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
    environment_endpoints_reviewed: bool = False
    """Outside production, true says its endpoints are right without an environments block."""

    _key: str = PrivateAttr(default="")
    _secret_expiries: dict[str, date] = PrivateAttr(default_factory=dict)
    _order_endpoint_refusal: str | None = PrivateAttr(default=None)

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

    @property
    def order_endpoint_refusal(self) -> str | None:
        """Why no order or lookup may be sent to it in this environment (None: they may).

        Computed at load (``load.order_endpoint_refusal``): outside production, an
        order endpoint nobody chose for the environment is production's.
        """
        return self._order_endpoint_refusal


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
    broken: dict[str, list[ConfigError]] = field(default_factory=dict)
    """Refurbishers set aside by errors of their own -> those errors (file order)."""
    _secret_values: frozenset[str] = field(default=frozenset(), repr=False, compare=False)

    def secret_values(self) -> set[str]:
        """Every resolved secret value, so log handlers can redact them."""
        return set(self._secret_values)

    def refurbisher(self, key: str) -> Refurbisher:
        """The refurbisher called ``key``.

        RefurbisherDisabledError (a ConfigErrors) with its errors when it is broken; a
        ConfigError listing the known ones when there is none.
        """
        if key in self.broken:
            raise RefurbisherDisabledError(key, self.broken[key])
        try:
            return self.refurbishers[key]
        except KeyError:
            known = ", ".join(sorted([*self.refurbishers, *self.broken])) or "none"
            raise ConfigError(
                key, f"no refurbisher {key!r} in {self.path}; known: {known}"
            ) from None

    def for_sending(self) -> Config:
        """This config without the refurbishers whose orders must not be sent in ``env``.

        What the order pass hands to submission and lookups, so that an order endpoint
        nobody chose for this environment is never called (see
        :attr:`Refurbisher.order_endpoint_refusal`).
        """
        allowed = {
            key: ref for key, ref in self.refurbishers.items() if not ref.order_endpoint_refusal
        }
        return replace(self, refurbishers=allowed)


class RefurbisherDisabledError(ConfigErrors):
    """A command named a refurbisher that its own configuration errors set aside."""

    def __init__(self, key: str, errors: list[ConfigError]) -> None:
        super().__init__(errors)
        self.key = key
        lines = "\n".join(f"  - {e}" for e in errors)
        self.message = (
            f"refurbisher {key} is disabled by {len(errors)} configuration error(s) of its "
            f"own:\n{lines}"
        )
        self.args = (self.message,)
