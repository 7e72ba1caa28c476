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

**Batches.** A work that also has ``claim_batch`` (:class:`BatchWork`; submissions do)
is claimed for every idle worker at once: the thread whose turn it is to claim takes,
in one write transaction, as many due items as there are workers free to send them
right now (each with its own compare-and-set and lease; ``SKIP LOCKED`` on
PostgreSQL, so two processes never claim one item), keeps one and hands the others to
the idle workers, which send them at once — an item never waits for a busy worker, so
no lease runs while nothing is sent. With a rate limit, claims stay one at a time.
Answers are recorded in batches too: the workers whose answers arrive while another
batch is being written are applied together in one transaction
(:class:`~irp.orders.group.GroupCommit`), each in a savepoint of its own, so a bug in
one apply rolls back that item only (it keeps its lease, as above).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import sqlalchemy as sa

from irp.logs import log_context
from irp.orders.group import GroupCommit
from irp.orders.sender import (
    Answer,
    LazySender,
    OrderSender,
    RateLimiter,
    Request,
    SenderFactory,
)
from irp.store.db import Database, database_now

if TYPE_CHECKING:
    from irp.config.order import OrderConfig

__all__ = ["BatchWork", "Claimed", "Done", "Work", "next_due", "run_for_refurbisher", "run_work"]

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


class BatchWork(Work[T, V, R], Protocol[T, V, R]):
    """A work whose due items can be claimed several at a time."""

    def claim_batch(
        self, conn: sa.Connection, now: datetime, limit: int
    ) -> list[Claimed[T] | Done[R]]:
        """Claim up to ``limit`` due items inside ``conn``'s write transaction."""
        ...


def next_due(query: SelectT, limit: int = 1) -> SelectT:
    """``query`` (the ids of due items, in order) for a claim: the first ``limit`` unlocked.

    On PostgreSQL, ``FOR UPDATE SKIP LOCKED``: a row another worker is claiming right
    now is skipped instead of waited for. SQLite ignores the clause; its claims are
    serialised by ``BEGIN IMMEDIATE``.
    """
    return query.limit(limit).with_for_update(skip_locked=True)


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


