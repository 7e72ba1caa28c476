"""The status page's login: signed session cookies, CSRF tokens and flash messages.

A person logs in with one of the API tokens (``IRP_API_TOKENS``, SPEC §7); the page
then sets ``irp_session``: ``<payload>.<signature>``, where the payload holds the
token's *name* (never the token), an expiry and a random CSRF nonce, and the
signature is an HMAC-SHA256 keyed by a digest of every configured token. So:

- the cookie proves a login without storing anything server-side, works across
  instances behind a load balancer, and cannot be forged without a token;
- changing ``IRP_API_TOKENS`` (rotating or removing a token) ends every session, and
  a session whose name is no longer configured is refused at once;
- it is ``HttpOnly``, ``SameSite=Lax``, ``Secure`` and expires after
  :data:`SESSION_SECONDS`.

Every POST form carries the session's CSRF nonce (compared in constant time); a
request with an ``Origin`` header from another site is refused as well. Scripts that
send ``Authorization: Bearer`` need no CSRF token: a browser never adds that header
on its own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from irp.web.backend import TokenBook

SESSION_COOKIE = "irp_session"
FLASH_COOKIE = "irp_flash"
SESSION_SECONDS = 12 * 3600
FLASH_SECONDS = 120


@dataclass(frozen=True)
class Session:
    """A logged-in person: the token's name, when the session ends, its CSRF nonce."""

    name: str
    expires: int
    csrf: str


class Signer:
    """Signs and checks cookie payloads with a key derived from the configured tokens."""

    def __init__(self, tokens: TokenBook) -> None:
        material = "\0".join(sorted(tokens.secrets)).encode("utf-8", "surrogateescape")
        self._key = hashlib.sha256(b"irp status page session v1\0" + material).digest()
        self._tokens = tokens

    def _sign(self, purpose: str, payload: bytes) -> str:
        mac = hmac.new(self._key, purpose.encode() + b"\0" + payload, hashlib.sha256).digest()
        return _b64(mac)

    def seal(self, purpose: str, data: dict[str, object]) -> str:
        """``data`` as a signed cookie value for ``purpose`` (session, flash)."""
        payload = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
        return f"{_b64(payload)}.{self._sign(purpose, payload)}"

    def unseal(self, purpose: str, value: str | None) -> dict[str, object] | None:
        """The data of a cookie sealed for ``purpose``, or None when forged or malformed."""
        if not value or value.count(".") != 1:
            return None
        encoded, signature = value.split(".")
        try:
            payload = _unb64(encoded)
        except ValueError:
            return None
        if not hmac.compare_digest(signature, self._sign(purpose, payload)):
            return None
        try:
            data = json.loads(payload)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def new_session(self, name: str, *, now: float | None = None) -> tuple[Session, str]:
        """A fresh session for token ``name`` and its cookie value."""
        moment = int(time.time() if now is None else now)
        session = Session(name, moment + SESSION_SECONDS, secrets.token_urlsafe(24))
        value = self.seal("session", {"n": name, "e": session.expires, "c": session.csrf})
        return session, value

    def session(self, value: str | None, *, now: float | None = None) -> Session | None:
        """The session a cookie value carries; None if forged, expired or of a removed name."""
        data = self.unseal("session", value)
        if data is None:
            return None
        name, expires, csrf = data.get("n"), data.get("e"), data.get("c")
        if not (isinstance(name, str) and isinstance(expires, int) and isinstance(csrf, str)):
            return None
        if expires <= (time.time() if now is None else now):
            return None
        if name not in self._tokens.names:
            return None
        return Session(name, expires, csrf)

    def flash(self, message: str, ok: bool) -> str:
        """A short-lived signed message shown once on the next page."""
        return self.seal("flash", {"m": message, "ok": ok, "e": int(time.time()) + FLASH_SECONDS})

    def read_flash(self, value: str | None) -> tuple[str, bool] | None:
        data = self.unseal("flash", value)
        if data is None:
            return None
        message, ok, expires = data.get("m"), data.get("ok"), data.get("e")
        if not (isinstance(message, str) and isinstance(ok, bool) and isinstance(expires, int)):
            return None
        if expires <= time.time():
            return None
        return message, ok


def csrf_matches(expected: str, presented: str | None) -> bool:
    """Whether a form's CSRF field is the session's nonce ``expected`` (constant time)."""
    return presented is not None and hmac.compare_digest(
        presented.encode("utf-8", "surrogateescape"), expected.encode()
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise ValueError("not base64") from exc
