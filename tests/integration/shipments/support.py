"""Shared by the shipment tests: FlexIT's config with a shipment webhook, orders in a
given state, and signed deliveries made the way each scheme's senders make them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from standardwebhooks import Webhook

from irp.config import Config, load_config
from irp.orders.states import OrderStatus, transition
from irp.store.db import Database
from tests.integration.orders.submit_support import EXAMPLE, add_order

S = OrderStatus
HMAC_SECRET = "hmac-shared-secret-4a7b"
TOKEN = "shared-webhook-token-91c2"
WHSEC = "whsec_" + base64.b64encode(b"refurbisher-webhook-key-32bytes!").decode()

AUTHS: dict[str, dict[str, Any]] = {
    "hmac_sha256": {
        "type": "hmac_sha256",
        "secret": HMAC_SECRET,
        "header": "X-Signature",
        "timestamp_header": "X-Timestamp",
    },
    "standard_webhooks": {"type": "standard_webhooks", "secret": WHSEC},
    "token": {"type": "token", "token": TOKEN, "header": "X-Webhook-Token"},
}

FIELDS = {
    "external_reference": "order.reference",
    "order_id": "order.id",
    "carrier": "parcel.carrier",
    "tracking_code": "parcel.code",
    "tracking_url": "parcel.url",
    "shipped_at": "parcel.shipped_at",
    "status": "state",
    "lines": "parcel.lines",
}
STATUS_MAP = {"in_transit": "shipped", "delivered": "delivered"}


def webhook_config(tmp_path: Path, scheme: str, **webhook: Any) -> Config:
    """examples/flexit.json (order section only) with a shipment webhook of ``scheme``."""
    document = json.loads(EXAMPLE.read_text())
    flexit = document["flexit"]
    for key in ("offers", "environments", "shipment_poll"):
        flexit.pop(key, None)
    flexit["order"]["auth"] = {
        "type": "client_id_secret",
        "client_id": "id-1234",
        "client_secret": "secret-1234",
    }
    flexit["shipment_webhook"] = {
        "auth": AUTHS[scheme],
        "fields": FIELDS,
        "status_map": STATUS_MAP,
        **webhook,
    }
    path = tmp_path / "irp.json"
    path.write_text(json.dumps(document))
    return load_config(path, "acceptance")


def submitted_order(db: Database, order_id: str, reference: str | None) -> None:
    """A stored order that the refurbisher accepted as ``reference``."""
    add_order(db, order_id)
    with db.write_transaction() as conn:
        assert transition(conn, order_id, [S.PENDING], S.SUBMITTING)
        values = {"external_reference": reference, "submitted_at": datetime.now(UTC)}
        assert transition(conn, order_id, [S.SUBMITTING], S.SUBMITTED, values=values)


def parcel(
    reference: str | None = "SO-000001",
    *,
    order_id: str | None = None,
    code: str = "3SABCD000000001",
    state: str = "in_transit",
    lines: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """One shipment event as the refurbisher sends it."""
    order: dict[str, Any] = {"reference": reference}
    if order_id is not None:
        order["id"] = order_id
    return {
        "order": order,
        "state": state,
        "parcel": {
            "carrier": "PostNL",
            "code": code,
            "url": f"https://jouw.postnl.nl/track-and-trace/{code}",
            "shipped_at": "2026-11-28T09:15:00Z",
            "lines": lines,
        },
    }


def body_of(payload: Any) -> bytes:
    return json.dumps(payload).encode()


def signed(
    scheme: str,
    body: bytes,
    *,
    at: datetime | None = None,
    webhook_id: str = "msg_2Xb1",
) -> dict[str, str]:
    """The headers a correct sender of ``scheme`` puts on ``body`` (sent at ``at``)."""
    moment = at or datetime.now(UTC)
    stamp = str(int(moment.timestamp()))
    if scheme == "standard_webhooks":
        return {
            "webhook-id": webhook_id,
            "webhook-timestamp": stamp,
            "webhook-signature": Webhook(WHSEC).sign(webhook_id, moment, body.decode()),
        }
    if scheme == "hmac_sha256":
        digest = hmac.new(HMAC_SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256)
        return {"X-Signature": digest.hexdigest(), "X-Timestamp": stamp}
    return {"X-Webhook-Token": TOKEN}
