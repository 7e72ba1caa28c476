"""Telling the sinks of ``platform.alerts`` about every alert raised and resolved.

Whoever wrote the alert (a monitoring check, the orders circuit breaker), each sink
gets one message when it is raised and one when it is resolved, at least once: a
``alert_notifications`` row per (alert, sink, kind) records the delivery, and a sink
that fails is retried with backoff (``retry_seconds`` doubling to ``max_retry_seconds``)
on later runs. Notifying runs after the checks are stored, each request bounded by the
sink's ``timeout_seconds`` and the whole run by a budget, so a dead sink never blocks
the checks. Alerts older than a day when a sink is added are not replayed to it.

Messages: the ``webhook`` sink gets ``{"event": "alert.raised" | "alert.resolved",
"alert_id", "refurbisher", "env", "check", "value", "threshold", "detail",
"raised_at", "resolved_at"}``; the ``slack`` sink gets ``{"text": ...}``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from irp.config import Config
from irp.config.alerts import AlertSink, SlackSink, sink_label
from irp.errors import AnswerTooLargeError
from irp.events.outbox import iso_utc
from irp.http_limits import CappedTransport
from irp.orders.retry_after import parse_retry_after
from irp.redact import redact
from irp.retry import backoff_delay
from irp.store.db import Database, database_now
from irp.store.tables import alert_notifications, alerts

__all__ = ["NotifyReport", "alert_message", "notify_sinks"]

log = logging.getLogger(__name__)
REPLAY_WINDOW = timedelta(days=1)


@dataclass
class NotifyReport:
    """Messages delivered and failed in one run, with the failures' reasons."""

    delivered: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def notify_sinks(
    db: Database,
    config: Config,
    *,
    transport: httpx.BaseTransport | None = None,
    budget_seconds: float = 20.0,
) -> NotifyReport:
    """Deliver every due alert message to every configured sink; never raises for a sink."""
    settings = config.platform.alerts
    report = NotifyReport()
    sinks = {sink_label(sink, i): sink for i, sink in enumerate(settings.sinks)}
    if not sinks:
        return report
    with db.write_transaction() as conn:
        _enqueue(conn, list(sinks))
    deadline = time.monotonic() + budget_seconds
    capped = CappedTransport(transport or httpx.HTTPTransport(trust_env=False))
    with httpx.Client(transport=capped, trust_env=False) as client:
        for row in _due(db, list(sinks)):
            if time.monotonic() >= deadline:
                break
            if not _claim(db, row):
                continue
            sink = sinks[row["sink"]]
            error, retry_after = _send(client, sink, alert_message(row, config.env, sink))
            _finish(db, config, row, error, retry_after, report)
    return report


def alert_message(row: Any, env: str, sink: AlertSink) -> dict[str, Any]:
    """What ``sink`` is sent for a notification row joined with its alert."""
    kind = row["kind"]
    if isinstance(sink, SlackSink):
        if kind == "raised":
            text = f":red_circle: [{env}] {row['refurbisher']} {row['check']}: {row['detail']}"
        else:
            why = row["resolved_detail"] or "the check passes again"
            text = f":white_check_mark: [{env}] {row['refurbisher']} {row['check']} resolved: {why}"
        return {"text": text}
    return {
        "event": f"alert.{kind}",
        "alert_id": row["alert_id"],
        "refurbisher": row["refurbisher"],
        "env": env,
        "check": row["check"],
        "value": row["value"],
        "threshold": row["threshold"],
        "detail": row["detail"] if kind == "raised" else row["resolved_detail"],
        "raised_at": iso_utc(row["raised_at"]),
        "resolved_at": iso_utc(row["resolved_at"]),
    }


