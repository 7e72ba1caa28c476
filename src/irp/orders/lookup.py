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
``lookup``. Two processes never count one not-found twice: a lookup first claims the
order by a compare-and-set on its ``version`` that pushes ``lookup_next_at`` forward
(a lease), and applies the answer only if the version is still the one it claimed.
"""

from __future__ import annotations

import logging
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import sqlalchemy as sa

from irp.config import Config, LookupConfig, OrderConfig, Refurbisher
from irp.errors import IrpError
from irp.orders import attempts, breaker
from irp.orders.classify import LookupClassification, LookupOutcome, classify_lookup
from irp.orders.context import build_context
from irp.orders.sender import open_client, send
from irp.orders.states import OrderStatus, transition
from irp.orders.submit import SubmitResult, order_result
from irp.store.db import Database, database_now
from irp.store.tables import order_lines, orders
from irp.template.paths import MISSING, resolve_path
from irp.template.payload_json import encode_payload

__all__ = ["fill_placeholders", "run_due_lookups"]

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
) -> list[SubmitResult]:
    """Look up every uncertain order whose lookup is due; one result per order asked."""
    results: list[SubmitResult] = []
    for ref in config.refurbishers.values():
        if refurbisher is not None and ref.key != refurbisher:
            continue
        if ref.order is None or ref.order.lookup is None:
            continue
        results.extend(_Lookups(db, config, ref, now).run())
    return results


class _Lookups:
    """One run over one refurbisher's due lookups."""

    def __init__(self, db: Database, config: Config, ref: Refurbisher, now: datetime | None):
        assert ref.order is not None and ref.order.lookup is not None
        self.db = db
        self.config = config
        self.ref = ref
        self.order: OrderConfig = ref.order
        self.lookup: LookupConfig = ref.order.lookup
        self.fixed_now = now
        self.secrets = config.secret_values()
        self.client: httpx.Client | None = None

    def now(self, conn: sa.Connection) -> datetime:
        return self.fixed_now or database_now(conn)

    def run(self) -> list[SubmitResult]:
        with self.db.begin() as conn:
            if breaker.paused(conn, self.ref.key) is not None:
                return []  # its credentials or URL are known to be wrong
            now = self.now(conn)
            due = conn.execute(
                sa.select(orders.c.id, orders.c.version)
                .where(
                    orders.c.refurbisher == self.ref.key,
                    orders.c.status == str(S.UNCERTAIN),
                    orders.c.lookup_next_at <= now,
                )
                .order_by(orders.c.lookup_next_at, orders.c.id)
            ).all()
        if not due:
            return []
        with open_client(self.order) as client:
            self.client = client
            workers = min(self.order.max_concurrency, len(due))
            with ThreadPoolExecutor(workers, thread_name_prefix=f"lookup-{self.ref.key}") as pool:
                outcomes = list(pool.map(lambda row: self.look_up(row[0], row[1]), due))
        return [result for result in outcomes if result is not None]

    def look_up(self, order_id: str, version: int) -> SubmitResult | None:
        claimed = self._claim(order_id, version)
        if claimed is None:
            return None
        claimed_version, url, payload = claimed
        if url is None:
            return self._unusable(order_id, claimed_version, payload)
        with self.db.write_transaction() as conn:
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
        assert self.client is not None
        body = encode_payload(payload) if self.lookup.method == "POST" else None
        sent = send(self.client, self.lookup.method, url, body)
        with self.db.write_transaction() as conn:
            now = self.now(conn)
            verdict = classify_lookup(
                sent.response,
                sent.error,
                sent.progress,
                found=self.lookup.found_asserts,
                found_fields=self.lookup.found.fields,
                not_found=self.lookup.not_found_asserts,
                now=now,
            )
            attempts.record_answer(
                conn,
                attempt_id,
                sent,
                outcome=str(verdict.outcome),
                error=None if verdict.outcome is LookupOutcome.FOUND else verdict.reason,
                secrets=self.secrets,
            )
            self._apply(conn, order_id, claimed_version, verdict, now)
            return order_result(conn, order_id)

    def _claim(self, order_id: str, version: int) -> tuple[int, str | None, Any] | None:
        """Push lookup_next_at past the request (a lease) if nobody moved the order."""
        lease = timedelta(seconds=float(self.order.lease_seconds or 0.0))
        with self.db.write_transaction() as conn:
            db_now = database_now(conn)
            claimed = conn.execute(
                sa.update(orders)
                .where(
                    orders.c.id == order_id,
                    orders.c.status == str(S.UNCERTAIN),
                    orders.c.version == version,
                )
                .values(lookup_next_at=db_now + lease, version=orders.c.version + 1)
            ).rowcount
            if claimed != 1:
                return None
            payload = attempts.last_submitted_payload(conn, order_id)
            if payload is None:
                payload = self._render(conn, order_id)
        try:
            url = fill_placeholders(self.lookup.endpoint, payload)
        except KeyError as exc:
            return version + 1, None, str(exc.args[0])
        return version + 1, url, payload

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

    def _unusable(self, order_id: str, version: int, missing: str) -> SubmitResult:
        message = (
            f"cannot look it up: {self.ref.key}.order.lookup.endpoint uses {{{missing}}}, "
            "which the sent payload does not have; fix the endpoint, or check with "
            f"{self.ref.name} and `irp orders resolve {order_id}`"
        )
        with self.db.write_transaction() as conn:
            self._stay(conn, order_id, version, {"lookup_next_at": None, "last_error": message})
            return order_result(conn, order_id)

    def _stay(
        self, conn: sa.Connection, order_id: str, version: int, values: dict[str, Any]
    ) -> bool:
        """Update an order that stays uncertain, if it is still the version we claimed."""
        return (
            conn.execute(
                sa.update(orders)
                .where(
                    orders.c.id == order_id,
                    orders.c.status == str(S.UNCERTAIN),
                    orders.c.version == version,
                )
                .values(version=orders.c.version + 1, updated_at=database_now(conn), **values)
            ).rowcount
            == 1
        )

    def _apply(
        self,
        conn: sa.Connection,
        order_id: str,
        version: int,
        verdict: LookupClassification,
        now: datetime,
    ) -> None:
        same = orders.c.version == version
        delay = timedelta(seconds=self.lookup.delay_seconds)
        if verdict.outcome is LookupOutcome.FOUND:
            reference = verdict.fields.get("externalOrderReference")
            transition(
                conn,
                order_id,
                [S.UNCERTAIN],
                S.SUBMITTED,
                values={
                    "external_reference": None if reference is None else str(reference),
                    "submitted_at": now,
                    "last_error": None,
                    "lookup_next_at": None,
                },
                where=same,
            )
            return
        if verdict.outcome is LookupOutcome.NOT_FOUND:
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
                    where=same,
                )
                return
            at = now + delay
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
            return
        if verdict.outcome is LookupOutcome.RETRY:
            wait = max(self.lookup.delay_seconds, verdict.retry_after or 0.0)
            at = now + timedelta(seconds=wait)
            self._stay(
                conn,
                order_id,
                version,
                {
                    "lookup_next_at": at,
                    "last_error": (
                        f"lookup could not ask: {verdict.reason}; next lookup at "
                        f"{at.isoformat(timespec='seconds')}"
                    ),
                },
            )
            return
        self._stay(
            conn,
            order_id,
            version,
            {
                "lookup_next_at": None,
                "last_error": (
                    f"the lookup could not tell whether {self.ref.name} has it: "
                    f"{verdict.reason}. Check with {self.ref.name}, then "
                    f"`irp orders resolve {order_id}` with --external-ref REF, --resend, "
                    "or --cancel"
                ),
            },
        )
