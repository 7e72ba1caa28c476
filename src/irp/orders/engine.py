"""The delivery engine: claim a due item, send one request, classify, apply one transition.

Submissions (:mod:`irp.orders.submit`) and lookups (:mod:`irp.orders.lookup`) are two
kinds of :class:`Work` run by :func:`run_work`; shipment polling and the Odoo push are
meant to be the next ones. Per item, always the same four steps::

    claim_next(conn, now)   one write transaction: pick the next due item
        │                   (SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL, so several
        │                   workers split the due items instead of colliding), move it
        │                   with a compare-and-set that takes a lease, record the
        │                   attempt, commit — before anything leaves
    sender.send(request)    no transaction: the network (an OrderSender)
    classify(...)           pure: what the answer means (irp.orders.classify)
    apply(conn, ...)        one write transaction: record the answer, apply one
                            transition through irp.orders.states.transition

A claim may also settle an item without a request (a template that cannot render
fails its order): it returns :class:`Done` with the result.

**Failures.** A transport error is an answer and is classified. Anything else raised
while sending, classifying or applying is a bug in IRP: it is logged with its
traceback, the item keeps its lease (a ``submitting`` order becomes ``uncertain`` when
the lease runs out, never resent blindly), :meth:`Work.abandoned` reports it, and the
run goes on with the next item. A claim that raises (the database is gone) stops
every worker and propagates — claiming again would only pick the same item — as does
a ``BaseException`` (``KeyboardInterrupt``, a simulated kill). A claim changes nothing
until it commits, so nothing is left half-claimed.

**Concurrency.** ``workers`` threads each loop claim -> send -> apply until nothing is
due or ``stop`` is set; ``stop`` is checked before every claim, so a service shutting
down stops taking work and lets the in-flight requests finish. A ``RateLimiter`` spaces
the claims.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, TypeVar

import sqlalchemy as sa

from irp.logs import log_context
from irp.orders.sender import Answer, OrderSender, RateLimiter, Request
from irp.store.db import Database, database_now

__all__ = ["Claimed", "Done", "Work", "next_due", "run_work"]

log = logging.getLogger(__name__)

T = TypeVar("T")  # what a claim carries to its apply (attempt id, version, ...)
V = TypeVar("V")  # a classification
R = TypeVar("R")  # the result reported for an item
SelectT = TypeVar("SelectT", bound="sa.Select[Any]")


@dataclass(frozen=True)
class Claimed(Generic[T]):
    """An item this worker holds: the request to send and what ``apply`` needs."""

    item_id: str
    request: Request
    state: T


@dataclass(frozen=True)
class Done(Generic[R]):
    """An item the claim settled by itself, without a request."""

    result: R


class Work(Protocol[T, V, R]):
    """One kind of delivery work. Implementations hold no per-item state."""

    name: str  # "submit", "lookup": thread names and log lines

    def claim_next(self, conn: sa.Connection, now: datetime) -> Claimed[T] | Done[R] | None:
        """Claim the next due item inside ``conn``'s write transaction; None: none due."""
        ...

    def classify(self, claimed: Claimed[T], answer: Answer, now: datetime) -> V:
        """What ``answer`` means (pure; no database)."""
        ...

    def apply(
        self,
        conn: sa.Connection,
        claimed: Claimed[T],
        answer: Answer,
        verdict: V,
        now: datetime,
    ) -> R:
        """Record the answer and move the item, inside ``conn``'s write transaction."""
        ...

    def abandoned(self, claimed: Claimed[T], error: Exception) -> R:
        """The result to report for an item a bug stopped after it was claimed."""
        ...


def next_due(query: SelectT) -> SelectT:
    """``query`` (the ids of due items, in order) for a claim: the first unlocked one.

    On PostgreSQL, ``FOR UPDATE SKIP LOCKED``: a row another worker is claiming right
    now is skipped instead of waited for. SQLite ignores the clause; its claims are
    serialised by ``BEGIN IMMEDIATE``.
    """
    return query.limit(1).with_for_update(skip_locked=True)


def run_work(
    db: Database,
    work: Work[T, V, R],
    sender: OrderSender,
    *,
    workers: int = 1,
    limiter: RateLimiter | None = None,
    stop: threading.Event | None = None,
    now: datetime | None = None,
) -> list[R]:
    """Run ``work`` until nothing is due (or ``stop`` is set); one result per item, in claim order.

    ``now`` fixes what "due" means and schedules follow-ups (tests, replays); by
    default it is the database's clock at each step.
    """
    return _Run(db, work, sender, limiter, stop, now).run(workers)


class _Run(Generic[T, V, R]):
    def __init__(
        self,
        db: Database,
        work: Work[T, V, R],
        sender: OrderSender,
        limiter: RateLimiter | None,
        stop: threading.Event | None,
        now: datetime | None,
    ) -> None:
        self.db = db
        self.work = work
        self.sender = sender
        self.limiter = limiter
        self.stop = stop
        self.fixed_now = now
        self.halt = threading.Event()  # a claim failed or a worker died: stop claiming
        self._lock = threading.Lock()
        self._results: list[tuple[int, R]] = []
        self._claims = 0

    def run(self, workers: int) -> list[R]:
        if workers <= 1:
            self._loop()
        else:
            name = f"{self.work.name}-worker"
            with ThreadPoolExecutor(workers, thread_name_prefix=name) as pool:
                # Each worker thread starts in a copy of the caller's context, so log
                # lines keep the refurbisher and task the caller bound (irp.logs).
                loops = [pool.submit(copy_context().run, self._loop) for _ in range(workers)]
                for future in loops:
                    future.result()
        return [result for _, result in sorted(self._results, key=lambda pair: pair[0])]

    def _stopped(self) -> bool:
        return self.halt.is_set() or (self.stop is not None and self.stop.is_set())

    def _now(self, conn: sa.Connection) -> datetime:
        return self.fixed_now or database_now(conn)

    def _loop(self) -> None:
        try:
            while not self._stopped():
                if self.limiter is not None:
                    self.limiter.wait()
                    if self._stopped():
                        return
                item = self._claim()
                if item is None:
                    return
                order, claimed = item
                result = claimed.result if isinstance(claimed, Done) else self._deliver(claimed)
                with self._lock:
                    self._results.append((order, result))
        except BaseException:
            self.halt.set()  # a failed claim, a kill, Ctrl-C: no worker claims anything more
            raise

    def _claim(self) -> tuple[int, Claimed[T] | Done[R]] | None:
        with self.db.write_transaction() as conn:
            claimed = self.work.claim_next(conn, self._now(conn))
        if claimed is None:
            return None
        with self._lock:
            self._claims += 1
            return self._claims, claimed

    def _deliver(self, claimed: Claimed[T]) -> R:
        with log_context(order_id=claimed.item_id):
            return self._deliver_logged(claimed)

    def _deliver_logged(self, claimed: Claimed[T]) -> R:
        try:
            answer = self.sender.send(claimed.request)
            verdict = self.work.classify(claimed, answer, self.fixed_now or datetime.now(UTC))
            with self.db.write_transaction() as conn:
                return self.work.apply(conn, claimed, answer, verdict, self._now(conn))
        except Exception as exc:
            log.exception(
                "%s %s: IRP failed while handling it (a bug, not the refurbisher's doing); "
                "it keeps its lease and the run goes on",
                self.work.name,
                claimed.item_id,
            )
            return self.work.abandoned(claimed, exc)
