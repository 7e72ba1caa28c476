"""Is a shipment webhook delivery genuine? The three schemes of SPEC §4, on the raw body.

The raw bytes are verified before anything parses them. Every comparison of a
signature or token is constant-time (:func:`hmac.compare_digest`), and a timestamp
further than ``tolerance_seconds`` from now — in either direction — is a replay. The
clock is injectable so tests can stand at any moment.

==================  ===============================================================
``hmac_sha256``     ``header``: hex HMAC-SHA256 of the body, or of
                    ``"<timestamp>.<body>"`` when ``timestamp_header`` is set (Unix
                    seconds); an optional ``prefix`` (``sha256=``) is stripped
``standard_webhooks`` ``webhook-id``, ``webhook-timestamp``, ``webhook-signature``
                    (``v1,<base64>``, several separated by spaces during a key
                    rotation); signed as the ``standardwebhooks`` package signs
``token``           ``header`` equals the shared token
==================  ===============================================================

A failure raises :class:`~irp.errors.WebhookAuthError` with a reason the sender's
developer can act on; no reason ever reveals the secret or the expected signature.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from irp.config.shipments import HmacAuth, StandardWebhooksAuth, TokenAuth, WebhookAuth
from irp.errors import WebhookAuthError
from irp.events.signing import sign_standard_webhook

__all__ = ["Verified", "verify_delivery"]


@dataclass(frozen=True)
class Verified:
    """A genuine delivery: the sender's delivery id where the scheme has one."""

    webhook_id: str | None


def verify_delivery(
    auth: WebhookAuth, body: bytes, headers: Mapping[str, str], *, now: datetime | None = None
) -> Verified:
    """Check ``body`` + ``headers`` against ``auth``; raise WebhookAuthError if not genuine.

    ``headers`` may use any case (HTTP header names are case-insensitive).
    """
    lower = {name.lower(): value for name, value in headers.items()}
    moment = now or datetime.now(UTC)
    if isinstance(auth, StandardWebhooksAuth):
        return _standard(auth, body, lower, moment)
    if isinstance(auth, HmacAuth):
        return _hmac(auth, body, lower, moment)
    if isinstance(auth, TokenAuth):
        return _token(auth, lower)
    raise WebhookAuthError(f"unknown webhook auth type {auth.type!r}")  # pragma: no cover


def _required(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name.lower(), "").strip()
    if not value:
        raise WebhookAuthError(f"missing header {name}")
    return value


def _timestamp(text: str, name: str, tolerance: int, now: datetime) -> datetime:
    try:
        moment = datetime.fromtimestamp(int(text), UTC)
    except (ValueError, OverflowError, OSError):
        raise WebhookAuthError(f"header {name} is not a Unix timestamp in seconds") from None
    drift = abs((now - moment).total_seconds())
    if drift > tolerance:
        raise WebhookAuthError(
            f"header {name} is {drift:.0f} s away from now, more than the "
            f"{tolerance} s tolerance: refused as a replay"
        )
    return moment


def _standard(
    auth: StandardWebhooksAuth, body: bytes, headers: Mapping[str, str], now: datetime
) -> Verified:
    webhook_id = _required(headers, "webhook-id")
    stamp = _required(headers, "webhook-timestamp")
    given = _required(headers, "webhook-signature")
    moment = _timestamp(stamp, "webhook-timestamp", auth.tolerance_seconds, now)
    try:
        expected = sign_standard_webhook(auth.secret.get_secret_value(), webhook_id, moment, body)
    except UnicodeDecodeError:
        raise WebhookAuthError(
            "the body is not UTF-8, so it cannot carry a valid signature"
        ) from None
    expected_bytes = base64.b64decode(expected.split(",", 1)[1])
    for candidate in given.split():
        version, _, encoded = candidate.partition(",")
        if version != "v1":
            continue
        try:
            signature = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            continue
        if hmac.compare_digest(signature, expected_bytes):
            return Verified(webhook_id)
    raise WebhookAuthError("webhook-signature does not match (no valid v1 signature)")


def _hmac(auth: HmacAuth, body: bytes, headers: Mapping[str, str], now: datetime) -> Verified:
    given = _required(headers, auth.header)
    if auth.prefix:
        if not given.startswith(auth.prefix):
            raise WebhookAuthError(f"header {auth.header} does not start with {auth.prefix!r}")
        given = given[len(auth.prefix) :]
    signed = body
    if auth.timestamp_header is not None:
        stamp = _required(headers, auth.timestamp_header)
        _timestamp(stamp, auth.timestamp_header, auth.tolerance_seconds, now)
        signed = stamp.encode("ascii") + b"." + body
    key = auth.secret.get_secret_value().encode("utf-8")
    expected = hmac.new(key, signed, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(given.strip().lower().encode("ascii", "replace"), expected.encode()):
        raise WebhookAuthError(f"header {auth.header} does not match the HMAC-SHA256 of the body")
    return Verified(None)


def _token(auth: TokenAuth, headers: Mapping[str, str]) -> Verified:
    given = _required(headers, auth.header)
    expected = auth.token.get_secret_value()
    if not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        raise WebhookAuthError(f"header {auth.header} does not hold the shared token")
    return Verified(None)
