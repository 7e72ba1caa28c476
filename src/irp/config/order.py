"""How orders reach a refurbisher's API: endpoint, auth, payload template, checks (SPEC §3).

The template and the assert rules are compiled when the config loads (by
:mod:`irp.config.load`), so a bad expression fails ``irp config check``, not the first
order; the compiled forms hang on :attr:`OrderConfig.template` / :attr:`asserts`.

**The lease outlasts the request.** A ``submitting`` order whose lease runs out is
taken for the order of a dead submitter (``uncertain``, then looked up, and resent
after two not-founds). If a live request could outlast the lease, an order still in
flight could be sent a second time. So ``lease_seconds`` must cover the longest request
the timeouts allow (:attr:`OrderConfig.request_budget_seconds`) plus
:data:`LEASE_MARGIN_SECONDS`; a shorter one is a config error, and the default is
exactly that sum. ``lookup.delay_seconds`` must be above 0 for the same reason: the
not-founds that allow a resend must come some time after the request ended.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast

from pydantic import Field, PrivateAttr, SecretStr, field_validator, model_validator

from irp.config.base import ConfigModel, Seconds, fail_at

if TYPE_CHECKING:
    from irp.template.asserts import AssertRules
    from irp.template.payload import PayloadTemplate

Url = Annotated[str, Field(pattern=r"^https?://\S+$")]

LEASE_MARGIN_SECONDS = 5.0
"""Time the lease allows beyond the request: the commit of the claim, clock reads."""


class ClientIdSecretAuth(ConfigModel):
    """Client id and secret sent as headers (MuleSoft client-id enforcement, FlexIT)."""

    type: Literal["client_id_secret"]
    client_id: SecretStr
    client_secret: SecretStr
    client_id_header: str = "client_id"
    client_secret_header: str = "client_secret"


class OAuth2ClientCredentialsAuth(ConfigModel):
    """OAuth2 client-credentials grant; the token is cached until it expires."""

    type: Literal["oauth2_client_credentials"]
    token_url: Url
    client_id: SecretStr
    client_secret: SecretStr
    scope: str | None = None
    audience: str | None = None


class BasicAuth(ConfigModel):
    """HTTP Basic."""

    type: Literal["basic"]
    username: str
    password: SecretStr


class BearerAuth(ConfigModel):
    """A static bearer token."""

    type: Literal["bearer"]
    token: SecretStr


class HeaderAuth(ConfigModel):
    """Any header name with a secret value."""

    type: Literal["header"]
    header: Annotated[str, Field(min_length=1)]
    value: SecretStr


OrderAuth = ClientIdSecretAuth | OAuth2ClientCredentialsAuth | BasicAuth | BearerAuth | HeaderAuth
AUTH_BY_TYPE: dict[str, type[ConfigModel]] = {
    "client_id_secret": ClientIdSecretAuth,
    "oauth2_client_credentials": OAuth2ClientCredentialsAuth,
    "basic": BasicAuth,
    "bearer": BearerAuth,
    "header": HeaderAuth,
}


def validate_typed(value: Any, models: Mapping[str, type[ConfigModel]]) -> Any:
    """Validate an object against the model its ``type`` key names."""
    if not isinstance(value, dict):
        raise ValueError("expected an object with a 'type' key")
    kind = value.get("type")
    model = models.get(kind) if isinstance(kind, str) else None
    if model is None:
        allowed = ", ".join(repr(k) for k in models)
        raise fail_at("type", "auth_type", f"expected one of {allowed}, got {kind!r}", kind)
    return model.model_validate(value)


def typed_variant(data: Mapping[str, Any], models: Mapping[str, type[ConfigModel]]) -> Any:
    """The model ``data['type']`` selects (for error messages), or None."""
    auth = data.get("auth")
    return models.get(str(auth.get("type"))) if isinstance(auth, dict) else None


class ResponseObject(ConfigModel):
    """Assert rules on the answer, and body paths copied onto the order."""

    asserts: dict[str, str] = Field(default_factory=dict)
    fields: dict[str, str] = Field(default_factory=dict)


class LookupConfig(ConfigModel):
    """How to ask the refurbisher whether an uncertain order arrived (SPEC §3)."""

    endpoint: Url
    method: Literal["GET", "POST"] = "GET"
    found: ResponseObject
    not_found: ResponseObject
    delay_seconds: Annotated[float, Field(gt=0)] = 120.0
    not_found_confirmations: Annotated[int, Field(ge=1)] = 2

    _found_asserts: Any = PrivateAttr(default=None)
    _not_found_asserts: Any = PrivateAttr(default=None)

    @property
    def found_asserts(self) -> AssertRules:
        """The compiled ``found.asserts``."""
        return cast("AssertRules", _compiled(self._found_asserts, "lookup.found.asserts"))

    @property
    def not_found_asserts(self) -> AssertRules:
        """The compiled ``not_found.asserts``."""
        return cast("AssertRules", _compiled(self._not_found_asserts, "lookup.not_found.asserts"))


class OrderConfig(ConfigModel):
    """The order connector: where and how an order is sent, and how the answer is read."""

    variant_fields = frozenset({"auth"})

    connection: Literal["web"] = "web"
    endpoint: Url
    method: Literal["POST", "PUT"] = "POST"
    auth: OrderAuth
    order_object: dict[str, str]
    item_object: dict[str, str] = Field(default_factory=dict)
    response_object: ResponseObject = ResponseObject()
    lookup: LookupConfig | None = None
    connect_timeout: Seconds = 10.0
    read_timeout: Seconds = 30.0
    max_attempts: Annotated[int, Field(ge=1)] = 8
    resend_on: list[Annotated[int, Field(ge=100, le=599)]] = Field(default_factory=list)
    max_concurrency: Annotated[int, Field(ge=1)] = 4
    rate_limit_per_second: Annotated[float, Field(gt=0)] | None = None
    lease_seconds: Seconds | None = None

    _template: Any = PrivateAttr(default=None)
    _asserts: Any = PrivateAttr(default=None)

    @classmethod
    def variant(cls, field: str, data: Mapping[str, Any]) -> type[ConfigModel] | None:
        return typed_variant(data, AUTH_BY_TYPE) if field == "auth" else None

    @field_validator("auth", mode="before")
    @classmethod
    def _auth_by_type(cls, value: Any) -> Any:
        return validate_typed(value, AUTH_BY_TYPE)

    @property
    def request_budget_seconds(self) -> float:
        """The longest one order request may take under these timeouts.

        httpx applies each timeout per phase; the sender sets pool wait and connect to
        ``connect_timeout``, write and read to ``read_timeout``, so one HTTP exchange
        takes at most ``2 * connect_timeout + 2 * read_timeout``. OAuth2 may add a token
        request before the order, and after a 401 a second token request and the order
        again: four exchanges.
        """
        exchange = 2 * self.connect_timeout + 2 * self.read_timeout
        exchanges = 4 if self.auth.type == "oauth2_client_credentials" else 1
        return exchanges * exchange

    @property
    def minimum_lease_seconds(self) -> float:
        """The shortest ``lease_seconds`` allowed: the request budget plus the margin."""
        return self.request_budget_seconds + LEASE_MARGIN_SECONDS

    @model_validator(mode="after")
    def _lease_outlasts_the_request(self) -> OrderConfig:
        floor = self.minimum_lease_seconds
        if self.lease_seconds is None:
            object.__setattr__(self, "lease_seconds", floor)
        elif self.lease_seconds < floor:
            raise fail_at(
                "lease_seconds",
                "lease_too_short",
                f"{self.lease_seconds:g} s is shorter than the longest request these "
                f"timeouts allow plus a {LEASE_MARGIN_SECONDS:g} s margin ({floor:g} s); a "
                "lease that runs out mid-request could send an order twice. Raise it to at "
                f"least {floor:g}, lower connect_timeout/read_timeout, or leave it out "
                "(the default is exactly that)",
                self.lease_seconds,
            )
        return self

    @property
    def lease(self) -> float:
        """``lease_seconds`` (always set once the model is built)."""
        assert self.lease_seconds is not None
        return self.lease_seconds

    @property
    def template(self) -> PayloadTemplate:
        """The compiled ``order_object`` / ``item_object``."""
        return cast("PayloadTemplate", _compiled(self._template, "template"))

    @property
    def asserts(self) -> AssertRules:
        """The compiled ``response_object.asserts``."""
        return cast("AssertRules", _compiled(self._asserts, "response_object.asserts"))


def _compiled(value: Any, what: str) -> Any:
    if value is None:
        raise RuntimeError(f"order {what} was not compiled: build configs with load_config")
    return value
