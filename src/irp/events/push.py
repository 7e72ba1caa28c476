"""Pushing order events to the marketplace's webhook, signed with Standard Webhooks.

Where ``platform.events.url`` is set, every event is POSTed there until the marketplace
answers 2xx — at least once, in order per order (an order's event waits until every
earlier event of that order was accepted), with backoff between attempts
(``retry_seconds`` doubling to ``max_retry_seconds``, jittered; a ``Retry-After`` is
honoured). Each event keeps one ``webhook-id`` for all its attempts, so the
marketplace recognises a repeat (a push that landed but whose answer was lost).

Headers (https://www.standardwebhooks.com): ``webhook-id``, ``webhook-timestamp``
(Unix seconds, of this attempt) and ``webhook-signature: v1,<base64>`` over
``"<id>.<timestamp>.<body>"`` with the ``whsec_`` secret — signed by the
``standardwebhooks`` package. The body is the event document of ``GET /api/events``
(``{"id", "cursor", "type", "timestamp", "data"}``), the same bytes on every attempt.

Two pushers never send one event at the same moment: each claims it first by a
compare-and-set that moves ``next_push_at`` past the request (a lease).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa

from irp.config import Config
from irp.config.events import EventsConfig
from irp.errors import AnswerTooLargeError
from irp.events.outbox import event_document
from irp.events.signing import sign_standard_webhook
from irp.http_limits import CappedTransport
from irp.orders.retry_after import parse_retry_after
from irp.redact import redact
from irp.retry import backoff_delay
from irp.store.db import Database, database_now
from irp.store.tables import order_events

__all__ = ["PushReport", "encode_event", "push_due_events"]

log = logging.getLogger(__name__)
_ERROR_CAP = 500


@dataclass
class PushReport:
    """What one push run did: events accepted, attempts that failed, events still due."""

    pushed: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def encode_event(row: Any) -> bytes:
    """The exact body pushed for an ``order_events`` row (stable across attempts)."""
    return json.dumps(event_document(row), sort_keys=True, separators=(",", ":")).encode()


def push_due_events(
    db: Database,
    config: Config,
    *,
    transport: httpx.BaseTransport | None = None,
    budget_seconds: float = 30.0,
) -> PushReport:
    """Push every due event (oldest first, in order per order) within ``budget_seconds``.

    Returns at once when ``platform.events.url`` is not set.
    """
    settings = config.platform.events
    report = PushReport()
    if settings.url is None or settings.secret is None:
        return report
    deadline = time.monotonic() + budget_seconds
    timeout = httpx.Timeout(settings.timeout_seconds)
    capped = CappedTransport(transport or httpx.HTTPTransport(trust_env=False))
    with httpx.Client(timeout=timeout, transport=capped, trust_env=False) as client:
        pusher = _Pusher(db, config, settings, client, report)
        while time.monotonic() < deadline:
            due = pusher.due()
            if not due:
                break
            progressed = False
            for row in due:
                if time.monotonic() >= deadline:
                    break
                progressed |= pusher.push(row)
            if not progressed:
                break
    return report


class _Pusher:
    def __init__(
        self,
        db: Database,
        config: Config,
        settings: EventsConfig,
        client: httpx.Client,
        report: PushReport,
    ) -> None:
        assert settings.url is not None and settings.secret is not None
        self.db = db
        self.url = settings.url
        self.secret = settings.secret.get_secret_value()
        self.settings = settings
        self.client = client
        self.report = report
        self.secrets = config.secret_values()

    def due(self) -> list[sa.RowMapping]:
        """The first unpushed event of each order, where it is due now."""
        e = order_events.alias("e")
        earlier = order_events.alias("earlier")
        blocked = (
            sa.select(earlier.c.id)
            .where(
                earlier.c.order_id == e.c.order_id,
                earlier.c.pushed_at.is_(None),
                earlier.c.id < e.c.id,
            )
            .exists()
        )
        with self.db.connect() as conn:
            now = database_now(conn)
            return list(
                conn.execute(
                    sa.select(e)
                    .where(e.c.pushed_at.is_(None), e.c.next_push_at <= now, ~blocked)
                    .order_by(e.c.id)
                    .limit(self.settings.batch_size)
                )
                .mappings()
                .all()
            )

    def push(self, row: sa.RowMapping) -> bool:
        """Claim and send one event; True when it was accepted."""
        if not self._claim(row):
            return False
        body = encode_event(row)
        sent_at = datetime.now(UTC)
        headers = {
            "content-type": "application/json",
            "webhook-id": row["webhook_id"],
            "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": sign_standard_webhook(
                self.secret, row["webhook_id"], sent_at, body
            ),
        }
        retry_after = None
        try:
            response = self.client.post(self.url, content=body, headers=headers)
        except (httpx.HTTPError, AnswerTooLargeError) as exc:  # too large: accepted? unknown
            error = f"{type(exc).__name__}: {exc}"
        else:
            if response.is_success:
                self._done(row)
                return True
            retry_after = parse_retry_after(response.headers.get("Retry-After"), datetime.now(UTC))
            excerpt = response.text[:200].strip()
            error = f"HTTP {response.status_code}" + (f": {excerpt}" if excerpt else "")
        self._failed(row, redact(error, self.secrets)[:_ERROR_CAP], retry_after)
        return False

    def _claim(self, row: sa.RowMapping) -> bool:
        lease = timedelta(seconds=self.settings.timeout_seconds + 30.0)
        with self.db.write_transaction() as conn:
            now = database_now(conn)
            return bool(
                conn.execute(
                    sa.update(order_events)
                    .where(
                        order_events.c.id == row["id"],
                        order_events.c.pushed_at.is_(None),
                        order_events.c.next_push_at == row["next_push_at"],
                    )
                    .values(next_push_at=now + lease)
                ).rowcount
            )

    def _done(self, row: sa.RowMapping) -> None:
        with self.db.write_transaction() as conn:
            conn.execute(
                sa.update(order_events)
                .where(order_events.c.id == row["id"])
                .values(
                    pushed_at=database_now(conn),
                    push_attempts=order_events.c.push_attempts + 1,
                    last_push_error=None,
                )
            )
        self.report.pushed += 1

    def _failed(self, row: sa.RowMapping, error: str, retry_after: float | None) -> None:
        attempt = int(row["push_attempts"]) + 1
        wait = backoff_delay(
            attempt,
            base=self.settings.retry_seconds,
            cap=self.settings.max_retry_seconds,
            retry_after=retry_after,
        )
        with self.db.write_transaction() as conn:
            at = database_now(conn) + timedelta(seconds=wait)
            conn.execute(
                sa.update(order_events)
                .where(order_events.c.id == row["id"], order_events.c.pushed_at.is_(None))
                .values(push_attempts=attempt, next_push_at=at, last_push_error=error)
            )
        message = (
            f"event {row['webhook_id']} ({row['type']} of order {row['order_id']}): push "
            f"attempt {attempt} failed ({error}); next at {at.isoformat(timespec='seconds')}"
        )
        log.warning("%s", message)
        self.report.failed += 1
        self.report.errors.append(message)
