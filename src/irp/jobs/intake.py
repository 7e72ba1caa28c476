"""Group commit for HTTP intake: the orders of concurrent requests stored together.

Each ``POST /api/orders`` waits for the commit of its own orders, as before; but
while one batch is being stored, the requests that arrive queue up, and the next
batch stores all of them in one call of :func:`irp.orders.intake.accept_orders` —
the very function ``irp orders add`` uses, with the same checks, idempotency and
messages — so in one transaction, with one commit. Under load that turns hundreds of
small write transactions a second (each a commit, and on SQLite a turn at the one
write lock) into a few large ones; a lone request is stored at once, without waiting
for company.

There is no thread of its own: the first request to find no batch running stores
the waiting ones (leader), then hands the lead to the first request that queued
meanwhile (so no request stores batch after batch for the others while its own
answer waits). If a batch fails as a whole (the database went away), each of its
requests is stored on its own again, so one request's failure is its own.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from irp.orders.intake import IntakeResult, accept_orders

if TYPE_CHECKING:
    from irp.config import Config
    from irp.store.db import Database

__all__ = ["GroupIntake"]

MAX_BATCH_ORDERS = 500  # orders taken into one batch (a request is never split)


class _Request:
    def __init__(self, config: Config, raws: list[object]) -> None:
        self.config = config
        self.raws = raws
        self.results: list[IntakeResult] | None = None
        self.error: BaseException | None = None
        self.leads = False
        self.turn = threading.Event()  # set when done, or when this request leads

    def outcome(self) -> list[IntakeResult]:
        if self.error is not None:
            raise self.error
        assert self.results is not None
        return self.results


class GroupIntake:
    """Store concurrent requests' orders in shared transactions (module docstring)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._lock = threading.Lock()
        self._waiting: list[_Request] = []
        self._busy = False  # a leader is storing a batch

    def accept(self, config: Config, raws: Sequence[object]) -> list[IntakeResult]:
        """Validate and store ``raws`` (one result each, in order), maybe with others'."""
        request = _Request(config, list(raws))
        with self._lock:
            self._waiting.append(request)
            lead = not self._busy
            self._busy = True
        if not lead:
            request.turn.wait()
            if not request.leads:
                return request.outcome()
        try:
            self._store(self._take())
        finally:
            self._hand_over()
        return request.outcome()

    def _take(self) -> list[_Request]:
        with self._lock:
            batch: list[_Request] = []
            count = 0
            while self._waiting:
                size = len(self._waiting[0].raws)
                if batch and count + size > MAX_BATCH_ORDERS:
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

    def _store(self, batch: list[_Request]) -> None:
        try:
            by_config: dict[int, list[_Request]] = {}
            for request in batch:  # a reload between two requests: each keeps its config
                by_config.setdefault(id(request.config), []).append(request)
            for group in by_config.values():
                self._store_group(group)
        finally:
            for request in batch:
                if request.results is None and request.error is None:
                    request.error = RuntimeError("the intake batch stopped before this request")
                request.leads = False
                request.turn.set()

    def _store_group(self, group: list[_Request]) -> None:
        config = group[0].config
        try:
            results = accept_orders(self.db, config, [raw for r in group for raw in r.raws])
        except Exception as exc:
            if len(group) == 1:
                group[0].error = exc
                return
            for request in group:  # each on its own: a failure stays with its request
                try:
                    request.results = accept_orders(self.db, config, request.raws)
                except Exception as exc:
                    request.error = exc
            return
        start = 0
        for request in group:
            request.results = results[start : start + len(request.raws)]
            start += len(request.raws)
