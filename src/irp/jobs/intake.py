"""Group commit for HTTP intake: the orders of concurrent requests stored together.

Each ``POST /api/orders`` waits for the commit of its own orders, as before; but the
requests that arrive while one batch is being stored are stored together next
(:class:`irp.orders.group.GroupCommit`), in one call of
:func:`irp.orders.intake.accept_orders` — the very function ``irp orders add`` uses,
with the same checks, idempotency and messages — so in one transaction with one
commit. Under load that turns hundreds of small write transactions a second (each a
commit, and on SQLite a turn at the one write lock) into a few large ones. If a
batch fails as a whole (the database went away), each of its requests is stored on
its own again, so a failure stays with the request it belongs to.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from irp.orders.group import GroupCommit
from irp.orders.intake import IntakeResult, accept_orders

if TYPE_CHECKING:
    from irp.config import Config
    from irp.store.db import Database

__all__ = ["GroupIntake"]

MAX_BATCH_ORDERS = 500  # orders stored in one transaction (a request is never split)

_Request = tuple["Config", list[object]]


class GroupIntake:
    """Store concurrent requests' orders in shared transactions (module docstring)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._group: GroupCommit[_Request, list[IntakeResult]] = GroupCommit(
            self._store, max_batch=MAX_BATCH_ORDERS
        )

    def accept(self, config: Config, raws: Sequence[object]) -> list[IntakeResult]:
        """Validate and store ``raws`` (one result each, in order), maybe with others'."""
        raws = list(raws)
        return self._group.submit((config, raws), size=max(len(raws), 1))

    def _store(self, batch: Sequence[_Request]) -> list[list[IntakeResult] | BaseException]:
        results: list[list[IntakeResult] | BaseException] = []
        start = 0
        while start < len(batch):  # a reload between two requests: each keeps its config
            config = batch[start][0]
            end = start
            while end < len(batch) and batch[end][0] is config:
                end += 1
            results.extend(self._store_group(config, [raws for _, raws in batch[start:end]]))
            start = end
        return results

    def _store_group(
        self, config: Config, requests: list[list[object]]
    ) -> list[list[IntakeResult] | BaseException]:
        try:
            merged = accept_orders(self.db, config, [raw for raws in requests for raw in raws])
        except Exception as exc:
            if len(requests) == 1:
                return [exc]
            return [self._alone(config, raws) for raws in requests]
        results: list[list[IntakeResult] | BaseException] = []
        start = 0
        for raws in requests:
            results.append(merged[start : start + len(raws)])
            start += len(raws)
        return results

    def _alone(self, config: Config, raws: list[object]) -> list[IntakeResult] | BaseException:
        try:
            return accept_orders(self.db, config, raws)
        except Exception as exc:
            return exc