def run_for_refurbisher(
    db: Database,
    work: Work[T, V, R],
    order: OrderConfig,
    open_sender: SenderFactory,
    *,
    limiter: RateLimiter | None = None,
    stop: threading.Event | None = None,
    now: datetime | None = None,
) -> list[R]:
    """:func:`run_work` for one refurbisher's order connector: ``max_concurrency``
    workers over one sender, opened on the first request and closed at the end."""
    sender = LazySender(open_sender, order)
    try:
        return run_work(
            db, work, sender, workers=order.max_concurrency, limiter=limiter, stop=stop, now=now
        )
    finally:
        sender.close()


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
        self._claim_lock = threading.Lock()  # one thread claims at a time
        self._ready: deque[tuple[int, Claimed[T] | Done[R]]] = deque()  # for idle workers
        self._alive = 0  # worker threads still looping
        self._busy = 0  # ... of which sending or applying an item
        self._batch = getattr(work, "claim_batch", None) if limiter is None else None
        self._answers: GroupCommit[_Answer[T, V], _Applied[T, R]] = GroupCommit(self._apply_batch)
        self._context = copy_context()  # the caller's log fields, for claims made anywhere

    def run(self, workers: int) -> list[R]:
        self._alive = max(workers, 1)
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
            item = self._next()
            while item is not None:
                order, claimed = item
                following = None
                try:
                    if isinstance(claimed, Done):
                        result = claimed.result
                    else:
                        result, following = self._deliver(claimed)
                finally:
                    if following is None:
                        with self._lock:
                            self._busy -= 1
                with self._lock:
                    self._results.append((order, result))
                # The transaction that recorded the answer may have claimed the next item.
                item = following if following is not None else self._next()
        except BaseException:
            self.halt.set()  # a failed claim, a kill, Ctrl-C: no worker claims anything more
            with self._lock:
                self._alive -= 1
            raise

    def _next(self) -> tuple[int, Claimed[T] | Done[R]] | None:
        """The next item for this worker: one claimed for it by another, or a new claim.

        Items already claimed are always handed out, even once ``stop`` is set: they
        hold a lease and an attempt, and must be sent and answered.
        """
        with self._claim_lock:
            with self._lock:
                if self._ready:
                    self._busy += 1
                    return self._ready.popleft()
            if self.limiter is not None and not self._stopped():
                self.limiter.wait()
            claimed = [] if self._stopped() else self._claim(self._idle())
            with self._lock:
                if not claimed:
                    self._alive -= 1  # before the claim lock is released: no one counts it
                    return None
                self._ready.extend(claimed[1:])
                self._busy += 1
                return claimed[0]

    def _idle(self) -> int:
        """Workers free to send right now: this one and those waiting for their turn."""
        with self._lock:
            return max(self._alive - self._busy, 1)

    def _claim(self, limit: int) -> list[tuple[int, Claimed[T] | Done[R]]]:
        with self.db.write_transaction() as conn:
            return self._claim_in(conn, self._now(conn), limit)

    def _claim_in(
        self, conn: sa.Connection, now: datetime, limit: int
    ) -> list[tuple[int, Claimed[T] | Done[R]]]:
        """Claim up to ``limit`` items on ``conn``, logging with the caller's fields."""
        context = self._context.copy()  # not the fields of the item whose thread claims
        if self._batch is not None and limit > 1:
            items: list[Claimed[T] | Done[R]] = context.run(self._batch, conn, now, limit)
        else:
            one = context.run(self.work.claim_next, conn, now)
            items = [] if one is None else [one]
        with self._lock:
            numbered = [(self._claims + n + 1, item) for n, item in enumerate(items)]
            self._claims += len(items)
        return numbered

    def _deliver(self, claimed: Claimed[T]) -> tuple[R, tuple[int, Claimed[T] | Done[R]] | None]:
        """Send, classify, record: the result, and the next item if one was claimed."""
        with log_context(order_id=claimed.item_id):
            return self._deliver_logged(claimed)

    def _deliver_logged(
        self, claimed: Claimed[T]
    ) -> tuple[R, tuple[int, Claimed[T] | Done[R]] | None]:
        try:
            answer = self.sender.send(claimed.request)
            verdict = self.work.classify(claimed, answer, self.fixed_now or datetime.now(UTC))
            applied = self._answers.submit(_Answer(claimed, answer, verdict))
            return applied.result, applied.following
        except Exception as exc:
            self._log_bug(claimed)
            return self.work.abandoned(claimed, exc), None

    def _log_bug(self, claimed: Claimed[T]) -> None:
        log.exception(
            "%s %s: IRP failed while handling it (a bug, not the refurbisher's doing); "
            "it keeps its lease and the run goes on",
            self.work.name,
            claimed.item_id,
        )

    def _apply_batch(self, answers: Sequence[_Answer[T, V]]) -> list[_Applied[T, R]]:
        """Record several answers in one transaction, each in a savepoint of its own,
        and in the same transaction claim the next item for each of those workers."""
        results: list[R] = []
        with self.db.write_transaction() as conn:
            now = self._now(conn)
            for item in answers:
                with log_context(order_id=item.claimed.item_id):
                    try:
                        with conn.begin_nested():
                            result = self.work.apply(
                                conn, item.claimed, item.answer, item.verdict, now
                            )
                    except Exception as exc:  # rolled back to the savepoint: keeps its lease
                        self._log_bug(item.claimed)
                        result = self.work.abandoned(item.claimed, exc)
                results.append(result)
            following = self._claim_following(conn, now, len(answers))
        following += [None] * (len(results) - len(following))
        return [_Applied(r, f) for r, f in zip(results, following, strict=True)]

    def _claim_following(
        self, conn: sa.Connection, now: datetime, limit: int
    ) -> list[tuple[int, Claimed[T] | Done[R]] | None]:
        """Next items for the workers of an apply batch (none with a rate limit, or when
        stopping). A claim that fails here is rolled back alone; the answers stay."""
        if self._batch is None or self._stopped():
            return []
        try:
            with conn.begin_nested():
                return list(self._claim_in(conn, now, limit))
        except Exception:
            log.exception("claiming with recorded answers failed; the workers claim on their own")
            return []


@dataclass(frozen=True)
class _Applied(Generic[T, R]):
    """An answer recorded, and the item claimed in the same transaction, if any."""

    result: R
    following: tuple[int, Claimed[T] | Done[R]] | None


@dataclass(frozen=True)
class _Answer(Generic[T, V]):
    """A sent item's answer and what it means, waiting to be recorded."""

    claimed: Claimed[T]
    answer: Answer
    verdict: V
