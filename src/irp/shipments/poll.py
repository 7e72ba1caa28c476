"""Shipment polling for refurbishers without webhooks (SPEC §4).

Where a refurbisher has ``shipment_poll``, each of its ``submitted`` orders — and its
``shipped`` ones, when ``status_map`` can say ``delivered`` — is asked about every
``interval_seconds`` with the order connector's client (auth, timeouts, no redirects:
:func:`irp.orders.sender.open_client`). The answer is read through the same ``fields``
as a webhook and stored the same way (:func:`irp.shipments.matching.store_shipment`),
so the order moves to ``shipped`` and ``delivered`` with its events.

A 404, or an answer without a tracking code, means "not shipped yet" — never an error
on the order. Whatever a poll finds is kept on its ``shipment_polls`` row (last time,
HTTP status, result, error) for the operator; the order itself only moves on a
shipment. Each order is claimed before it is asked (``next_at`` pushed a whole
interval ahead by compare-and-set), so two schedulers never ask twice and a crash
does not make IRP hammer the refurbisher.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from irp.config import Config, Refurbisher
from irp.config.shipments import ShipmentPoll
from irp.errors import ShipmentPayloadError
from irp.orders import attempts
from irp.orders.classify import classify_exception
from irp.orders.lookup import fill_placeholders
from irp.orders.sender import Sent, open_client, send
from irp.orders.states import OrderStatus
from irp.shipments.matching import store_shipment
from irp.shipments.parse import read_shipments
from irp.store.db import Database, database_now
from irp.store.tables import orders, shipment_polls

__all__ = ["PollResult", "poll_shipments"]

log = logging.getLogger(__name__)
S = OrderStatus
_BATCH = 200


@dataclass(frozen=True)
class PollResult:
    """One order asked: what the answer meant, and the order's state afterwards.

    ``outcome``: ``shipped`` / ``delivered`` (a shipment was stored), ``not_shipped``
    (404 or no tracking), ``unchanged`` (the same shipment again), ``refused``
    (401/403), ``failed`` (unreachable, 5xx, an unreadable answer).
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
) -> list[PollResult]:
    """Ask about every order whose poll is due; one result per order asked.

    ``now`` stands in for the database clock (tests, and the demo's "an interval later").
    """
    results: list[PollResult] = []
    for ref in config.refurbishers.values():
        if refurbisher is not None and ref.key != refurbisher:
            continue
        if ref.shipment_poll is None or ref.order is None:
            continue
        results.extend(_Poller(db, config, ref, now).run())
    return results


def polled_statuses(poll: ShipmentPoll) -> list[str]:
    """Which order states are polled: submitted, and shipped when delivery is mapped."""
    states = [str(S.SUBMITTED)]
    if "delivered" in poll.status_map.values() or poll.fields.delivered_at is not None:
        states.append(str(S.SHIPPED))
    return states


