"""Submitting due orders to refurbishers: never lose one, never send one twice (SPEC §3).

The submission :class:`~irp.orders.engine.Work` of the delivery engine. Per due
``pending`` order:

1. **claim** it (:meth:`SubmitWork.claim_next`, one write transaction): render the
   payload — a template that cannot render fails the order, nothing is sent — then one
   compare-and-set ``pending -> submitting`` that sets the lease (``lease_until`` = the
   database's clock + ``order.lease_seconds``, ``lease_owner``), counts the attempt and
   requires the refurbisher not to be paused, and the attempt row with the payload.
   It is **committed before the request leaves**: a process killed while sending
   leaves a ``submitting`` order whose lease runs out (:mod:`irp.orders.leases`) and
   the payload it sent;
2. send it through the :class:`~irp.orders.sender.OrderSender` and classify the answer
   (:mod:`irp.orders.classify`, the only place that does);
3. record the answer on the attempt row and move the order in one transaction, with a
   compare-and-set conditioned on ``lease_owner``: a submitter whose lease was taken
   away changes nothing (except that a definite "created" still marks the order
   ``submitted`` when the lease expiry had made it ``uncertain``).

Per refurbisher, ``order.max_concurrency`` workers share one sender, spaced by
``order.rate_limit_per_second`` when set. Refurbishers are served one after the other.
"""

from __future__ import annotations

import json
import logging
import os
import random
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from irp.config import Config, OrderConfig, Refurbisher
from irp.errors import IrpError
from irp.orders import attempts, breaker
from irp.orders.classify import Classification, Outcome, classify_answer
from irp.orders.context import build_context
from irp.orders.engine import Claimed, Done, next_due, run_for_refurbisher
from irp.orders.moves import LEASE_OFF, mark_submitted, mark_uncertain
from irp.orders.results import SubmitResult, order_result
from irp.orders.sender import (
    Answer,
    HttpSender,
    RateLimiter,
    Request,
    SenderFactory,
)
from irp.orders.states import OrderStatus, transition
from irp.store.db import Database, database_now
from irp.store.tables import order_lines, orders
from irp.template.payload_json import encode_payload

__all__ = [
    "BACKOFF_BASE_SECONDS",
    "BACKOFF_CAP_SECONDS",
    "SubmitResult",
    "SubmitWork",
    "default_owner",
    "order_result",
    "retry_delay",
    "submit_due",
]

BACKOFF_BASE_SECONDS = 30.0  # first retry ~30 s later, doubling per attempt
BACKOFF_CAP_SECONDS = 3600.0  # never wait more than an hour between two attempts
BODY_IN_MESSAGE = 500  # characters of a refusal's body quoted in last_error

log = logging.getLogger(__name__)
S = OrderStatus


