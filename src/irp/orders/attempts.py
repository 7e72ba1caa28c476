"""The attempt log: every request sent about an order, kept for the operator (SPEC §3).

An attempt row is written *before* the request leaves (outcome ``sending``, with the
request payload) and completed after the answer, so even a submitter killed mid-request
leaves the payload it sent — the lookup fills its placeholders from it. Stored payloads
and bodies never hold a secret: credential headers are not stored at all, and any
resolved secret value that shows up in a payload or a response is replaced.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from irp.redact import redact as redact_text
from irp.store.db import insert_id
from irp.store.tables import order_attempts

if TYPE_CHECKING:
    from irp.orders.sender import Answer

RESPONSE_BODY_CAP = 64 * 1024  # characters of a response body kept per attempt
SENDING = "sending"


def redact(value: Any, secrets: Collection[str]) -> Any:
    """``value`` (text or parsed JSON) with every secret string replaced by ``<secret>``."""
    if not secrets:
        return value
    if isinstance(value, str):
        return redact_text(value, secrets)
    if isinstance(value, dict):
        return {key: redact(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item, secrets) for item in value]
    return value


def capped_body(content: bytes, secrets: Collection[str]) -> str:
    """A response body as text, cut at :data:`RESPONSE_BODY_CAP` characters, secrets out."""
    text = content.decode("utf-8", "replace")
    if len(text) > RESPONSE_BODY_CAP:
        text = text[:RESPONSE_BODY_CAP] + f"… [cut at {RESPONSE_BODY_CAP} characters]"
    return str(redact(text, secrets))


def start_attempt(
    conn: sa.Connection,
    order_id: str,
    *,
    kind: str,
    started_at: datetime,
    method: str,
    url: str,
    payload: Any,
    config_hash: str,
) -> int:
    """Insert the attempt row (outcome ``sending``) and return its id."""
    return insert_id(
        conn,
        sa.insert(order_attempts).values(
            order_id=order_id,
            kind=kind,
            started_at=started_at,
            request_method=method,
            request_url=url,
            request_payload=payload,
            outcome=SENDING,
            config_hash=config_hash,
        ),
    )


def record_answer(
    conn: sa.Connection,
    attempt_id: int,
    answer: Answer,
    *,
    outcome: str,
    error: str | None,
    secrets: Collection[str],
) -> None:
    """Complete an attempt with what ``answer`` brought back: status, capped body, timing."""
    response = answer.response
    finish_attempt(
        conn,
        attempt_id,
        outcome=outcome,
        duration_ms=answer.duration_ms,
        status_code=response.status_code if response is not None else None,
        response_body=capped_body(response.content, secrets) if response is not None else None,
        error=error,
    )


def finish_attempt(
    conn: sa.Connection,
    attempt_id: int,
    *,
    outcome: str,
    duration_ms: int | None = None,
    status_code: int | None = None,
    response_body: str | None = None,
    error: str | None = None,
) -> None:
    """Complete an attempt row with what came back."""
    conn.execute(
        sa.update(order_attempts)
        .where(order_attempts.c.id == attempt_id)
        .values(
            outcome=outcome,
            duration_ms=duration_ms,
            status_code=status_code,
            response_body=response_body,
            error=error,
        )
    )


def close_unfinished(
    conn: sa.Connection, order_id: str, *, kind: str, outcome: str, error: str
) -> None:
    """Give the order's attempts of ``kind`` still ``sending`` an outcome.

    An attempt stays ``sending`` only when its process died mid-request; the lease
    expiry (submissions) or the next lookup's claim (lookups) closes it, so no attempt
    is left without an outcome.
    """
    conn.execute(
        sa.update(order_attempts)
        .where(
            order_attempts.c.order_id == order_id,
            order_attempts.c.kind == kind,
            order_attempts.c.outcome == SENDING,
        )
        .values(outcome=outcome, error=error)
    )


def last_submitted_payload(conn: sa.Connection, order_id: str) -> Any:
    """The request payload of the order's latest submit attempt, or None."""
    query = (
        sa.select(order_attempts.c.request_payload)
        .where(order_attempts.c.order_id == order_id, order_attempts.c.kind == "submit")
        .order_by(order_attempts.c.id.desc())
        .limit(1)
    )
    return conn.execute(query).scalar_one_or_none()
