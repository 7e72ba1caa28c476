"""Webhook signature checks, with the ``standardwebhooks`` package as the oracle."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr
from standardwebhooks import Webhook

from irp.config.shipments import HmacAuth, StandardWebhooksAuth, TokenAuth
from irp.errors import WebhookAuthError
from irp.events.signing import sign_standard_webhook
from irp.shipments.verify import Verified, verify_delivery

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
OTHER = "whsec_" + base64.b64encode(b"fedcba9876543210fedcba9876543210").decode()
BODY = b'{"order": {"reference": "SO-000001"}, "state": "in_transit"}'
STANDARD = StandardWebhooksAuth(type="standard_webhooks", secret=SecretStr(SECRET))


def oracle_headers(secret: str = SECRET, at: datetime = NOW, msg: str = "msg_1") -> dict[str, str]:
    return {
        "webhook-id": msg,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg, at, BODY.decode()),
    }


def refused(auth: object, body: bytes, headers: dict[str, str]) -> str:
    with pytest.raises(WebhookAuthError) as caught:
        verify_delivery(auth, body, headers, now=NOW)  # type: ignore[arg-type]
    return str(caught.value)


def test_a_signature_made_by_the_package_is_accepted() -> None:
    assert verify_delivery(STANDARD, BODY, oracle_headers(), now=NOW) == Verified("msg_1")


def test_irps_own_signature_verifies_with_the_package() -> None:
    at = datetime.now(UTC)
    headers = {
        "webhook-id": "evt_1",
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": sign_standard_webhook(SECRET, "evt_1", at, BODY),
    }

    assert Webhook(SECRET).verify(BODY, headers) == {
        "order": {"reference": "SO-000001"},
        "state": "in_transit",
    }


def test_header_names_are_case_insensitive_and_rotated_keys_pass() -> None:
    headers = {k.title(): v for k, v in oracle_headers().items()}
    theirs = oracle_headers(OTHER)["webhook-signature"]
    headers["Webhook-Signature"] = f"v2,ignored {theirs} {headers['Webhook-Signature']}"

    assert verify_delivery(STANDARD, BODY, headers, now=NOW) == Verified("msg_1")


def test_another_key_a_changed_body_or_a_changed_id_is_refused() -> None:
    wrong = "webhook-signature does not match (no valid v1 signature)"

    assert refused(STANDARD, BODY, oracle_headers(OTHER)) == wrong
    assert refused(STANDARD, BODY + b" ", oracle_headers()) == wrong
    assert refused(STANDARD, BODY, {**oracle_headers(), "webhook-id": "msg_2"}) == wrong
    assert refused(STANDARD, BODY, {**oracle_headers(), "webhook-signature": "v1,%%%"}) == wrong
    assert refused(STANDARD, BODY, {**oracle_headers(), "webhook-signature": "nonsense"}) == wrong


def test_the_tolerance_is_configurable_and_applies_both_ways() -> None:
    tight = StandardWebhooksAuth(
        type="standard_webhooks", secret=SecretStr(SECRET), tolerance_seconds=60
    )
    late = oracle_headers(at=NOW - timedelta(seconds=61))
    early = oracle_headers(at=NOW + timedelta(seconds=61))

    assert verify_delivery(STANDARD, BODY, late, now=NOW) == Verified("msg_1")
    assert refused(tight, BODY, late) == (
        "header webhook-timestamp is 61 s away from now, more than the 60 s tolerance: "
        "refused as a replay"
    )
    assert refused(tight, BODY, early).startswith("header webhook-timestamp is 61 s away")
    assert refused(tight, BODY, {**late, "webhook-timestamp": "yesterday"}) == (
        "header webhook-timestamp is not a Unix timestamp in seconds"
    )


def test_a_body_that_is_not_utf8_cannot_be_signed() -> None:
    assert refused(STANDARD, b"\xff\xfe", oracle_headers()) == (
        "the body is not UTF-8, so it cannot carry a valid signature"
    )


def hmac_headers(secret: str, body: bytes, stamp: str | None = None) -> str:
    signed = (stamp.encode() + b"." + body) if stamp else body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def test_hmac_of_the_raw_body_with_a_prefix() -> None:
    auth = HmacAuth(
        type="hmac_sha256",
        secret=SecretStr("s3cret-key"),
        header="X-Hub-Signature-256",
        prefix="sha256=",
    )
    good = "sha256=" + hmac_headers("s3cret-key", BODY)

    assert verify_delivery(auth, BODY, {"x-hub-signature-256": good}, now=NOW) == Verified(None)
    assert verify_delivery(
        auth, BODY, {"X-Hub-Signature-256": good.upper().replace("SHA256=", "sha256=")}, now=NOW
    ) == Verified(None)
    assert refused(auth, BODY, {"X-Hub-Signature-256": good[7:]}) == (
        "header X-Hub-Signature-256 does not start with 'sha256='"
    )
    assert refused(auth, BODY + b"x", {"X-Hub-Signature-256": good}) == (
        "header X-Hub-Signature-256 does not match the HMAC-SHA256 of the body"
    )


def test_hmac_with_a_timestamp_covers_it_and_refuses_replays() -> None:
    auth = HmacAuth(type="hmac_sha256", secret=SecretStr("k-123456"), timestamp_header="X-Time")
    stamp = str(int(NOW.timestamp()))
    good = {"X-Signature": hmac_headers("k-123456", BODY, stamp), "X-Time": stamp}
    old = str(int(NOW.timestamp()) - 301)

    assert verify_delivery(auth, BODY, good, now=NOW) == Verified(None)
    assert refused(auth, BODY, {**good, "X-Time": str(int(stamp) + 1)}) == (
        "header X-Signature does not match the HMAC-SHA256 of the body"
    )
    assert refused(
        auth, BODY, {"X-Signature": hmac_headers("k-123456", BODY, old), "X-Time": old}
    ) == (
        "header X-Time is 301 s away from now, more than the 300 s tolerance: refused as a replay"
    )
    assert refused(auth, BODY, {"X-Signature": good["X-Signature"]}) == "missing header X-Time"


def test_a_token_is_compared_exactly() -> None:
    auth = TokenAuth(type="token", token=SecretStr("tok-en-1234"))

    assert verify_delivery(auth, BODY, {"X-Webhook-Token": "tok-en-1234"}, now=NOW) == Verified(
        None
    )
    assert refused(auth, BODY, {"X-Webhook-Token": "tok-en-123"}) == (
        "header X-Webhook-Token does not hold the shared token"
    )
    assert refused(auth, BODY, {"X-Webhook-Token": "  "}) == "missing header X-Webhook-Token"
