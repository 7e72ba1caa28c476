"""Where a refurbisher's offer feed comes from and how to read it (SPEC §1, §2)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from babel import Locale, UnknownLocaleError
from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator

from irp.config.base import ConfigModel, ModelClass, Seconds
from irp.cron import CronError, parse_cron

REQUIRED_FIELDS = ("sku", "stock_available", "price_purchase_amount")
DEFAULT_SCHEDULE = "*/30 * * * *"
"""When ``irp serve`` syncs a feed (cron, UTC); ``null`` leaves it to ``irp offers sync``."""


class SftpAuth(ConfigModel):
    """An SFTP login; the host key is pinned by ``host_key`` or ``known_hosts``."""

    host: Annotated[str, Field(min_length=1)]
    port: Annotated[int, Field(ge=1, le=65535)] = 22
    path: Annotated[str, Field(min_length=1)]
    username: Annotated[str, Field(min_length=1)]
    password: SecretStr
    host_key: str | None = None
    known_hosts: Path | None = None

    @model_validator(mode="after")
    def _one_key_source(self) -> SftpAuth:
        if self.host_key is not None and self.known_hosts is not None:
            raise ValueError("give host_key or known_hosts, not both")
        return self


class HttpAuth(ConfigModel):
    """A feed fetched with GET; header values are secrets (API keys)."""

    url: Annotated[str, Field(pattern=r"^https?://")]
    headers: dict[str, SecretStr] = Field(default_factory=dict)


class FileAuth(ConfigModel):
    """A local file (relative paths are relative to the config file's folder)."""

    path: Path


AUTH_BY_CONNECTION: dict[str, type[ConfigModel]] = {
    "sftp": SftpAuth,
    "http": HttpAuth,
    "file": FileAuth,
}


class OffersConfig(ConfigModel):
    """The offer feed: connection, file format, column mapping and the sync guards."""

    variant_fields = frozenset({"auth"})

    connection: Literal["sftp", "http", "file"]
    auth: SftpAuth | HttpAuth | FileAuth
    type: Literal["csv", "json", "xml"] = "csv"
    separator: Annotated[str, Field(min_length=1, max_length=1)] = ","
    heading: bool = True
    price_locale: str = "en_US"
    encoding: Literal["auto", "utf-8", "windows-1252"] = "auto"
    mapping: dict[str, Annotated[str, Field(min_length=1)]]
    records_path: str | None = None
    max_unlist_ratio: Annotated[float, Field(ge=0, le=1)] = 0.5
    max_invalid_ratio: Annotated[float, Field(ge=0, le=1)] = 0.2
    max_price_change_ratio: Annotated[float, Field(gt=0)] = 0.5
    unlist_stale_after_hours: Annotated[float, Field(gt=0)] = 72.0
    archive_retention_days: Annotated[int, Field(ge=0)] = 30
    settle_seconds: Annotated[float, Field(ge=0)] = 2.0
    waiting_retries: Annotated[int, Field(ge=0)] = 2
    waiting_retry_seconds: Annotated[float, Field(ge=0)] = 30.0
    timeout_seconds: Seconds = 30.0
    schedule: str | None = DEFAULT_SCHEDULE

    @classmethod
    def variant(cls, field: str, data: Mapping[str, Any]) -> ModelClass | None:
        if field == "auth":
            return AUTH_BY_CONNECTION.get(str(data.get("connection")))
        return None

    @field_validator("auth", mode="before")
    @classmethod
    def _auth_for_connection(cls, value: Any, info: ValidationInfo) -> Any:
        model = AUTH_BY_CONNECTION.get(str(info.data.get("connection")))
        if model is None:  # the connection error is reported on its own key
            raise ValueError("not checked until connection is one of sftp, http, file")
        return model.model_validate(value)

    @field_validator("price_locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        try:
            Locale.parse(value)
        except (ValueError, UnknownLocaleError):
            raise ValueError(f"expected a locale like nl_NL or en_US, got {value!r}") from None
        return value

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return parse_cron(value).expression
        except CronError as exc:
            hint = "" if "expected" in str(exc) else "; expected cron syntax, e.g. '*/30 * * * *'"
            raise ValueError(f"{exc}{hint}") from None

    @field_validator("mapping")
    @classmethod
    def _canonical_fields(cls, value: dict[str, str]) -> dict[str, str]:
        bad = [key for key in value if not key.isidentifier()]
        if bad:
            raise ValueError(f"canonical field names must be identifiers, got {bad}")
        missing = [key for key in REQUIRED_FIELDS if key not in value]
        if missing:
            raise ValueError(
                f"missing required field(s) {', '.join(missing)}; "
                f"map each of {', '.join(REQUIRED_FIELDS)} to a feed column"
            )
        return value
