"""Shipment webhooks and polling (SPEC §4): just the settings, kept deliberately small."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from irp.config.base import ConfigModel
from irp.config.order import typed_variant, validate_typed


class HmacAuth(ConfigModel):
    """HMAC-SHA256 of the raw body with a shared secret, hex in ``header``.

    With ``timestamp_header`` set, the signature covers ``"<timestamp>.<body>"`` and a
    timestamp older than ``tolerance_seconds`` is a replay.
    """

    type: Literal["hmac_sha256"]
    secret: SecretStr
    header: str = "X-Signature"
    timestamp_header: str | None = None
    tolerance_seconds: Annotated[int, Field(ge=1)] = 300


class TokenAuth(ConfigModel):
    """A static shared token the refurbisher sends in ``header``."""

    type: Literal["token"]
    token: SecretStr
    header: str = "X-Webhook-Token"


WEBHOOK_AUTH_BY_TYPE: dict[str, type[ConfigModel]] = {"hmac_sha256": HmacAuth, "token": TokenAuth}


class ShipmentFields(ConfigModel):
    """Dotted paths into the refurbisher's payload for each shipment fact."""

    external_reference: str | None = None
    order_id: str | None = None
    carrier: str | None = None
    tracking_code: str | None = None
    tracking_url: str | None = None
    shipped_at: str | None = None


class ShipmentWebhook(ConfigModel):
    """``POST /webhooks/{refurbisher}/shipments``: how to trust and read a delivery."""

    variant_fields = frozenset({"auth"})

    auth: HmacAuth | TokenAuth
    fields: ShipmentFields

    @classmethod
    def variant(cls, field: str, data: Mapping[str, Any]) -> type[ConfigModel] | None:
        return typed_variant(data, WEBHOOK_AUTH_BY_TYPE) if field == "auth" else None

    @field_validator("auth", mode="before")
    @classmethod
    def _auth_by_type(cls, value: Any) -> Any:
        return validate_typed(value, WEBHOOK_AUTH_BY_TYPE)

    @model_validator(mode="after")
    def _order_is_identified(self) -> ShipmentWebhook:
        if self.fields.external_reference is None and self.fields.order_id is None:
            raise ValueError("fields needs external_reference or order_id to find the order")
        return self


class ShipmentPoll(ConfigModel):
    """Ask the refurbisher about submitted orders; uses the order connector's auth.

    ``endpoint`` placeholders ``{name}`` are dotted paths into the submitted order
    (``{externalOrderReference}``, ``{externalDocumentNumber}``...).
    """

    endpoint: Annotated[str, Field(pattern=r"^https?://\S+$")]
    method: Literal["GET", "POST"] = "GET"
    interval_seconds: Annotated[float, Field(ge=60)] = 900.0
    fields: ShipmentFields