def default_owner() -> str:
    """A lease owner unique to this process and call: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def retry_delay(
    attempt: int, retry_after: float | None = None, rng: random.Random | None = None
) -> float:
    """Seconds before attempt ``attempt + 1``: exponential backoff with jitter.

    ``BACKOFF_BASE_SECONDS * 2**(attempt-1)`` capped at ``BACKOFF_CAP_SECONDS``, then
    scaled by a random factor in [0.5, 1) so a burst of failures does not come back
    as a burst; never less than the refurbisher's ``Retry-After`` (itself capped at a
    day by :func:`irp.orders.classify.parse_retry_after`).
    """
    base = min(BACKOFF_BASE_SECONDS * 2 ** min(max(attempt - 1, 0), 32), BACKOFF_CAP_SECONDS)
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
    open_sender: SenderFactory = HttpSender,
) -> list[SubmitResult]:
    """Send every due ``pending`` order (of ``refurbisher``, or of all) once.

    ``now`` decides what is due and schedules retries and lookups (default: the
    database's clock); leases always run on the database's clock. ``stop`` is checked
    before each claim. Returns one result per due order this run attempted or held
    back (paused refurbisher); orders another process claimed first are left out.
    """
    owner = owner or default_owner()
    results: list[SubmitResult] = []
    for ref in _refurbishers(config, refurbisher):
        results.extend(_submit(db, config, ref, owner, now, stop, open_sender))
    return results


def _refurbishers(config: Config, key: str | None) -> list[Refurbisher]:
    if key is not None:
        ref = config.refurbisher(key)
        return [ref] if ref.order is not None else []
    return [ref for ref in config.refurbishers.values() if ref.order is not None]


def _submit(
    db: Database,
    config: Config,
    ref: Refurbisher,
    owner: str,
    now: datetime | None,
    stop: threading.Event | None,
    open_sender: SenderFactory,
) -> list[SubmitResult]:
    assert ref.order is not None
    held = _held(db, ref, now)
    if held:  # paused before we began: report what waits, send nothing
        return held
    work = SubmitWork(config, ref, owner)
    rate = ref.order.rate_limit_per_second
    results = run_for_refurbisher(
        db, work, ref.order, open_sender,
        limiter=RateLimiter(rate) if rate else None, stop=stop, now=now,
    )  # fmt: skip
    if stop is not None and stop.is_set():
        return results
    return results + _held(db, ref, now)  # the breaker tripped during this run


def _due_condition(now: datetime | sa.ColumnElement[datetime]) -> sa.ColumnElement[bool]:
    return sa.and_(
        orders.c.status == str(S.PENDING),
        sa.or_(orders.c.next_attempt_at.is_(None), orders.c.next_attempt_at <= now),
    )


def _held(db: Database, ref: Refurbisher, now: datetime | None) -> list[SubmitResult]:
    """The due orders of a paused refurbisher, each with why it was not sent."""
    with db.begin() as conn:
        pause = breaker.paused(conn, ref.key)
        if pause is None:
            return []
        due = conn.execute(
            sa.select(orders.c.id)
            .where(orders.c.refurbisher == ref.key, _due_condition(now or database_now(conn)))
            .order_by(orders.c.next_attempt_at, orders.c.created_at, orders.c.id)
        ).scalars()
        message = (
            f"not sent: submissions to {ref.key} are paused ({pause[1]}); "
            f"fix the config, then `irp check {ref.key}` resumes them"
        )
        return [order_result(conn, order_id).with_error(message, paused=True) for order_id in due]


@dataclass(frozen=True)
class Sending:
    """What a claimed submission carries to its apply."""

    attempt_id: int
    attempt_no: int
    lease_until: datetime


class SubmitWork:
    """The submission work of one refurbisher (see the module docstring)."""

    name = "submit"

    def __init__(self, config: Config, ref: Refurbisher, owner: str) -> None:
        assert ref.order is not None
        self.config = config
        self.ref = ref
        self.order: OrderConfig = ref.order
        self.owner = owner
        self.lease = timedelta(seconds=self.order.lease)
        self.secrets = config.secret_values()

    # -- claim -----------------------------------------------------------------------

    def claim_next(
        self, conn: sa.Connection, now: datetime
    ) -> Claimed[Sending] | Done[SubmitResult] | None:
        """Render and claim the next due order, with its attempt row; or None."""
        claimed = self.claim_batch(conn, now, 1)
        return claimed[0] if claimed else None

    def claim_batch(
        self, conn: sa.Connection, now: datetime, limit: int
    ) -> list[Claimed[Sending] | Done[SubmitResult]]:
        """Render and claim up to ``limit`` due orders, oldest first, each on its own.

        The ids are selected ``FOR UPDATE SKIP LOCKED`` (PostgreSQL): another process
        claiming at the same moment gets other orders. Each order still moves by its
        own compare-and-set; one the breaker stopped meanwhile is left out.
        """
        claimable = self._claimable(now)
        order_ids = conn.execute(
            next_due(
                sa.select(orders.c.id)
                .where(claimable)
                .order_by(orders.c.next_attempt_at, orders.c.created_at, orders.c.id),
                limit,
            )
        ).scalars()
        claimed = []
        for order_id in list(order_ids):
            item = self._claim(conn, order_id, claimable)
            if item is not None:
                claimed.append(item)
        return claimed

    def _claimable(self, now: datetime) -> sa.ColumnElement[bool]:
        return sa.and_(
            orders.c.refurbisher == self.ref.key,
            _due_condition(now),
            breaker.not_paused(orders.c.refurbisher),
        )

    def _claim(
        self, conn: sa.Connection, order_id: str, claimable: sa.ColumnElement[bool]
    ) -> Claimed[Sending] | Done[SubmitResult] | None:
        row = conn.execute(sa.select(orders).where(orders.c.id == order_id)).mappings().one()
        lines = conn.execute(
            sa.select(order_lines)
            .where(order_lines.c.order_id == order_id)
            .order_by(order_lines.c.line_no)
        ).mappings()
        try:
            payload = self.order.template.render(
                build_context(dict(row), [dict(line) for line in lines])
            )
            body = encode_payload(payload)
        except IrpError as exc:
            return Done(self._fail_render(conn, order_id, str(exc)))
        except Exception as exc:  # a bug in rendering: this order is not sent, the run goes on
            log.exception("order %s: rendering its payload failed (a bug in IRP)", order_id)
            problem = f"{type(exc).__name__}: {exc} (a bug in IRP, logged with its traceback)"
            return Done(self._fail_render(conn, order_id, problem))
        db_now = database_now(conn)
        lease_until = db_now + self.lease
        claimed = transition(
            conn,
            order_id,
            [S.PENDING],
            S.SUBMITTING,
            values={
                "lease_until": lease_until,
                "lease_owner": self.owner,
                "attempts": orders.c.attempts + 1,
            },
            where=claimable,
        )
        if not claimed:  # the breaker tripped between the select and the update
            return None
        attempt_id = attempts.start_attempt(
            conn,
            order_id,
            kind="submit",
            started_at=db_now,
            method=self.order.method,
            url=self.order.endpoint,
            payload=attempts.redact(json.loads(body), self.secrets),
            config_hash=self.config.hash,
        )
        request = Request(self.order.method, self.order.endpoint, body)
        return Claimed(order_id, request, Sending(attempt_id, row["attempts"] + 1, lease_until))

    def _fail_render(self, conn: sa.Connection, order_id: str, problem: str) -> SubmitResult:
        message = (
            f"the payload cannot be rendered: {problem}; nothing was sent. Fix "
            f"{self.ref.key}.order.order_object/item_object (or the order), then "
            f"`irp orders retry {order_id}`"
        )
        transition(
            conn,
            order_id,
            [S.PENDING],
            S.FAILED,
            values={"last_error": message, "next_attempt_at": None},
        )
        attempt_id = attempts.start_attempt(
            conn,
            order_id,
            kind="submit",
            started_at=database_now(conn),
            method=self.order.method,
            url=self.order.endpoint,
            payload=None,
            config_hash=self.config.hash,
        )
        attempts.finish_attempt(
            conn, attempt_id, outcome="invalid_payload", duration_ms=0, error=message
        )
        return order_result(conn, order_id)

    # -- classify and apply ----------------------------------------------------------

    def classify(self, claimed: Claimed[Sending], answer: Answer, now: datetime) -> Classification:
        """What the refurbisher's answer means for the order."""
        return classify_answer(
            answer,
            asserts=self.order.asserts,
            fields=self.order.response_object.fields,
            resend_on=self.order.resend_on,
            now=now,
        )

    def apply(
        self,
        conn: sa.Connection,
        claimed: Claimed[Sending],
        answer: Answer,
        verdict: Classification,
        now: datetime,
    ) -> SubmitResult:
        """Record the answer and move the order, if this submitter still holds it."""
        order_id = claimed.item_id
        attempts.record_answer(
            conn,
            claimed.state.attempt_id,
            answer,
            outcome=str(verdict.outcome),
            error=None if verdict.outcome is Outcome.SUBMITTED else verdict.reason,
            secrets=self.secrets,
        )
        mine = orders.c.lease_owner == self.owner
        if not self._move(conn, claimed, answer, verdict, now, mine):
            self._lease_lost(conn, order_id, verdict, now)
        elif verdict.outcome is Outcome.MISCONFIGURED:
            breaker.pause_submissions(conn, self.ref.key, f"order {order_id}: {verdict.reason}")
        return order_result(conn, order_id)

    def abandoned(self, claimed: Claimed[Sending], error: Exception) -> SubmitResult:
        """A bug stopped this order after it was claimed: it keeps its lease."""
        until = claimed.state.lease_until.isoformat(timespec="seconds")
        return SubmitResult(
            order_id=claimed.item_id,
            refurbisher=self.ref.key,
            status=S.SUBMITTING,
            external_reference=None,
            attempts=claimed.state.attempt_no,
            error=(
                f"IRP failed while sending it ({type(error).__name__}: {error}); this is a "
                "bug in IRP, logged with its traceback. The refurbisher may have the order: "
                f"it stays submitting until its lease runs out at {until}, then it becomes "
                "uncertain and is looked up, never resent blindly"
            ),
            internal_error=True,
        )

    def _move(
        self,
        conn: sa.Connection,
        claimed: Claimed[Sending],
        answer: Answer,
        verdict: Classification,
        now: datetime,
        mine: sa.ColumnElement[bool],
    ) -> bool:
        order_id, attempt_no = claimed.item_id, claimed.state.attempt_no
        outcome = verdict.outcome
        if outcome is Outcome.SUBMITTED:
            reference = verdict.fields.get("externalOrderReference")
            return mark_submitted(
                conn, order_id, [S.SUBMITTING], reference=reference, now=now, where=mine
            )
        if outcome is Outcome.UNCERTAIN:
            return mark_uncertain(
                conn,
                order_id,
                [S.SUBMITTING],
                reason=verdict.reason,
                lookup=self.order.lookup,
                refurbisher_name=self.ref.name,
                now=now,
                where=mine,
            )
        to_status, values = self._settled(order_id, verdict, answer, attempt_no, now)
        return transition(
            conn, order_id, [S.SUBMITTING], to_status, values={**values, **LEASE_OFF}, where=mine
        )

    def _settled(
        self, order_id: str, verdict: Classification, answer: Answer, attempt_no: int, now: datetime
    ) -> tuple[OrderStatus, dict[str, Any]]:
        """The next state of a retried, rejected or misconfigured order."""
        if verdict.outcome is Outcome.RETRY:
            if attempt_no >= self.order.max_attempts:
                return S.FAILED, {
                    "last_error": (
                        f"gave up after {attempt_no} attempts (order.max_attempts); last: "
                        f"{verdict.reason}. `irp orders retry {order_id}` sends it again"
                    ),
                    "next_attempt_at": None,
                }
            due = now + timedelta(seconds=retry_delay(attempt_no, verdict.retry_after))
            return S.PENDING, {
                "last_error": (
                    f"attempt {attempt_no} of {self.order.max_attempts}: {verdict.reason}; "
                    f"next attempt at {due.isoformat(timespec='seconds')}"
                ),
                "next_attempt_at": due,
            }
        if verdict.outcome is Outcome.REJECTED:
            quoted = _body_excerpt(answer, self.secrets)
            return S.REJECTED, {
                "last_error": f"{verdict.reason}: {quoted}" if quoted else verdict.reason,
                "next_attempt_at": None,
            }
        return S.FAILED, {
            "last_error": (
                f"{verdict.reason}; submissions to {self.ref.key} are paused. Fix "
                f"{self.ref.key}.order in the config, run `irp check {self.ref.key}` "
                f"to resume, then `irp orders retry {order_id}`"
            ),
            "next_attempt_at": None,
        }

    def _lease_lost(
        self, conn: sa.Connection, order_id: str, verdict: Classification, now: datetime
    ) -> None:
        """Our lease was taken (expired): only a definite "created" may still land."""
        if verdict.outcome is Outcome.SUBMITTED and mark_submitted(
            conn,
            order_id,
            [S.UNCERTAIN],
            reference=verdict.fields.get("externalOrderReference"),
            now=now,
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


def _body_excerpt(answer: Answer, secrets: set[str]) -> str:
    if answer.response is None or not answer.response.content:
        return ""
    text = attempts.capped_body(answer.response.content, secrets)
    return text if len(text) <= BODY_IN_MESSAGE else text[:BODY_IN_MESSAGE] + "…"
