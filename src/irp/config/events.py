"""``platform.events``: the marketplace's webhook for order events (SPEC §4, §10)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator

from irp.config.base import ConfigModel, Seconds
from irp.config.shipments import check_whsec


class EventsConfig(ConfigModel):
    """Where order events are pushed, signed with Standard Webhooks (``whsec_...``).

    Without ``url`` events are only read with ``GET /api/events``. A failed push is
    retried with exponential backoff (``retry_seconds`` doubling up to
    ``max_retry_seconds``, with jitter) until the marketplace accepts it with a 2xx.
    """

    url: Annotated[str, Field(pattern=r"^https?://\S+$")] | None = None
    secret: SecretStr | None = None
    timeout_seconds: Seconds = 10.0
    retry_seconds: Annotated[float, Field(ge=0.1)] = 5.0
    max_retry_seconds: Annotated[float, Field(ge=1)] = 3600.0
    batch_size: Annotated[int, Field(ge=1, le=1000)] = 100

    @field_validator("secret")
    @classmethod
    def _whsec(cls, value: SecretStr | None) -> SecretStr | None:
        return None if value is None else check_whsec(value)

    @model_validator(mode="after")
    def _signed(self) -> EventsConfig:
        if self.url is not None and self.secret is None:
            raise ValueError(
                "url needs a secret (whsec_...): events are always signed, so the "
                "marketplace can trust them"
            )
        return self
