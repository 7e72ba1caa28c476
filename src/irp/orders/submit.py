"""Submitting due orders to refurbishers: never lose one, never send one twice (SPEC §3).

For each due ``pending`` order, in this order:

1. render the payload (a template that cannot render fails the order, nothing sent);
2. **claim** it: one compare-and-set ``pending -> submitting`` that also sets the lease
   (``lease_until`` = the database's clock + ``lease_seconds``, ``lease_owner``), counts
   the attempt, and requires the refurbisher not to be paused; the attempt row with the
   payload is inserted in the same transaction, which is **committed before the request
   leaves** — a process killed while sending leaves a ``submitting`` order whose lease
   runs out (:mod:`irp.orders.leases`) and the payload it sent;
3. send it (:mod:`irp.orders.sender`) and classify the answer
   (:mod:`irp.orders.classify`, the only place that does);
4. record the answer on the attempt row and move the order in one transaction, with a
   compare-and-set conditioned on ``lease_owner``: a submitter whose lease was taken
   away changes nothing (except that a definite "created" still marks the order
   ``submitted`` when the lease expiry had made it ``uncertain``).

Per refurbisher, requests run on a thread pool of ``order.max_concurrency`` workers
sharing one ``httpx.Client``, spaced by ``order.rate_limit_per_second`` when set.
Refurbishers are served one after the other.
"""

from __future__ import annotations

import json
import logging
import os
import random
import socket
import threading
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa

from irp.config import Config, OrderConfig, Refurbisher
from irp.errors import IrpError
from irp.logs import log_context
from irp.orders import attempts, breaker
from irp.orders.classify import Classification, Outcome, classify_exception, classify_response
from irp.orders.context import build_context
from irp.orders.sender import RateLimiter, Sent, open_client, send
from irp.orders.states import OrderStatus, transition
from irp.store.db import Database, database_now
from irp.store.tables import order_lines, orders
from irp.template.payload_json import encode_payload

__all__ = [
    "BACKOFF_BASE_SECONDS",
    "BACKOFF_CAP_SECONDS",
    "SubmitResult",
    "default_owner",
    "order_result",
    "retry_delay",
    "submit_due",
]

BACKOFF_BASE_SECONDS = 30.0  # first retry ~30 s later, doubling per attempt
BACKOFF_CAP_SECONDS = 3600.0  # never wait more than an hour between two attempts
ATTENTION = frozenset({OrderStatus.FAILED, OrderStatus.REJECTED, OrderStatus.UNCERTAIN})
BODY_IN_MESSAGE = 500  # characters of a refusal's body quoted in last_error

log = logging.getLogger(__name__)
S = OrderStatus


@dataclass(frozen=True)
class SubmitResult:
    """Where one order stands after this run touched it (``irp orders submit --json``)."""

    order_id: str
    refurbisher: str
    status: OrderStatus
    external_reference: str | None
    attempts: int
    error: str | None
    paused: bool = False  # due, but its refurbisher's submissions are paused

    @property
    def needs_operator(self) -> bool:
        """Failed, rejected, uncertain, or held by a paused refurbisher."""
        return self.status in ATTENTION or self.paused

    def to_json(self) -> dict[str, Any]:
        """The SPEC §6 shape: id, status, external_reference, attempts, error."""
        return {
            "id": self.order_id,
            "status": str(self.status),
            "external_reference": self.external_reference,
            "attempts": self.attempts,
            "error": self.error,
        }


