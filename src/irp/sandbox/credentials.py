"""How the order-API simulator checks credentials, for every IRP auth type.

One simulator instance speaks one ``auth_mode``; the credentials are always the
``client_id`` / ``client_secret`` pair given to ``FlexitOrderApi``:

=================  ==========================================================
auth_mode          the API expects
=================  ==========================================================
client_id_secret   headers ``client_id`` / ``client_secret`` (names configurable)
basic              ``Authorization: Basic`` with username=client_id, password=client_secret
bearer             ``Authorization: Bearer <client_secret>``
header             header ``auth_header`` (default ``X-Api-Key``) = client_secret
oauth2             ``Authorization: Bearer <access token>`` from ``POST /oauth/token``
                   (grant_type=client_credentials; client credentials by HTTP Basic
                   or form fields ``client_id`` / ``client_secret``)
=================  ==========================================================
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs

AUTH_MODES = ("client_id_secret", "basic", "bearer", "header", "oauth2")


@dataclass(frozen=True)
class TokenAnswer:
    """What the token endpoint answers: status and JSON body."""

    status: int
    body: dict[str, object]


def _same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


class CredentialChecker:
    """Checks one request's credentials and issues OAuth2 tokens (thread-safe)."""

    def __init__(
        self,
        *,
        mode: str,
        client_id: str,
        client_secret: str,
        client_id_header: str,
        client_secret_header: str,
        auth_header: str,
        token_expires_in: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if mode not in AUTH_MODES:
            raise ValueError(f"unknown auth_mode {mode!r}; known: {', '.join(AUTH_MODES)}")
        self.mode = mode
        self._client_id = client_id
        self._client_secret = client_secret
        self.client_id_header = client_id_header
        self.client_secret_header = client_secret_header
        self.auth_header = auth_header
        self.token_expires_in = token_expires_in
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[str, float] = {}  # access token -> monotonic expiry
        self.token_requests = 0

    def secret_headers(self) -> set[str]:
        """Lower-case names of the headers whose values are masked in the request log."""
        names = {"authorization", "proxy-authorization", "cookie"}
        if self.mode == "client_id_secret":
            names |= {self.client_id_header.lower(), self.client_secret_header.lower()}
        if self.mode == "header":
            names.add(self.auth_header.lower())
        return names

    def accepts(self, headers: Mapping[str, str]) -> bool:
        """Whether an API request (not the token request) carries valid credentials.

        ``headers`` has lower-case names.
        """
        if self.mode == "client_id_secret":
            return _same(headers.get(self.client_id_header.lower()), self._client_id) and _same(
                headers.get(self.client_secret_header.lower()), self._client_secret
            )
        if self.mode == "header":
            return _same(headers.get(self.auth_header.lower()), self._client_secret)
        scheme, _, value = (headers.get("authorization") or "").partition(" ")
        if self.mode == "basic":
            return scheme.lower() == "basic" and self._basic_matches(value)
        if scheme.lower() != "bearer":
            return False
        if self.mode == "bearer":
            return _same(value, self._client_secret)
        with self._lock:
            expiry = self._tokens.get(value)
            return expiry is not None and self._clock() < expiry

    def issue_token(self, headers: Mapping[str, str], body: bytes) -> TokenAnswer:
        """Answer ``POST /oauth/token`` (client credentials grant)."""
        with self._lock:
            self.token_requests += 1
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        if self.mode != "oauth2":
            return TokenAnswer(404, {"error": "no route"})
        if form.get("grant_type") != "client_credentials":
            return TokenAnswer(400, {"error": "unsupported_grant_type"})
        scheme, _, value = (headers.get("authorization") or "").partition(" ")
        by_basic = scheme.lower() == "basic" and self._basic_matches(value)
        by_form = _same(form.get("client_id"), self._client_id) and _same(
            form.get("client_secret"), self._client_secret
        )
        if not (by_basic or by_form):
            return TokenAnswer(401, {"error": "invalid_client"})
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = self._clock() + self.token_expires_in
        expires_in: object = self.token_expires_in
        if float(self.token_expires_in).is_integer():
            expires_in = int(self.token_expires_in)
        return TokenAnswer(
            200, {"access_token": token, "token_type": "Bearer", "expires_in": expires_in}
        )

    def revoke_tokens(self) -> None:
        """Make every issued access token answer 401 from now on."""
        with self._lock:
            self._tokens.clear()

    def _basic_matches(self, value: str) -> bool:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        username, sep, password = decoded.partition(":")
        return (
            bool(sep) and _same(username, self._client_id) and _same(password, self._client_secret)
        )
