"""``POST /webhooks/{refurbisher}/shipments`` as a service function (SPEC §4).

:func:`receive_shipment_webhook` takes the raw body and the headers and returns a
:class:`WebhookAnswer` — the HTTP status and JSON body the route sends as they are:

======  =================================================  =========================
status  when                                               body
======  =================================================  =========================
200     genuine, every shipment's order is known           ``{"matched": true,
                                                           "order_id", "status"}``
202     genuine, some shipment's order is not known yet    ``{"matched": false}``
        (stored unmatched, matched when the order appears)
401     missing or bad signature/token, or a replay        ``{"detail": reason}``
404     unknown refurbisher, or one without                ``{"detail": ...}``
        ``shipment_webhook``
422     not JSON, or not what ``fields`` points at         ``{"detail": reason}``
======  =================================================  =========================

A payload with several shipments (``items_path``) adds ``"shipments": [{"matched",
"order_id", "status"}...]``, one per shipment, and its top-level answer describes the
first. The signature is verified on the raw bytes before anything parses them.

Every delivery is recorded in ``webhook_deliveries`` (refused ones without their body).
The same event delivered twice — the same ``webhook-id``, or the same body — changes
nothing the second time: the repeat is recorded as ``duplicate`` and answered from
what the first delivery left. (Processing is idempotent anyway: shipments are stored
once and orders move by compare-and-set.)
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from irp.config import Config
from irp.errors import ShipmentPayloadError, WebhookAuthError
from irp.orders.attempts import redact
from irp.shipments.matching import Stored, as_stored, store_shipment
from irp.shipments.parse import read_shipments
from irp.shipments.verify import verify_delivery
from irp.store.db import Database, database_now, insert_id
from irp.store.tables import webhook_deliveries

__all__ = ["WebhookAnswer", "receive_shipment_webhook"]

log = logging.getLogger(__name__)
_ACCEPTED = ("matched", "unmatched", "duplicate")


@dataclass(frozen=True)
class WebhookAnswer:
    """The HTTP answer to one delivery: a status code and a JSON body, sent as they are."""

    status_code: int
    body: dict[str, Any] = field(default_factory=dict)


def receive_shipment_webhook(
    db: Database,
    config: Config,
    refurbisher: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    now: datetime | None = None,
) -> WebhookAnswer:
    """Verify, read and apply one shipment webhook delivery; the answer to send back."""
    ref = config.refurbishers.get(refurbisher)
    if ref is None or ref.shipment_webhook is None:
        reason = "is not configured" if ref is None else "has no shipment_webhook"
        return WebhookAnswer(404, {"detail": f"refurbisher {refurbisher!r} {reason}"})
    webhook = ref.shipment_webhook
    digest = hashlib.sha256(body).hexdigest()
    record = _Recorder(db, refurbisher, digest, len(body))
    try:
        verified = verify_delivery(webhook.auth, body, headers, now=now)
    except WebhookAuthError as exc:
        log.warning("shipment webhook of %s refused: %s", refurbisher, exc)
        record.refused("unauthorized", 401, str(exc), webhook_id=None)
        return WebhookAnswer(401, {"detail": str(exc)})
    try:
        document = json.loads(body)
        read = read_shipments(webhook, document, require_order=True)
    except (ValueError, ShipmentPayloadError) as exc:
        reason = str(exc) if isinstance(exc, ShipmentPayloadError) else f"not JSON: {exc}"
        record.refused("malformed", 422, reason, webhook_id=verified.webhook_id)
        return WebhookAnswer(422, {"detail": reason})
    payload = redact(document, config.secret_values())
    with db.write_transaction() as conn:
        repeat = _seen(conn, refurbisher, verified.webhook_id, digest)
        delivery_id = record.insert(conn, verified.webhook_id, payload)
        if repeat:  # changes nothing: answer from what the first delivery left
            results = [as_stored(conn, refurbisher, facts) for facts in read.shipments]
        else:
            results = [
                store_shipment(
                    conn,
                    refurbisher,
                    facts,
                    source="webhook",
                    raw=redact(facts.raw, config.secret_values()),
                    delivery_id=delivery_id,
                )
                for facts in read.shipments
            ]
        answer = _answer(results, many=webhook.items_path is not None)
        outcome = "matched" if answer.status_code == 200 else "unmatched"
        outcome = "duplicate" if repeat else outcome
        detail = "; ".join(read.skipped) or None
        conn.execute(
            sa.update(webhook_deliveries)
            .where(webhook_deliveries.c.id == delivery_id)
            .values(outcome=outcome, http_status=answer.status_code, detail=detail)
        )
    return answer


def _answer(results: list[Stored], *, many: bool) -> WebhookAnswer:
    each = [
        {"matched": r.order_id is not None, "order_id": r.order_id, "status": r.order_status}
        for r in results
    ]
    matched = bool(each) and all(item["matched"] for item in each)
    if not each:  # every shipment had a status IRP does not act on
        body: dict[str, Any] = {"matched": False}
    elif matched:
        body = dict(each[0])
    else:
        body = {"matched": False}
    if many:
        body["shipments"] = each
    return WebhookAnswer(200 if matched else 202, body)


def _seen(conn: sa.Connection, refurbisher: str, webhook_id: str | None, digest: str) -> bool:
    d = webhook_deliveries.c
    same = d.body_sha256 == digest
    if webhook_id is not None:
        same = sa.or_(same, d.webhook_id == webhook_id)
    query = sa.select(d.id).where(d.refurbisher == refurbisher, d.outcome.in_(_ACCEPTED), same)
    return conn.execute(query.limit(1)).first() is not None


@dataclass
class _Recorder:
    """Writes the ``webhook_deliveries`` row of one delivery."""

    db: Database
    refurbisher: str
    digest: str
    size: int

    def insert(
        self,
        conn: sa.Connection,
        webhook_id: str | None,
        payload: Any,
        *,
        outcome: str = "received",
        status: int = 0,
        detail: str | None = None,
    ) -> int:
        return insert_id(
            conn,
            sa.insert(webhook_deliveries).values(
                refurbisher=self.refurbisher,
                received_at=database_now(conn),
                webhook_id=webhook_id[:200] if webhook_id else None,
                body_sha256=self.digest,
                size=self.size,
                outcome=outcome,
                http_status=status,
                detail=detail,
                payload=payload,
            ),
        )

    def refused(self, outcome: str, status: int, detail: str, *, webhook_id: str | None) -> None:
        with self.db.begin() as conn:
            self.insert(conn, webhook_id, None, outcome=outcome, status=status, detail=detail)