class _Poller:
    def __init__(
        self, db: Database, config: Config, ref: Refurbisher, now: datetime | None
    ) -> None:
        assert ref.shipment_poll is not None and ref.order is not None
        self.db = db
        self.ref = ref
        self.poll = ref.shipment_poll
        self.order = ref.order
        self.secrets = config.secret_values()
        self.interval = timedelta(seconds=self.poll.interval_seconds)
        self.client: httpx.Client | None = None
        self.fixed_now = now

    def now(self, conn: sa.Connection) -> datetime:
        return self.fixed_now or database_now(conn)

    def run(self) -> list[PollResult]:
        due = self._schedule_and_pick()
        if not due:
            return []
        with open_client(self.order) as client:
            self.client = client
            workers = min(self.order.max_concurrency, len(due))
            with ThreadPoolExecutor(workers, thread_name_prefix=f"poll-{self.ref.key}") as pool:
                found = list(pool.map(lambda item: self._ask(*item), due))
        return [result for result in found if result is not None]

    def _schedule_and_pick(self) -> list[tuple[str, datetime]]:
        """Give new orders a poll row (due now) and return the due ones."""
        states = polled_statuses(self.poll)
        with self.db.write_transaction() as conn:
            now = self.now(conn)
            missing = sa.select(orders.c.id, sa.literal(now), sa.literal(0)).where(
                orders.c.refurbisher == self.ref.key,
                orders.c.status.in_(states),
                ~sa.exists().where(shipment_polls.c.order_id == orders.c.id),
            )
            insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
            conn.execute(
                insert(shipment_polls)
                .from_select(["order_id", "next_at", "polls"], missing)
                .on_conflict_do_nothing()
            )
            rows = conn.execute(
                sa.select(shipment_polls.c.order_id, shipment_polls.c.next_at)
                .join(orders, orders.c.id == shipment_polls.c.order_id)
                .where(
                    orders.c.refurbisher == self.ref.key,
                    orders.c.status.in_(states),
                    shipment_polls.c.next_at <= now,
                )
                .order_by(shipment_polls.c.next_at, shipment_polls.c.order_id)
                .limit(_BATCH)
            ).all()
        return [(str(row.order_id), row.next_at) for row in rows]

    def _ask(self, order_id: str, due_at: datetime) -> PollResult | None:
        url = self._claim(order_id, due_at)
        if url is None:
            return None
        assert self.client is not None
        body = b"{}" if self.poll.method == "POST" else None
        sent = send(self.client, self.poll.method, url, body)
        return self._apply(order_id, sent)

    def _claim(self, order_id: str, due_at: datetime) -> str | None:
        """Push next_at a whole interval ahead if nobody else did; the URL to ask."""
        with self.db.write_transaction() as conn:
            now = self.now(conn)
            moved = conn.execute(
                sa.update(shipment_polls)
                .where(shipment_polls.c.order_id == order_id, shipment_polls.c.next_at == due_at)
                .values(next_at=now + self.interval)
            ).rowcount
            if moved != 1:
                return None
            context = self._context(conn, order_id)
        try:
            return fill_placeholders(self.poll.endpoint, context)
        except KeyError as exc:
            self._record(
                order_id,
                None,
                "failed",
                f"{self.ref.key}.shipment_poll.endpoint uses {{{exc.args[0]}}}, which order "
                f"{order_id} does not have; fix the endpoint",
            )
            return None

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

    def _apply(self, order_id: str, sent: Sent) -> PollResult:
        response = sent.response
        if response is None:
            assert sent.error is not None
            reason = classify_exception(sent.error, sent.progress).reason
            return self._record(order_id, None, "failed", f"could not ask: {reason}")
        status = response.status_code
        if status == 404:
            return self._record(order_id, status, "not_shipped", "404: not shipped yet")
        if status in (401, 403):
            return self._record(
                order_id,
                status,
                "refused",
                f"HTTP {status}: authentication refused; check {self.ref.key}.order.auth",
            )
        if not 200 <= status < 300:
            return self._record(order_id, status, "failed", f"HTTP {status}; asked again later")
        try:
            read = read_shipments(self.poll, json.loads(response.content), require_order=False)
        except (ValueError, ShipmentPayloadError) as exc:
            reason = str(exc) if isinstance(exc, ShipmentPayloadError) else "not JSON"
            return self._record(order_id, status, "failed", f"unreadable answer: {reason}")
        tracked = [facts for facts in read.shipments if facts.tracking_code]
        if not tracked:
            return self._record(order_id, status, "not_shipped", "no tracking code yet")
        raw = [attempts.redact(facts.raw, self.secrets) for facts in tracked]
        with self.db.write_transaction() as conn:
            stored = [
                store_shipment(
                    conn, self.ref.key, facts, source="poll", raw=item, order_id=order_id
                )
                for facts, item in zip(tracked, raw, strict=True)
            ]
        changed = any(s.changed for s in stored)
        delivered = any(facts.status == "delivered" for facts in tracked)
        outcome = ("delivered" if delivered else "shipped") if changed else "unchanged"
        codes = ", ".join(f"{f.carrier or 'carrier?'} {f.tracking_code}" for f in tracked)
        return self._record(order_id, status, outcome, f"{outcome}: {codes}")

    def _record(
        self, order_id: str, http_status: int | None, outcome: str, detail: str
    ) -> PollResult:
        with self.db.write_transaction() as conn:
            conn.execute(
                sa.update(shipment_polls)
                .where(shipment_polls.c.order_id == order_id)
                .values(
                    last_at=self.now(conn),
                    last_status=http_status,
                    last_result=outcome,
                    last_error=None if outcome not in ("failed", "refused") else detail,
                    polls=shipment_polls.c.polls + 1,
                )
            )
            status = conn.execute(
                sa.select(orders.c.status).where(orders.c.id == order_id)
            ).scalar_one()
        if outcome in ("failed", "refused"):
            log.warning("shipment poll of order %s (%s): %s", order_id, self.ref.key, detail)
        return PollResult(order_id, self.ref.key, outcome, str(status), http_status, detail)