def _enqueue(conn: sa.Connection, labels: list[str]) -> None:
    """A notification row for each recent raise and resolve a sink was not told yet."""
    now = database_now(conn)
    since = now - REPLAY_WINDOW
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    for label in labels:
        for kind, column in (("raised", alerts.c.raised_at), ("resolved", alerts.c.resolved_at)):
            told = sa.exists().where(
                alert_notifications.c.alert_id == alerts.c.id,
                alert_notifications.c.sink == label,
                alert_notifications.c.kind == kind,
            )
            fresh = sa.select(
                alerts.c.id,
                sa.literal(label),
                sa.literal(kind),
                sa.literal(now),
                sa.literal(0),
                sa.literal(now),
            ).where(column.is_not(None), column >= since, ~told)
            conn.execute(
                insert(alert_notifications)
                .from_select(
                    ["alert_id", "sink", "kind", "created_at", "attempts", "next_attempt_at"],
                    fresh,
                )
                .on_conflict_do_nothing()
            )


def _due(db: Database, labels: list[str]) -> list[sa.RowMapping]:
    n, a = alert_notifications.c, alerts.c
    with db.connect() as conn:
        now = database_now(conn)
        return list(
            conn.execute(
                sa.select(
                    n.id,
                    n.alert_id,
                    n.sink,
                    n.kind,
                    n.attempts,
                    n.next_attempt_at,
                    a.refurbisher,
                    a.check,
                    a.value,
                    a.threshold,
                    a.detail,
                    a.resolved_detail,
                    a.raised_at,
                    a.resolved_at,
                )
                .join(alerts, alerts.c.id == n.alert_id)
                .where(n.delivered_at.is_(None), n.next_attempt_at <= now, n.sink.in_(labels))
                .order_by(n.id)
            )
            .mappings()
            .all()
        )


def _claim(db: Database, row: sa.RowMapping) -> bool:
    """Move next_attempt_at past the request, if nobody else did (a lease)."""
    with db.write_transaction() as conn:
        lease = database_now(conn) + timedelta(minutes=2)
        return bool(
            conn.execute(
                sa.update(alert_notifications)
                .where(
                    alert_notifications.c.id == row["id"],
                    alert_notifications.c.delivered_at.is_(None),
                    alert_notifications.c.next_attempt_at == row["next_attempt_at"],
                )
                .values(next_attempt_at=lease)
            ).rowcount
        )


def _send(
    client: httpx.Client, sink: AlertSink, message: dict[str, Any]
) -> tuple[str | None, float | None]:
    """POST one message; (None, None) when accepted, else (reason, Retry-After)."""
    if isinstance(sink, SlackSink):
        url, headers = sink.webhook_url.get_secret_value(), {}
    else:
        url = sink.url
        headers = {name: value.get_secret_value() for name, value in sink.headers.items()}
    try:
        response = client.post(url, json=message, headers=headers, timeout=sink.timeout_seconds)
    except (httpx.HTTPError, AnswerTooLargeError) as exc:
        return f"{type(exc).__name__}: {exc}", None
    if response.is_success:
        return None, None
    excerpt = response.text[:200].strip()
    reason = f"HTTP {response.status_code}" + (f": {excerpt}" if excerpt else "")
    return reason, parse_retry_after(response.headers.get("Retry-After"), datetime.now(UTC))


def _finish(
    db: Database,
    config: Config,
    row: sa.RowMapping,
    error: str | None,
    retry_after: float | None,
    report: NotifyReport,
) -> None:
    settings = config.platform.alerts
    attempt = int(row["attempts"]) + 1
    values: dict[str, Any] = {"attempts": attempt}
    with db.write_transaction() as conn:
        now = database_now(conn)
        if error is None:
            values |= {"delivered_at": now, "last_error": None}
        else:
            error = redact(error, config.secret_values())[:500]
            wait = backoff_delay(
                attempt,
                base=settings.retry_seconds,
                cap=settings.max_retry_seconds,
                retry_after=retry_after,
            )
            values |= {"next_attempt_at": now + timedelta(seconds=wait), "last_error": error}
        conn.execute(
            sa.update(alert_notifications)
            .where(alert_notifications.c.id == row["id"])
            .values(**values)
        )
    if error is None:
        report.delivered += 1
        return
    message = (
        f"alert sink {row['sink']}: telling it {row['refurbisher']} {row['check']} was "
        f"{row['kind']} failed (attempt {attempt}): {error}; retried later"
    )
    log.warning("%s", message)
    report.failed += 1
    report.errors.append(message)
