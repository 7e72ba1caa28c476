"""Authentication for refurbishers' order APIs, one ``httpx.Auth`` per ``order.auth.type``.

``create_auth`` reads the config by attribute name (``type``, ``client_id``, ...), so any
object shaped like the ``order.auth`` models works; secrets are ``pydantic.SecretStr``
(plain strings are accepted too). Secret values live in ``SecretStr`` inside the auth
objects, so no repr, str or exception ever shows one.

========================== ==================================================
type                       sends
========================== ==================================================
client_id_secret           headers ``client_id`` / ``client_secret`` (MuleSoft
                           client-id enforcement; names configurable)
oauth2_client_credentials  ``Authorization: Bearer <token>``; the token comes from
                           ``token_url`` (client credentials by HTTP Basic) and is
                           cached until shortly before it expires
basic                      ``Authorization: Basic``
bearer                     ``Authorization: Bearer <token>``
header                     any one header
========================== ==================================================
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable, Generator
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import SecretStr

from irp import strictjson
from irp.errors import AnswerTooLargeError, FatalSupplierError, RetriableSupplierError
from irp.orders.retry_after import parse_retry_after

__all__ = [
    "BasicAuth",
    "BearerAuth",
    "ClientIdSecretAuth",
    "HeaderAuth",
    "OAuth2ClientCredentialsAuth",
    "create_auth",
    "secret_header_names",
]

AuthFlow = Generator[httpx.Request, httpx.Response, None]

# Statuses of a token endpoint that say "try again later"; the order was not sent.
_RETRIABLE_TOKEN_STATUSES = frozenset({429, 500, 502, 503, 504})


def _secret(value: SecretStr | str) -> SecretStr:
    return value if isinstance(value, SecretStr) else SecretStr(value)


class ClientIdSecretAuth(httpx.Auth):
    """FlexIT's convention: the client id and secret as two request headers."""

    def __init__(
        self,
        client_id: SecretStr | str,
        client_secret: SecretStr | str,
        *,
        client_id_header: str = "client_id",
        client_secret_header: str = "client_secret",
    ) -> None:
        self._client_id = _secret(client_id)
        self._client_secret = _secret(client_secret)
        self.client_id_header = client_id_header
        self.client_secret_header = client_secret_header

    def __repr__(self) -> str:
        return (
            f"ClientIdSecretAuth(client_id_header={self.client_id_header!r}, "
            f"client_secret_header={self.client_secret_header!r})"
        )

    def auth_flow(self, request: httpx.Request) -> AuthFlow:
        request.headers[self.client_id_header] = self._client_id.get_secret_value()
        request.headers[self.client_secret_header] = self._client_secret.get_secret_value()
        yield request


class BasicAuth(httpx.Auth):
    """HTTP Basic authentication."""

    def __init__(self, username: SecretStr | str, password: SecretStr | str) -> None:
        self.username = username.get_secret_value() if isinstance(username, SecretStr) else username
        self._password = _secret(password)

    def __repr__(self) -> str:
        return f"BasicAuth(username={self.username!r})"

    def auth_flow(self, request: httpx.Request) -> AuthFlow:
        pair = f"{self.username}:{self._password.get_secret_value()}".encode()
        request.headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        yield request


class BearerAuth(httpx.Auth):
    """A static bearer token."""

    def __init__(self, token: SecretStr | str) -> None:
        self._token = _secret(token)

    def __repr__(self) -> str:
        return "BearerAuth()"

    def auth_flow(self, request: httpx.Request) -> AuthFlow:
        request.headers["Authorization"] = f"Bearer {self._token.get_secret_value()}"
        yield request


class HeaderAuth(httpx.Auth):
    """Any one header carrying a key (``X-Api-Key: ...``)."""

    def __init__(self, header: str, value: SecretStr | str) -> None:
        self.header = header
        self._value = _secret(value)

    def __repr__(self) -> str:
        return f"HeaderAuth(header={self.header!r})"

    def auth_flow(self, request: httpx.Request) -> AuthFlow:
        request.headers[self.header] = self._value.get_secret_value()
        yield request


