"""Group commit: threads that each need a write hand their items to one transaction.

Each caller of :meth:`GroupCommit.submit` waits for the result of its own item, as if
it had written alone; but while one batch is being written, the items that arrive
queue up, and the next batch takes all of them (up to ``max_batch``) in one call of
``write`` — one transaction, one commit, on SQLite one turn at the write lock. A lone
item is written at once, without waiting for company.

There is no thread of its own: the first caller to find no batch running writes the
waiting items (the leader), then hands the lead to the first caller that queued
meanwhile, so no caller writes batch after batch for the others while its own answer
waits. ``write`` returns one result per item, or an exception for an item it could
not write; an exception raised by ``write`` itself goes to every caller of the batch.
HTTP intake (:mod:`irp.jobs.intake`) and the delivery engine's answers
(:mod:`irp.orders.engine`) use it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

__all__ = ["GroupCommit"]

T = TypeVar("T")
R = TypeVar("R")


class _Waiter(Generic[T, R]):
    def __init__(self, item: T, size: int) -> None:
        self.item = item
        self.size = size
        self.result: R | None = None
        self.error: BaseException | None = None
        self.done = False
        self.leads = False
        self.turn = threading.Event()  # set when done, or when this caller leads

    def outcome(self) -> R:
        if self.error is not None:
            raise self.error
        assert self.done
        return self.result  # type: ignore[return-value]


class GroupCommit(Generic[T, R]):
    """Items of concurrent callers written together (see the module docstring)."""

    def __init__(
        self,
        write: Callable[[Sequence[T]], Sequence[R | BaseException]],
        *,
        max_batch: int = 500,
    ) -> None:
        self._write = write
        self.max_batch = max_batch
        self._lock = threading.Lock()
        self._waiting: list[_Waiter[T, R]] = []
        self._busy = False  # a leader is writing a batch

    def submit(self, item: T, size: int = 1) -> R:
        """Write ``item`` (counting ``size`` towards ``max_batch``), maybe with others'."""
        waiter: _Waiter[T, R] = _Waiter(item, size)
        with self._lock:
            self._waiting.append(waiter)
            lead = not self._busy
            self._busy = True
        if not lead:
            waiter.turn.wait()
            if not waiter.leads:
                return waiter.outcome()
        try:
            self._run(self._take())
        finally:
            self._hand_over()
        return waiter.outcome()

    def _take(self) -> list[_Waiter[T, R]]:
        with self._lock:
            batch: list[_Waiter[T, R]] = []
            count = 0
            while self._waiting:
                size = self._waiting[0].size
                if batch and count + size > self.max_batch:
                    break
                count += size
                batch.append(self._waiting.pop(0))
            return batch

    def _hand_over(self) -> None:
        with self._lock:
            if self._waiting:
                successor = self._waiting[0]
                successor.leads = True
                successor.turn.set()
            else:
                self._busy = False

    def _run(self, batch: list[_Waiter[T, R]]) -> None:
        try:
            results = self._write([waiter.item for waiter in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"{len(results)} results for {len(batch)} items")
            for waiter, result in zip(batch, results, strict=True):
                if isinstance(result, BaseException):
                    waiter.error = result
                else:
                    waiter.result = result
                waiter.done = True
        except BaseException as exc:
            for waiter in batch:
                if not waiter.done:
                    waiter.error = exc
                    waiter.done = True
            raise
        finally:
            for waiter in batch:
                waiter.leads = False
                waiter.turn.set()
