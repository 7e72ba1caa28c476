"""Lookup before resend: ask the refurbisher about ``uncertain`` orders (SPEC §3).

An uncertain order of a refurbisher with ``order.lookup`` is looked up once its
``lookup_next_at`` has come (``delay_seconds`` after it became uncertain):

- **found** (``lookup.found`` asserts pass): its reference is stored -> ``submitted``;
- **not found** (``lookup.not_found`` asserts pass): counted; the next lookup is
  ``delay_seconds`` later, and after ``not_found_confirmations`` not-founds that far
  apart the order is due again (``pending``) — the only automatic resend of an
  uncertain order. One not-found already allows an operator's ``resolve --resend``;
- **could not ask** (never connected, 429, 503): asked again ``delay_seconds`` later;
- **anything else**: it stays ``uncertain`` for an operator, no more automatic lookups.

``{name}`` placeholders in ``lookup.endpoint`` are dotted paths into the payload that
was sent (the order's latest submit attempt). Every lookup is an attempt row with kind
``lookup``. It is the lookup :class:`~irp.orders.engine.Work` of the delivery engine:
two processes never count one not-found twice, because a lookup first claims the order
by a compare-and-set (``uncertain -> uncertain``) on its ``version`` that pushes
``lookup_next_at`` forward by ``order.lease_seconds`` (a lease), and applies the answer
only if the version is still the one it claimed.

An uncertain order of a refurbisher that had no ``lookup`` when it became uncertain is
looked up as soon as the config gains one (:func:`irp.orders.moves.mark_uncertain`).
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa

from irp.config import Config, LookupConfig, OrderConfig, Refurbisher
from irp.errors import IrpError
from irp.orders import attempts, breaker
from irp.orders.classify import LookupClassification, LookupOutcome, classify_lookup
from irp.orders.context import build_context
from irp.orders.engine import Claimed, Done, next_due, run_for_refurbisher
from irp.orders.moves import mark_submitted
from irp.orders.results import SubmitResult, order_result
from irp.orders.sender import Answer, HttpSender, Request, SenderFactory
from irp.orders.states import OrderStatus, transition
from irp.store.db import Database, database_now
from irp.store.tables import order_lines, orders
from irp.template.paths import MISSING, resolve_path
from irp.template.payload_json import encode_payload

__all__ = ["LookupWork", "fill_placeholders", "run_due_lookups"]

PLACEHOLDER = re.compile(r"\{([^{}]+)\}")

log = logging.getLogger(__name__)
S = OrderStatus


def fill_placeholders(endpoint: str, payload: object) -> str:
    """``endpoint`` with each ``{dotted.path}`` replaced by that payload value, URL-quoted.

    >>> fill_placeholders("https://x/order/{externalDocumentNumber}/status",
    ...                   {"externalDocumentNumber": "50 01"})
    'https://x/order/50%2001/status'

    Raises KeyError naming a path the payload does not have.
    """

    def value(match: re.Match[str]) -> str:
        found = resolve_path(payload, match.group(1).strip().split("."))
        if found is MISSING or found is None or isinstance(found, dict | list):
            raise KeyError(match.group(1))
        text = found if isinstance(found, str) else encode_payload(found).decode()
        return quote(text, safe="")

    return PLACEHOLDER.sub(value, endpoint)


def run_due_lookups(
    db: Database,
    config: Config,
    *,
    refurbisher: str | None = None,
    now: datetime | None = None,
    stop: threading.Event | None = None,
    open_sender: SenderFactory = HttpSender,
) -> list[SubmitResult]:
    """Look up every uncertain order whose lookup is due; one result per order asked."""
    results: list[SubmitResult] = []
    for ref in config.refurbishers.values():
        if refurbisher is not None and ref.key != refurbisher:
            continue
        if ref.order is None or ref.order.lookup is None:
            continue
        work = LookupWork(config, ref)
        results.extend(run_for_refurbisher(db, work, ref.order, open_sender, stop=stop, now=now))
    return results


@dataclass(frozen=True)
class Asking:
    """What a claimed lookup carries to its apply."""

    version: int  # the order's version after the claim: the answer lands only on it
    attempt_id: int


class LookupWork:
    """The lookup work of one refurbisher (see the module docstring)."""

    name = "lookup"

    def __init__(self, config: Config, ref: Refurbisher) -> None:
        assert ref.order is not None and ref.order.lookup is not None
        self.config = config
        self.ref = ref
        self.order: OrderConfig = ref.order
        self.lookup: LookupConfig = ref.order.lookup
        self.lease = timedelta(seconds=self.order.lease)
        self.secrets = config.secret_values()

    def claim_next(
        self, conn: sa.Connection, now: datetime
    ) -> Claimed[Asking] | Done[SubmitResult] | None:
        """Claim the next due lookup (push ``lookup_next_at`` past the request); or None."""
        row = conn.execute(
            next_due(
                sa.select(orders.c.id, orders.c.version)
                .where(
                    orders.c.refurbisher == self.ref.key,
                    orders.c.status == str(S.UNCERTAIN),
                    orders.c.lookup_next_at <= now,
                    breaker.not_paused(orders.c.refurbisher),  # its credentials are wrong
                )
                .order_by(orders.c.lookup_next_at, orders.c.id)
            )
        ).first()
        if row is None:
            return None
        order_id, version = row
        if not self._stay(conn, order_id, version, {"lookup_next_at": now + self.lease}):
            return None
        version += 1
        attempts.close_unfinished(
            conn,
            order_id,
            kind="lookup",
            outcome="abandoned",
            error="the process stopped before the answer came; asked again",
        )
        payload = attempts.last_submitted_payload(conn, order_id)
        if payload is None:
            payload = self._render(conn, order_id)
        try:
            url = fill_placeholders(self.lookup.endpoint, payload)
        except KeyError as exc:
            return Done(self._unusable(conn, order_id, version, str(exc.args[0])))
        attempt_id = attempts.start_attempt(
            conn,
            order_id,
            kind="lookup",
            started_at=database_now(conn),
            method=self.lookup.method,
            url=url,
            payload=None,
            config_hash=self.config.hash,
        )
        body = encode_payload(payload) if self.lookup.method == "POST" else None
        request = Request(self.lookup.method, url, body)
        return Claimed(order_id, request, Asking(version, attempt_id))

    def _render(self, conn: sa.Connection, order_id: str) -> Any:
        """The payload as it would be sent now (same content -> the same payload)."""
        row = conn.execute(sa.select(orders).where(orders.c.id == order_id)).mappings().one()
        lines = conn.execute(
            sa.select(order_lines).where(order_lines.c.order_id == order_id)
        ).mappings()
        try:
            return self.order.template.render(
                build_context(dict(row), [dict(line) for line in lines])
            )
        except IrpError:
            return {}

    def _unusable(
        self, conn: sa.Connection, order_id: str, version: int, missing: str
    ) -> SubmitResult:
        message = (
            f"cannot look it up: {self.ref.key}.order.lookup.endpoint uses {{{missing}}}, "
            "which the sent payload does not have; fix the endpoint, or check with "
            f"{self.ref.name} and `irp orders resolve {order_id}`"
        )
        self._stay(conn, order_id, version, {"lookup_next_at": None, "last_error": message})
        return order_result(conn, order_id)

    def _stay(
        self, conn: sa.Connection, order_id: str, version: int, values: dict[str, Any]
    ) -> bool:
        """``uncertain -> uncertain`` with ``values``, if it is still the version we saw."""
        return transition(
            conn,
            order_id,
            [S.UNCERTAIN],
            S.UNCERTAIN,
            values=values,
            where=orders.c.version == version,
        )

    def classify(
        self, claimed: Claimed[Asking], answer: Answer, now: datetime
    ) -> LookupClassification:
        """What the refurbisher's answer to the lookup means."""
        return classify_lookup(
            answer,
            found=self.lookup.found_asserts,
            found_fields=self.lookup.found.fields,
            not_found=self.lookup.not_found_asserts,
            now=now,
        )

    def apply(
        self,
        conn: sa.Connection,
        claimed: Claimed[Asking],
        answer: Answer,
        verdict: LookupClassification,
        now: datetime,
    ) -> SubmitResult:
        """Record the lookup's answer and act on it, if the order is still as claimed."""
        attempts.record_answer(
            conn,
            claimed.state.attempt_id,
            answer,
            outcome=str(verdict.outcome),
            error=None if verdict.outcome is LookupOutcome.FOUND else verdict.reason,
            secrets=self.secrets,
        )
        self._act(conn, claimed.item_id, claimed.state.version, verdict, now)
        return order_result(conn, claimed.item_id)

    def abandoned(self, claimed: Claimed[Asking], error: Exception) -> SubmitResult:
        """A bug stopped this lookup: the order stays uncertain and is asked again later."""
        return SubmitResult(
            order_id=claimed.item_id,
            refurbisher=self.ref.key,
            status=S.UNCERTAIN,
            external_reference=None,
            attempts=0,
            error=(
                f"the lookup failed inside IRP ({type(error).__name__}: {error}); this is a "
                "bug in IRP, logged with its traceback. The order stays uncertain and is "
                f"looked up again after {self.order.lease:g} s"
            ),
            internal_error=True,
        )

    def _act(
        self,
        conn: sa.Connection,
        order_id: str,
        version: int,
        verdict: LookupClassification,
        now: datetime,
    ) -> None:
        same = orders.c.version == version
        name = self.ref.name
        if verdict.outcome is LookupOutcome.FOUND:
            reference = verdict.fields.get("externalOrderReference")
            mark_submitted(conn, order_id, [S.UNCERTAIN], reference=reference, now=now, where=same)
            return
        if verdict.outcome is LookupOutcome.NOT_FOUND:
            self._not_found(conn, order_id, version, now)
            return
        if verdict.outcome is LookupOutcome.RETRY:
            wait = max(self.lookup.delay_seconds, verdict.retry_after or 0.0)
            at = now + timedelta(seconds=wait)
            message = (
                f"lookup could not ask: {verdict.reason}; next lookup at "
                f"{at.isoformat(timespec='seconds')}"
            )
            self._stay(conn, order_id, version, {"lookup_next_at": at, "last_error": message})
            return
        message = (
            f"the lookup could not tell whether {name} has it: {verdict.reason}. Check with "
            f"{name}, then `irp orders resolve {order_id}` with --external-ref REF, --resend, "
            "or --cancel"
        )
        self._stay(conn, order_id, version, {"lookup_next_at": None, "last_error": message})

    def _not_found(self, conn: sa.Connection, order_id: str, version: int, now: datetime) -> None:
        count = (
            1
            + conn.execute(
                sa.select(orders.c.lookup_not_found_count).where(orders.c.id == order_id)
            ).scalar_one()
        )
        needed = self.lookup.not_found_confirmations
        if count >= needed:
            transition(
                conn,
                order_id,
                [S.UNCERTAIN],
                S.PENDING,
                values={
                    "next_attempt_at": now,
                    "lookup_next_at": None,
                    "lookup_not_found_count": count,
                    "resend_allowed": True,
                    "last_error": (
                        f"{self.ref.name} reported no such order {count} times, "
                        f"{self.lookup.delay_seconds:g} s apart; it is sent again"
                    ),
                },
                where=orders.c.version == version,
            )
            return
        at = now + timedelta(seconds=self.lookup.delay_seconds)
        self._stay(
            conn,
            order_id,
            version,
            {
                "lookup_not_found_count": count,
                "lookup_next_at": at,
                "resend_allowed": True,
                "last_error": (
                    f"lookup: not found ({count} of {needed} needed before it is sent "
                    f"again); next lookup at {at.isoformat(timespec='seconds')}"
                ),
            },
        )
