"""Shipment polling for refurbishers without webhooks (SPEC §4), on the delivery engine.

Where a refurbisher has ``shipment_poll``, each of its ``submitted`` orders — and its
``shipped`` ones, when ``status_map`` can say ``delivered`` — is asked about every
``interval_seconds``. Polling is one more kind of :class:`~irp.orders.engine.Work`
for :func:`irp.orders.engine.run_work`: claim the next due order, send one request
through the order connector's :class:`~irp.orders.sender.OrderSender` (its auth and
timeouts, no redirects), classify the answer (pure), apply it in one transaction. The
answer is read through the same ``fields`` as a webhook and stored the same way
(:func:`irp.shipments.matching.store_shipment`), so the order moves to ``shipped`` and
``delivered`` with its events.

A 404, or an answer without a tracking code, means "not shipped yet" — never an error
on the order. Whatever a poll finds is kept on its ``shipment_polls`` row (last time,
HTTP status, result, error); the order itself only moves on a shipment. The claim
moves ``next_at`` a whole interval ahead (compare-and-set; ``FOR UPDATE SKIP LOCKED``
on PostgreSQL), so two schedulers never ask twice and a crash never makes IRP hammer
the refurbisher.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from irp.config import Config, Refurbisher
from irp.config.shipments import ShipmentPoll
from irp.errors import OrderError, ShipmentPayloadError
from irp.orders import attempts
from irp.orders.classify import classify_exception
from irp.orders.engine import Claimed, Done, next_due, run_for_refurbisher
from irp.orders.lookup import fill_placeholders
from irp.orders.sender import Answer, HttpSender, Request, SenderFactory
from irp.orders.states import OrderStatus
from irp.shipments.matching import store_shipment
from irp.shipments.parse import ShipmentFacts, read_shipments
from irp.store.db import Database, database_now
from irp.store.tables import orders, shipment_polls

__all__ = ["PollResult", "PollWork", "poll_shipments", "polled_statuses"]

log = logging.getLogger(__name__)
S = OrderStatus


@dataclass(frozen=True)
class PollResult:
    """One order asked: what the answer meant, and the order's state afterwards.

    ``outcome``: ``shipped`` / ``delivered`` (a shipment was stored), ``not_shipped``
    (404 or no tracking), ``unchanged`` (the same shipment again), ``refused``
    (401/403), ``failed`` (unreachable, 5xx, an unreadable answer, a bug).
    """

    order_id: str
    refurbisher: str
    outcome: str
    status: str
    http_status: int | None
    detail: str


def poll_shipments(
    db: Database,
    config: Config,
    *,
    refurbisher: str | None = None,
    now: datetime | None = None,
    stop: threading.Event | None = None,
    open_sender: SenderFactory = HttpSender,
) -> list[PollResult]:
    """Ask about every order whose poll is due; one result per order asked.

    ``now`` stands in for the database clock (tests, and the demo's "an interval later").
    A poll calls the refurbisher's order API with its order auth, so it keeps the
    environments apart as the order pass does: a named refurbisher with an
    :attr:`~irp.config.Refurbisher.order_endpoint_refusal` is refused (OrderError), and
    without a name only :meth:`~irp.config.Config.for_sending`'s refurbishers are asked.
    """
    if refurbisher is not None:
        refusal = config.refurbisher(refurbisher).order_endpoint_refusal  # ConfigError if none
        if refusal:
            raise OrderError(f"{refurbisher}: no shipment poll is sent: {refusal}")
    results: list[PollResult] = []
    for ref in config.for_sending().refurbishers.values():
        if refurbisher is not None and ref.key != refurbisher:
            continue
        if ref.shipment_poll is None or ref.order is None:
            continue
        work = PollWork(config, ref)
        with db.write_transaction() as conn:
            work.schedule(conn, now or database_now(conn))
        results.extend(run_for_refurbisher(db, work, ref.order, open_sender, stop=stop, now=now))
    return results


def polled_statuses(poll: ShipmentPoll) -> list[str]:
    """Which order states are polled: submitted, and shipped when delivery is mapped."""
    states = [str(S.SUBMITTED)]
    if "delivered" in poll.status_map.values() or poll.fields.delivered_at is not None:
        states.append(str(S.SHIPPED))
    return states


@dataclass(frozen=True)
class Verdict:
    """What one answer means: the outcome, the shipments with tracking, and why."""

    outcome: str  # found | not_shipped | refused | failed
    detail: str
    shipments: list[ShipmentFacts] = field(default_factory=list)


class PollWork:
    """The shipment polls of one refurbisher, as delivery-engine work."""

    name = "shipment-poll"

    def __init__(self, config: Config, ref: Refurbisher) -> None:
        assert ref.shipment_poll is not None and ref.order is not None
        self.ref = ref
        self.poll = ref.shipment_poll
        self.secrets = config.secret_values()
        self.interval = timedelta(seconds=self.poll.interval_seconds)
        self.states = polled_statuses(self.poll)

    def schedule(self, conn: sa.Connection, now: datetime) -> None:
        """Give every polled order without a poll row one, due now."""
        missing = sa.select(orders.c.id, sa.literal(now), sa.literal(0)).where(
            orders.c.refurbisher == self.ref.key,
            orders.c.status.in_(self.states),
            ~sa.exists().where(shipment_polls.c.order_id == orders.c.id),
        )
        insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        conn.execute(
            insert(shipment_polls)
            .from_select(["order_id", "next_at", "polls"], missing)
            .on_conflict_do_nothing()
        )

    def claim_next(
        self, conn: sa.Connection, now: datetime
    ) -> Claimed[None] | Done[PollResult] | None:
        """The next due order, its next poll moved an interval ahead; None: none due."""
        due = conn.execute(
            next_due(
                sa.select(shipment_polls.c.order_id)
                .join(orders, orders.c.id == shipment_polls.c.order_id)
                .where(
                    orders.c.refurbisher == self.ref.key,
                    orders.c.status.in_(self.states),
                    shipment_polls.c.next_at <= now,
                )
                .order_by(shipment_polls.c.next_at, shipment_polls.c.order_id)
            )
        ).scalar()
        if due is None:
            return None
        order_id = str(due)
        conn.execute(
            sa.update(shipment_polls)
            .where(shipment_polls.c.order_id == order_id)
            .values(next_at=now + self.interval)
        )
        try:
            url = fill_placeholders(self.poll.endpoint, self._context(conn, order_id))
        except KeyError as exc:
            detail = (
                f"{self.ref.key}.shipment_poll.endpoint uses {{{exc.args[0]}}}, which order "
                f"{order_id} does not have; fix the endpoint"
            )
            return Done(self._record(conn, order_id, now, None, "failed", detail))
        body = b"{}" if self.poll.method == "POST" else None
        return Claimed(order_id, Request(self.poll.method, url, body), None)

    def classify(self, claimed: Claimed[None], answer: Answer, now: datetime) -> Verdict:
        """404 or no tracking: not shipped yet; 401/403: refused; a shipment: found."""
        response = answer.response
        if response is None:
            failure = classify_exception(answer.failure(), request_sent=answer.request_sent)
            return Verdict("failed", f"could not ask: {failure.reason}")
        status = response.status_code
        if status == 404:
            return Verdict("not_shipped", "404: not shipped yet")
        if status in (401, 403):
            return Verdict(
                "refused",
                f"HTTP {status}: authentication refused; check {self.ref.key}.order.auth",
            )
        if not 200 <= status < 300:
            return Verdict("failed", f"HTTP {status}; asked again later")
        try:
            read = read_shipments(self.poll, json.loads(response.content), require_order=False)
        except (ValueError, ShipmentPayloadError) as exc:
            reason = str(exc) if isinstance(exc, ShipmentPayloadError) else "not JSON"
            return Verdict("failed", f"unreadable answer: {reason}")
        tracked = [facts for facts in read.shipments if facts.tracking_code]
        if not tracked:
            return Verdict("not_shipped", "no tracking code yet")
        codes = ", ".join(f"{f.carrier or 'carrier?'} {f.tracking_code}" for f in tracked)
        return Verdict("found", codes, tracked)

    def apply(
        self,
        conn: sa.Connection,
        claimed: Claimed[None],
        answer: Answer,
        verdict: Verdict,
        now: datetime,
    ) -> PollResult:
        """Store what was found and record the poll, in one transaction."""
        status = answer.response.status_code if answer.response is not None else None
        outcome, detail = verdict.outcome, verdict.detail
        if verdict.outcome == "found":
            stored = [
                store_shipment(
                    conn,
                    self.ref.key,
                    facts,
                    source="poll",
                    raw=attempts.redact(facts.raw, self.secrets),
                    order_id=claimed.item_id,
                )
                for facts in verdict.shipments
            ]
            delivered = any(facts.status == "delivered" for facts in verdict.shipments)
            outcome = "delivered" if delivered else "shipped"
            if not any(s.changed for s in stored):
                outcome = "unchanged"
            detail = f"{outcome}: {verdict.detail}"
        return self._record(conn, claimed.item_id, now, status, outcome, detail)

    def abandoned(self, claimed: Claimed[None], error: Exception) -> PollResult:
        """A bug stopped this poll: the order is asked again next interval."""
        detail = (
            f"the poll failed inside IRP ({type(error).__name__}: {error}); this is a bug in "
            "IRP, logged with its traceback. It is asked again next interval"
        )
        return PollResult(claimed.item_id, self.ref.key, "failed", "?", None, detail)

    def _context(self, conn: sa.Connection, order_id: str) -> dict[str, Any]:
        row = conn.execute(sa.select(orders).where(orders.c.id == order_id)).mappings().one()
        sent = attempts.last_submitted_payload(conn, order_id)
        context: dict[str, Any] = dict(sent) if isinstance(sent, dict) else {}
        context |= {
            "id": row["id"],
            "order_number": row["order_number"],
            "external_reference": row["external_reference"],
        }
        return context

    def _record(
        self,
        conn: sa.Connection,
        order_id: str,
        now: datetime,
        http_status: int | None,
        outcome: str,
        detail: str,
    ) -> PollResult:
        problem = outcome in ("failed", "refused")
        conn.execute(
            sa.update(shipment_polls)
            .where(shipment_polls.c.order_id == order_id)
            .values(
                last_at=now,
                last_status=http_status,
                last_result=outcome,
                last_error=detail if problem else None,
                polls=shipment_polls.c.polls + 1,
            )
        )
        status = conn.execute(sa.select(orders.c.status).where(orders.c.id == order_id)).scalar()
        if problem:
            log.warning("shipment poll of order %s (%s): %s", order_id, self.ref.key, detail)
        return PollResult(order_id, self.ref.key, outcome, str(status), http_status, detail)