def default_owner() -> str:
    """A lease owner unique to this process and call: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def retry_delay(
    attempt: int, retry_after: float | None = None, rng: random.Random | None = None
) -> float:
    """Seconds before attempt ``attempt + 1``: exponential backoff with jitter.

    ``BACKOFF_BASE_SECONDS * 2**(attempt-1)`` capped at ``BACKOFF_CAP_SECONDS``, then
    scaled by a random factor in [0.5, 1) so a burst of failures does not come back
    as a burst; never less than the refurbisher's ``Retry-After``.
    """
    base = min(BACKOFF_BASE_SECONDS * 2 ** max(attempt - 1, 0), BACKOFF_CAP_SECONDS)
    jittered = base * (0.5 + (rng or random).random() / 2)
    return float(max(jittered, retry_after or 0.0))


def submit_due(
    db: Database,
    config: Config,
    *,
    refurbisher: str | None = None,
    now: datetime | None = None,
    owner: str | None = None,
    stop: threading.Event | None = None,
) -> list[SubmitResult]:
    """Send every due ``pending`` order (of ``refurbisher``, or of all) once.

    ``now`` decides what is due and schedules retries and lookups (default: the
    database's clock); leases always run on the database's clock. Returns one result
    per due order this run attempted or held back (paused refurbisher); orders another
    process claimed first are left out. Once ``stop`` is set no order is claimed any
    more (those left stay ``pending``, due); requests already sent finish.
    """
    owner = owner or default_owner()
    results: list[SubmitResult] = []
    for ref in _refurbishers(config, refurbisher):
        results.extend(_Submitter(db, config, ref, owner, now, stop).run())
    return results


def order_result(conn: sa.Connection, order_id: str, *, paused: bool = False) -> SubmitResult:
    """The :class:`SubmitResult` of a stored order as it is now."""
    row = conn.execute(sa.select(orders).where(orders.c.id == order_id)).mappings().one()
    return SubmitResult(
        order_id=row["id"],
        refurbisher=row["refurbisher"],
        status=S(row["status"]),
        external_reference=row["external_reference"],
        attempts=row["attempts"],
        error=row["last_error"],
        paused=paused,
    )


def _refurbishers(config: Config, key: str | None) -> list[Refurbisher]:
    if key is not None:
        ref = config.refurbisher(key)
        return [ref] if ref.order is not None else []
    return [ref for ref in config.refurbishers.values() if ref.order is not None]


def _due_condition(now: datetime | sa.ColumnElement[datetime]) -> sa.ColumnElement[bool]:
    return sa.and_(
        orders.c.status == str(S.PENDING),
        sa.or_(orders.c.next_attempt_at.is_(None), orders.c.next_attempt_at <= now),
    )


def _free_to_claim(conn: sa.Connection, order_id: str, now: datetime) -> bool:
    """On PostgreSQL, lock the due order for this claim — or skip it if another
    claimer holds it (``FOR UPDATE SKIP LOCKED``), instead of queueing behind it.

    The claim's compare-and-set is what keeps an order from being sent twice; this
    only keeps concurrent workers from waiting on each other's rows. SQLite has one
    writer at a time (``BEGIN IMMEDIATE``): nothing to skip there.
    """
    if conn.dialect.name != "postgresql":
        return True
    query = (
        sa.select(orders.c.id)
        .where(orders.c.id == order_id, _due_condition(now))
        .with_for_update(skip_locked=True)
    )
    return conn.execute(query).first() is not None


class _Submitter:
    """One run over one refurbisher's due orders."""

    def __init__(
        self,
        db: Database,
        config: Config,
        ref: Refurbisher,
        owner: str,
        now: datetime | None,
        stop: threading.Event | None = None,
    ) -> None:
        assert ref.order is not None
        self.db = db
        self.config = config
        self.ref = ref
        self.order: OrderConfig = ref.order
        self.owner = owner
        self.fixed_now = now
        self.stop = stop
        self.secrets = config.secret_values()
        self.limiter = RateLimiter(self.order.rate_limit_per_second)
        self.client: httpx.Client | None = None

    def now(self, conn: sa.Connection) -> datetime:
        return self.fixed_now or database_now(conn)

    def run(self) -> list[SubmitResult]:
        with self.db.begin() as conn:
            now = self.now(conn)
            due = list(
                conn.execute(
                    sa.select(orders.c.id)
                    .where(orders.c.refurbisher == self.ref.key, _due_condition(now))
                    .order_by(orders.c.next_attempt_at, orders.c.created_at, orders.c.id)
                ).scalars()
            )
            pause = breaker.paused(conn, self.ref.key)
            if pause is not None:
                return [self._held(conn, order_id, pause[1]) for order_id in due]
        if not due:
            return []
        with open_client(self.order) as client:
            self.client = client
            workers = min(self.order.max_concurrency, len(due))
            with ThreadPoolExecutor(workers, thread_name_prefix=f"submit-{self.ref.key}") as pool:
                outcomes = list(pool.map(self.submit_one, due))
        return [result for result in outcomes if result is not None]

    def _held(self, conn: sa.Connection, order_id: str, reason: str) -> SubmitResult:
        result = order_result(conn, order_id, paused=True)
        message = (
            f"not sent: submissions to {self.ref.key} are paused ({reason}); "
            f"fix the config, then `irp check {self.ref.key}` resumes them"
        )
        return SubmitResult(
            result.order_id,
            result.refurbisher,
            result.status,
            result.external_reference,
            result.attempts,
            message,
            paused=True,
        )

    # -- one order ---------------------------------------------------------------

    def submit_one(self, order_id: str) -> SubmitResult | None:
        try:
            with log_context(refurbisher=self.ref.key, order_id=order_id):
                return self._submit_one(order_id)
        except Exception:
            log.exception("submitting order %s to %s failed unexpectedly", order_id, self.ref.key)
            raise

    def _submit_one(self, order_id: str) -> SubmitResult | None:
        with self.db.begin() as conn:
            row = conn.execute(sa.select(orders).where(orders.c.id == order_id)).mappings().first()
            if row is None or row["status"] != S.PENDING:
                return None
            lines = conn.execute(
                sa.select(order_lines)
                .where(order_lines.c.order_id == order_id)
                .order_by(order_lines.c.line_no)
            ).mappings()
            context = build_context(dict(row), [dict(line) for line in lines])
        try:
            payload = self.order.template.render(context)
            body = encode_payload(payload)
        except IrpError as exc:
            return self._fail_render(order_id, exc)
        self.limiter.wait()
        if self.stop is not None and self.stop.is_set():
            return None  # shutting down: it stays pending, due, for the next run
        attempt_id = self._claim(order_id, json.loads(body))
        if attempt_id is None:
            return self._claim_lost(order_id)
        assert self.client is not None
        sent = send(self.client, self.order.method, self.order.endpoint, body)
        return self._apply(order_id, attempt_id, sent)

    def _fail_render(self, order_id: str, exc: IrpError) -> SubmitResult | None:
        message = (
            f"the payload cannot be rendered: {exc}; nothing was sent. Fix "
            f"{self.ref.key}.order.order_object/item_object (or the order), then "
            f"`irp orders retry {order_id}`"
        )
        with self.db.write_transaction() as conn:
            now = database_now(conn)
            moved = transition(
                conn,
                order_id,
                [S.PENDING],
                S.FAILED,
                values={"last_error": message, "next_attempt_at": None},
            )
            if not moved:
                return None
            attempt_id = attempts.start_attempt(
                conn,
                order_id,
                kind="submit",
                started_at=now,
                method=self.order.method,
                url=self.order.endpoint,
                payload=None,
                config_hash=self.config.hash,
            )
            attempts.finish_attempt(
                conn, attempt_id, outcome="invalid_payload", duration_ms=0, error=message
            )
            return order_result(conn, order_id)

    def _claim(self, order_id: str, payload: Mapping[str, Any]) -> int | None:
        """pending -> submitting with a lease, committed with the attempt row; or None."""
        lease = timedelta(seconds=float(self.order.lease_seconds or 0.0))
        with self.db.write_transaction() as conn:
            db_now = database_now(conn)
            if not _free_to_claim(conn, order_id, self.fixed_now or db_now):
                return None
            claimed = transition(
                conn,
                order_id,
                [S.PENDING],
                S.SUBMITTING,
                values={
                    "lease_until": db_now + lease,
                    "lease_owner": self.owner,
                    "attempts": orders.c.attempts + 1,
                },
                where=sa.and_(
                    _due_condition(self.fixed_now or db_now),
                    breaker.not_paused(orders.c.refurbisher),
                ),
            )
            if not claimed:
                return None
            return attempts.start_attempt(
                conn,
                order_id,
                kind="submit",
                started_at=db_now,
                method=self.order.method,
                url=self.order.endpoint,
                payload=attempts.redact(dict(payload), self.secrets),
                config_hash=self.config.hash,
            )

    def _claim_lost(self, order_id: str) -> SubmitResult | None:
        """Another submitter took it — or the breaker tripped meanwhile: say which."""
        with self.db.begin() as conn:
            pause = breaker.paused(conn, self.ref.key)
            status = conn.execute(
                sa.select(orders.c.status).where(orders.c.id == order_id)
            ).scalar_one_or_none()
            if pause is not None and status == S.PENDING:
                return self._held(conn, order_id, pause[1])
        return None

    def _classify(self, sent: Sent, now: datetime) -> Classification:
        if sent.response is None:
            assert sent.error is not None
            return classify_exception(sent.error, sent.progress)
        return classify_response(
            sent.response,
            asserts=self.order.asserts,
            fields=self.order.response_object.fields,
            resend_on=self.order.resend_on,
            now=now,
        )

    def _apply(self, order_id: str, attempt_id: int, sent: Sent) -> SubmitResult:
        with self.db.write_transaction() as conn:
            now = self.now(conn)
            verdict = self._classify(sent, now)
            attempts.record_answer(
                conn,
                attempt_id,
                sent,
                outcome=str(verdict.outcome),
                error=None if verdict.outcome is Outcome.SUBMITTED else verdict.reason,
                secrets=self.secrets,
            )
            attempt_no = conn.execute(
                sa.select(orders.c.attempts).where(orders.c.id == order_id)
            ).scalar_one()
            to_status, values = self._next_state(order_id, verdict, sent, attempt_no, now)
            mine = orders.c.lease_owner == self.owner
            lease_off = {"lease_until": None, "lease_owner": None}
            moved = transition(
                conn,
                order_id,
                [S.SUBMITTING],
                to_status,
                values={**values, **lease_off},
                where=mine,
            )
            if not moved:
                self._lease_lost(conn, order_id, verdict, values)
            elif verdict.outcome is Outcome.MISCONFIGURED:
                breaker.pause_submissions(conn, self.ref.key, f"order {order_id}: {verdict.reason}")
            return order_result(conn, order_id)

    def _next_state(
        self, order_id: str, verdict: Classification, sent: Sent, attempt_no: int, now: datetime
    ) -> tuple[OrderStatus, dict[str, Any]]:
        outcome = verdict.outcome
        if outcome is Outcome.SUBMITTED:
            reference = verdict.fields.get("externalOrderReference")
            return S.SUBMITTED, {
                "external_reference": None if reference is None else str(reference),
                "submitted_at": now,
                "last_error": None,
                "next_attempt_at": None,
            }
        if outcome is Outcome.RETRY:
            if attempt_no >= self.order.max_attempts:
                return S.FAILED, {
                    "last_error": (
                        f"gave up after {attempt_no} attempts (order.max_attempts); last: "
                        f"{verdict.reason}. `irp orders retry {order_id}` sends it again"
                    ),
                    "next_attempt_at": None,
                }
            wait = retry_delay(attempt_no, verdict.retry_after)
            due = now + timedelta(seconds=wait)
            return S.PENDING, {
                "last_error": (
                    f"attempt {attempt_no} of {self.order.max_attempts}: {verdict.reason}; "
                    f"next attempt at {due.isoformat(timespec='seconds')}"
                ),
                "next_attempt_at": due,
            }
        if outcome is Outcome.REJECTED:
            quoted = _body_excerpt(sent, self.secrets)
            return S.REJECTED, {
                "last_error": f"{verdict.reason}: {quoted}" if quoted else verdict.reason,
                "next_attempt_at": None,
            }
        if outcome is Outcome.MISCONFIGURED:
            return S.FAILED, {
                "last_error": (
                    f"{verdict.reason}; submissions to {self.ref.key} are paused. Fix "
                    f"{self.ref.key}.order in the config, run `irp check {self.ref.key}` "
                    f"to resume, then `irp orders retry {order_id}`"
                ),
                "next_attempt_at": None,
            }
        lookup = self.order.lookup
        if lookup is not None:
            at = now + timedelta(seconds=lookup.delay_seconds)
            follow_up = f"it will be looked up at {at.isoformat(timespec='seconds')}"
        else:
            at = None
            follow_up = (
                f"check with {self.ref.name}, then `irp orders resolve {order_id}` with "
                "--external-ref REF, --resend --confirm-absent, or --cancel"
            )
        return S.UNCERTAIN, {
            "last_error": f"{verdict.reason}; {follow_up}",
            "next_attempt_at": None,
            "lookup_next_at": at,
            "lookup_not_found_count": 0,
            "resend_allowed": False,
        }

    def _lease_lost(
        self,
        conn: sa.Connection,
        order_id: str,
        verdict: Classification,
        values: Mapping[str, Any],
    ) -> None:
        """Our lease was taken (expired): only a definite "created" may still land."""
        if verdict.outcome is Outcome.SUBMITTED and transition(
            conn,
            order_id,
            [S.UNCERTAIN],
            S.SUBMITTED,
            values={**values, "lookup_next_at": None},
        ):
            log.warning(
                "order %s: lease expired during the request; the answer still landed", order_id
            )
            return
        log.warning(
            "order %s: the lease expired while sending; the answer (%s) is kept on the "
            "attempt, the order stays as the lease expiry left it",
            order_id,
            verdict.outcome,
        )


def _body_excerpt(sent: Sent, secrets: set[str]) -> str:
    if sent.response is None or not sent.response.content:
        return ""
    text = attempts.capped_body(sent.response.content, secrets)
    return text if len(text) <= BODY_IN_MESSAGE else text[:BODY_IN_MESSAGE] + "…"
