"""Shipment webhooks and polling (SPEC §4): how to trust a delivery and how to read it.

``fields`` are dotted paths (the template language's, :func:`irp.template.paths.
parse_body_path`: ``\\.`` escapes a dot) into one shipment of the refurbisher's payload;
``items_path`` names the list of shipments when one payload carries several. Paths are
checked when the config loads.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from irp.config.base import ConfigModel
from irp.config.order import typed_variant, validate_typed

ShipmentStatus = Literal["shipped", "delivered"]
"""What a shipment event can say about the order (``status_map`` targets)."""

Tolerance = Annotated[int, Field(ge=1)]


def check_whsec(value: SecretStr) -> SecretStr:
    """A Standard Webhooks secret: ``whsec_`` + base64 of at least 16 bytes."""
    text = value.get_secret_value()
    if not text.startswith("whsec_"):
        raise ValueError("expected a Standard Webhooks secret starting with whsec_")
    try:
        key = base64.b64decode(text.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the part after whsec_ is not base64") from None
    if len(key) < 16:
        raise ValueError("the secret is shorter than 16 bytes; ask for a longer one")
    return value


class HmacAuth(ConfigModel):
    """HMAC-SHA256 of the raw body with a shared secret, hex in ``header``.

    With ``timestamp_header`` set, the signature covers ``"<timestamp>.<body>"`` and a
    timestamp further than ``tolerance_seconds`` from now is a replay. ``prefix`` is
    stripped from the header value first (GitHub-style ``sha256=``).
    """

    type: Literal["hmac_sha256"]
    secret: SecretStr
    header: str = "X-Signature"
    prefix: str = ""
    timestamp_header: str | None = None
    tolerance_seconds: Tolerance = 300


class StandardWebhooksAuth(ConfigModel):
    """The Standard Webhooks scheme: ``webhook-id``, ``webhook-timestamp`` and
    ``webhook-signature: v1,<base64>`` headers; the secret is ``whsec_<base64>``."""

    type: Literal["standard_webhooks"]
    secret: SecretStr
    tolerance_seconds: Tolerance = 300

    @field_validator("secret")
    @classmethod
    def _whsec(cls, value: SecretStr) -> SecretStr:
        return check_whsec(value)


class TokenAuth(ConfigModel):
    """A static shared token the refurbisher sends in ``header``."""

    type: Literal["token"]
    token: SecretStr
    header: str = "X-Webhook-Token"


WebhookAuth = HmacAuth | StandardWebhooksAuth | TokenAuth
WEBHOOK_AUTH_BY_TYPE: dict[str, type[ConfigModel]] = {
    "hmac_sha256": HmacAuth,
    "standard_webhooks": StandardWebhooksAuth,
    "token": TokenAuth,
}


def _check_path(value: str | None) -> str | None:
    if value is None:
        return None
    from irp.template.paths import parse_body_path

    try:
        parse_body_path(value)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a dotted path: {exc}") from None
    return value


class ShipmentFields(ConfigModel):
    """Dotted paths into one shipment of the refurbisher's payload, one per fact."""

    external_reference: str | None = None
    order_id: str | None = None
    carrier: str | None = None
    tracking_code: str | None = None
    tracking_url: str | None = None
    shipped_at: str | None = None
    delivered_at: str | None = None
    status: str | None = None
    lines: str | None = None

    @field_validator("*")
    @classmethod
    def _paths(cls, value: str | None) -> str | None:
        return _check_path(value)


class _ShipmentReading(ConfigModel):
    """What webhooks and polls share: the field paths, statuses and the list path."""

    fields: ShipmentFields
    status_map: dict[str, ShipmentStatus] = Field(default_factory=dict)
    items_path: str | None = None

    @field_validator("items_path")
    @classmethod
    def _items(cls, value: str | None) -> str | None:
        return _check_path(value)

    @model_validator(mode="after")
    def _status_needs_map(self) -> _ShipmentReading:
        if self.fields.status is not None and not self.status_map:
            raise ValueError(
                "fields.status needs a status_map from the refurbisher's values to "
                'shipped/delivered (e.g. {"Shipped": "shipped", "Delivered": "delivered"})'
            )
        return self


class ShipmentWebhook(_ShipmentReading):
    """``POST /webhooks/{refurbisher}/shipments``: how to trust and read a delivery."""

    variant_fields = frozenset({"auth"})

    auth: WebhookAuth

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


class ShipmentPoll(_ShipmentReading):
    """Ask the refurbisher about submitted orders; uses the order connector's auth.

    ``endpoint`` placeholders ``{name}`` are dotted paths into what IRP knows of the
    order: ``{external_reference}`` (the refurbisher's order number), ``{id}``,
    ``{order_number}``, and every key of the payload that was sent
    (``{externalDocumentNumber}``...). A 404, or an answer without a tracking code,
    means "not shipped yet".
    """

    endpoint: Annotated[str, Field(pattern=r"^https?://\S+$")]
    method: Literal["GET", "POST"] = "GET"
    # At least a minute: a typo must not make IRP hammer the refurbisher's API.
    interval_seconds: Annotated[float, Field(ge=60)] = 900.0