class OAuth2ClientCredentialsAuth(httpx.Auth):
    """OAuth2 client credentials: fetch a token, cache it, refresh it once on a 401.

    The token request goes through the same client (and so the same timeouts and
    transport) as the order request. The cache is shared by every thread using this
    object; one lock makes sure only one of them fetches a token at a time. A 401 on a
    cached token drops it, fetches a new one and sends the request once more — a
    second 401 is the answer the caller classifies ("authentication refused").
    """

    # The token endpoint's JSON is read inside the flow (``_read_token``), so that an
    # oversized answer is this flow's error; the order's answer is read by the client.
    requires_response_body = False

    def __init__(
        self,
        token_url: str,
        client_id: SecretStr | str,
        client_secret: SecretStr | str,
        *,
        scope: str | None = None,
        audience: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token_url = token_url
        self._client_id = _secret(client_id)
        self._client_secret = _secret(client_secret)
        self.scope = scope
        self.audience = audience
        self._clock = clock
        self._lock = threading.Lock()
        self._token: SecretStr | None = None
        self._expires_at = 0.0

    def __repr__(self) -> str:
        return f"OAuth2ClientCredentialsAuth(token_url={self.token_url!r}, scope={self.scope!r})"

    def auth_flow(self, request: httpx.Request) -> AuthFlow:
        token = yield from self._current_token(stale=None)
        request.headers["Authorization"] = f"Bearer {token.get_secret_value()}"
        response = yield request
        if response.status_code != 401:
            return
        token = yield from self._current_token(stale=token)
        request.headers["Authorization"] = f"Bearer {token.get_secret_value()}"
        yield request

    def _current_token(
        self, stale: SecretStr | None
    ) -> Generator[httpx.Request, httpx.Response, SecretStr]:
        """The cached token, or a new one when none is valid or ``stale`` is cached."""
        with self._lock:
            cached = self._token
            if cached is not None and stale is not None and cached is stale:
                self._token = cached = None
            if cached is not None and self._clock() < self._expires_at:
                return cached
            response = yield self._token_request()
            token, lifetime = self._read_token(response)
            self._token = token
            self._expires_at = self._clock() + lifetime - min(30.0, lifetime * 0.1)
            return token

    def _token_request(self) -> httpx.Request:
        form = {"grant_type": "client_credentials"}
        if self.scope:
            form["scope"] = self.scope
        if self.audience:
            form["audience"] = self.audience
        pair = f"{self._client_id.get_secret_value()}:{self._client_secret.get_secret_value()}"
        basic = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
        return httpx.Request(
            "POST",
            self.token_url,
            data=form,
            headers={"Authorization": basic, "Accept": "application/json"},
        )

    def _read_token(self, response: httpx.Response) -> tuple[SecretStr, float]:
        where = f"oauth2 token request to {self.token_url}"
        status = response.status_code
        try:
            response.read()  # at most irp.http_limits.MAX_ANSWER_BYTES through HttpSender
        except AnswerTooLargeError as exc:
            raise FatalSupplierError(
                f"{where} failed: {exc}; the order was not sent; check order.auth.token_url"
            ) from None
        if status in _RETRIABLE_TOKEN_STATUSES:
            raise RetriableSupplierError(
                f"{where} failed: {status}; the order was not sent, it will be tried again",
                retry_after=parse_retry_after(
                    response.headers.get("Retry-After"), datetime.now(UTC)
                ),
            )
        if status != 200:
            raise FatalSupplierError(
                f"{where} failed: {status}; check order.auth.token_url, client_id and client_secret"
            )
        try:
            body: Any = strictjson.loads(response.content)
        except ValueError:  # not JSON, too deep, NaN: no usable token either way
            body = None
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise FatalSupplierError(f"{where} failed: 200 without an access_token")
        return SecretStr(token), _lifetime(body.get("expires_in"))


_DEFAULT_TOKEN_SECONDS = 3600.0
_MAX_TOKEN_SECONDS = 366 * 24 * 3600.0


def _lifetime(expires_in: object) -> float:
    """Seconds a token lives: ``expires_in`` when it is a sane number, else an hour."""
    if isinstance(expires_in, bool) or not isinstance(expires_in, int | float | str):
        return _DEFAULT_TOKEN_SECONDS
    try:
        lifetime = float(expires_in)
    except (ValueError, OverflowError):
        return _DEFAULT_TOKEN_SECONDS
    if lifetime != lifetime:  # NaN from the text "nan"
        return _DEFAULT_TOKEN_SECONDS
    return min(max(lifetime, 0.0), _MAX_TOKEN_SECONDS)


def create_auth(auth_config: Any) -> httpx.Auth:
    """The ``httpx.Auth`` for an ``order.auth`` config object (dispatch on ``type``)."""
    kind = auth_config.type
    if kind == "client_id_secret":
        return ClientIdSecretAuth(
            auth_config.client_id,
            auth_config.client_secret,
            client_id_header=getattr(auth_config, "client_id_header", None) or "client_id",
            client_secret_header=getattr(auth_config, "client_secret_header", None)
            or "client_secret",
        )
    if kind == "oauth2_client_credentials":
        return OAuth2ClientCredentialsAuth(
            str(auth_config.token_url),
            auth_config.client_id,
            auth_config.client_secret,
            scope=getattr(auth_config, "scope", None),
            audience=getattr(auth_config, "audience", None),
        )
    if kind == "basic":
        return BasicAuth(auth_config.username, auth_config.password)
    if kind == "bearer":
        return BearerAuth(auth_config.token)
    if kind == "header":
        return HeaderAuth(auth_config.header, auth_config.value)
    raise FatalSupplierError(
        f"order.auth.type {kind!r} is not known; use client_id_secret, "
        "oauth2_client_credentials, basic, bearer or header"
    )


def secret_header_names(auth_config: Any) -> set[str]:
    """Lower-case names of the headers that carry credentials, to strip from stored attempts."""
    kind = auth_config.type
    if kind == "client_id_secret":
        id_header = getattr(auth_config, "client_id_header", None) or "client_id"
        secret_header = getattr(auth_config, "client_secret_header", None) or "client_secret"
        return {id_header.lower(), secret_header.lower()}
    if kind == "header":
        return {str(auth_config.header).lower()}
    return {"authorization"}
