"""The Odoo job: book every accepted order as a purchase order, exactly once (SPEC §9).

:func:`push_due` is what the scheduler's sweep, ``irp odoo sync`` and the demo call.
It runs apart from submission — it only reads orders that already reached
``submitted`` — so Odoo being down never delays an order to its refurbisher; the PO
follows when Odoo is back.

Per due order: claim it (:mod:`irp.odoo.store`), search Odoo for its PO, else check
every product and create it, confirm, and store the PO's id and name on the order.
A failure is kept on the order (``odoo_error``) and retried with exponential backoff
(30 s doubling, capped at an hour) — for ever: finance needs every order in the end.
A failure that is not the order's own (Odoo unreachable, key refused, missing right:
:class:`~irp.odoo.errors.OdooUnavailableError`) stops the pass, so a dead Odoo costs
one request per sweep instead of one per order; the orders not tried are reported
``skipped`` and stay due.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from irp.config import Config
from irp.config.odoo import OdooConfig
from irp.odoo import booking, store
from irp.odoo.client import OdooClient, open_client
from irp.odoo.errors import OdooDataError, OdooError, OdooUnavailableError
from irp.odoo.purchase import OrderToBook
from irp.store.db import Database, database_now
from irp.template.payload_json import encode_payload

__all__ = ["BACKOFF_BASE_SECONDS", "BACKOFF_CAP_SECONDS", "PushOutcome", "PushResult", "push_due"]

BACKOFF_BASE_SECONDS = 30.0
BACKOFF_CAP_SECONDS = 3600.0
CALLS_PER_PUSH = 8  # search, products, country, partner search/create, create, confirm, read

log = logging.getLogger("irp.odoo")


class PushOutcome(StrEnum):
    """What one push did for one order."""

    CREATED = "created"  # a new purchase order was created (and confirmed)
    LINKED = "linked"  # Odoo already had it (origin + vendor): linked, not duplicated
    FAILED = "failed"  # not booked this time: odoo_error says why, retried at next_at
    SKIPPED = "skipped"  # not tried: Odoo was unavailable for an earlier order


@dataclass(frozen=True)
class PushResult:
    """One order after a push (``irp odoo sync --json``)."""

    order_id: str
    refurbisher: str
    outcome: PushOutcome
    po_id: int | None = None
    po_name: str | None = None
    attempts: int = 0
    error: str | None = None
    next_at: datetime | None = None

    @property
    def booked(self) -> bool:
        return self.outcome in (PushOutcome.CREATED, PushOutcome.LINKED)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.order_id,
            "refurbisher": self.refurbisher,
            "outcome": str(self.outcome),
            "po_id": self.po_id,
            "po_name": self.po_name,
            "attempts": self.attempts,
            "error": self.error,
            "next_at": self.next_at,
        }


def backoff_seconds(attempt: int) -> float:
    """Seconds before the next try after failed try number ``attempt`` (1, 2, ...)."""
    return float(min(BACKOFF_BASE_SECONDS * 2.0 ** max(attempt - 1, 0), BACKOFF_CAP_SECONDS))


def push_due(
    db: Database,
    config: Config,
    refurbisher: str | None = None,
    *,
    now: datetime | None = None,
    retry: bool = False,
    limit: int = 500,
) -> list[PushResult]:
    """Book every due order (of ``refurbisher``, or of all) in Odoo; one result each.

    ``now`` decides what is due and schedules retries (default: the database's clock);
    ``retry`` also takes orders waiting out a backoff; at most ``limit`` orders, the
    longest waiting first (the rest stay due for the next pass). Nothing to do without
    ``platform.odoo``. Orders another process holds are left out.
    """
    settings = config.platform.odoo
    if refurbisher is not None:
        config.refurbisher(refurbisher)  # a ConfigError naming the known ones
    if settings is None:
        return []
    keys = [refurbisher] if refurbisher is not None else sorted(config.refurbishers)
    with db.connect() as conn:
        due = store.due_orders(conn, keys, now or database_now(conn), retry=retry, limit=limit)
    if not due:
        return []
    results: list[PushResult] = []
    with open_client(settings) as client:
        pusher = _Pusher(db, config, settings, client, now)
        for index, item in enumerate(due):
            result = pusher.push(item)
            if result is None:
                continue
            results.append(result)
            if pusher.unavailable is not None:
                results.extend(_skipped(due[index + 1 :], result.order_id))
                break
    return results


class _Pusher:
    """Pushes orders one by one on one client; remembers when Odoo became unavailable."""

    def __init__(
        self,
        db: Database,
        config: Config,
        settings: OdooConfig,
        client: OdooClient,
        now: datetime | None,
    ) -> None:
        self.db = db
        self.config = config
        self.settings = settings
        self.client = client
        self.fixed_now = now
        self.secrets = config.secret_values()
        self.unavailable: OdooUnavailableError | None = None
        per_call = settings.connect_timeout + settings.read_timeout
        self.lease = timedelta(seconds=CALLS_PER_PUSH * per_call + 60)

    def push(self, due: store.DueOrder) -> PushResult | None:
        claimed = self._claim(due)
        if claimed is None:
            return None
        attempt_id, order = claimed
        started = time.monotonic()
        request: str | None = None
        try:
            vendor_id = self._vendor_id(order)
            confirm = self.settings.confirm
            found = booking.find_purchase_order(self.client, order, vendor_id, confirm=confirm)
            if found is None:
                values = booking.prepare_purchase_order(
                    self.client, order, vendor_id, self.settings
                )
                request = encode_payload(values).decode("utf-8")
                found = booking.create_purchase_order(self.client, values, confirm=confirm)
        except OdooError as exc:
            if isinstance(exc, OdooUnavailableError):
                self.unavailable = exc
            return self._failed(due, attempt_id, order, exc, request, started)
        return self._booked(due, attempt_id, found, request, started)

    def _claim(self, due: store.DueOrder) -> tuple[int, OrderToBook] | None:
        with self.db.write_transaction() as conn:
            db_now = database_now(conn)
            if not store.claim(conn, due, db_now, db_now + self.lease):
                return None
            url = self.client.endpoint(booking.PURCHASE_ORDER, "create")
            attempt_id = store.start_attempt(
                conn, due.order_id, started_at=db_now, url=url, config_hash=self.config.hash
            )
            return attempt_id, store.load_order(conn, due.order_id)

    def _vendor_id(self, order: OrderToBook) -> int:
        refurbisher = self.config.refurbisher(order.refurbisher)
        vendor_id = refurbisher.settings.odoo_vendor_id
        if vendor_id is None:
            raise OdooDataError(
                f"{order.refurbisher}.settings.odoo_vendor_id is not set: set it to the "
                "refurbisher's partner id (res.partner) in Odoo"
            )
        return vendor_id

    def _booked(
        self,
        due: store.DueOrder,
        attempt_id: int,
        found: booking.Booking,
        request: str | None,
        started: float,
    ) -> PushResult:
        outcome = PushOutcome.CREATED if found.created else PushOutcome.LINKED
        with self.db.write_transaction() as conn:
            now = database_now(conn)
            store.record_booked(conn, due.order_id, found.po_id, found.po_name, now)
            store.finish_attempt(
                conn,
                attempt_id,
                outcome=str(outcome),
                duration_ms=_elapsed_ms(started),
                request=request,
                answer=found.to_json(),
                error=None,
                secrets=self.secrets,
            )
        log.info("order %s booked in Odoo as %s (%s)", due.order_id, found.po_name, outcome)
        return PushResult(
            due.order_id,
            due.refurbisher,
            outcome,
            po_id=found.po_id,
            po_name=found.po_name,
            attempts=due.attempts + 1,
        )

    def _failed(
        self,
        due: store.DueOrder,
        attempt_id: int,
        order: OrderToBook,
        exc: OdooError,
        request: str | None,
        started: float,
    ) -> PushResult:
        attempts = due.attempts + 1
        error = f"odoo: {exc}"
        with self.db.write_transaction() as conn:
            now = self.fixed_now or database_now(conn)
            next_at = now + timedelta(seconds=backoff_seconds(attempts))
            store.record_failure(conn, due.order_id, error, next_at)
            store.finish_attempt(
                conn,
                attempt_id,
                outcome=str(PushOutcome.FAILED),
                duration_ms=_elapsed_ms(started),
                request=request,
                answer=None,
                error=error,
                secrets=self.secrets,
            )
        log.warning("order %s not booked in Odoo (try %d): %s", order.order_id, attempts, exc)
        return PushResult(
            due.order_id,
            due.refurbisher,
            PushOutcome.FAILED,
            attempts=attempts,
            error=error,
            next_at=next_at,
        )


def _skipped(rest: list[store.DueOrder], failed_id: str) -> list[PushResult]:
    reason = f"not tried: Odoo is unavailable (see order {failed_id})"
    return [
        PushResult(
            d.order_id, d.refurbisher, PushOutcome.SKIPPED, attempts=d.attempts, error=reason
        )
        for d in rest
    ]


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
