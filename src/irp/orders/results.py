"""What a pass of the order pipeline reports per order (``irp orders submit``).

One :class:`SubmitResult` per order the pass touched — submitted, looked up, expired,
held by a paused refurbisher, or stopped by a bug — with where it stands now. Its
:meth:`~SubmitResult.to_json` is SPEC §6's ``{"id", "status", "external_reference",
"attempts", "error"}``; :attr:`~SubmitResult.needs_operator` decides the exit code.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa

from irp.orders.states import OrderStatus
from irp.store.tables import orders

__all__ = ["ATTENTION", "SubmitResult", "order_result"]

S = OrderStatus

#: States in which an order waits for a person (SPEC §6: `orders submit` exits 1).
ATTENTION = frozenset({S.FAILED, S.REJECTED, S.UNCERTAIN})


@dataclass(frozen=True)
class SubmitResult:
    """Where one order stands after this pass touched it."""

    order_id: str
    refurbisher: str
    status: OrderStatus
    external_reference: str | None
    attempts: int
    error: str | None
    paused: bool = False  # due, but its refurbisher's submissions are paused
    internal_error: bool = False  # a bug in IRP stopped it mid-way (logged with a traceback)

    @property
    def needs_operator(self) -> bool:
        """Failed, rejected, uncertain, held by a paused refurbisher, or hit by a bug.

        ``pending`` (waiting for a retry) and ``submitted`` do not: SPEC §6 exits 0.
        """
        return self.status in ATTENTION or self.paused or self.internal_error

    def with_error(self, error: str, *, paused: bool = False) -> SubmitResult:
        """This result with another ``error`` text (and the paused flag)."""
        return replace(self, error=error, paused=paused)

    def to_json(self) -> dict[str, Any]:
        """The SPEC §6 shape: id, status, external_reference, attempts, error."""
        return {
            "id": self.order_id,
            "status": str(self.status),
            "external_reference": self.external_reference,
            "attempts": self.attempts,
            "error": self.error,
        }


def order_result(conn: sa.Connection, order_id: str) -> SubmitResult:
    """The :class:`SubmitResult` of a stored order as it is now."""
    row = conn.execute(sa.select(orders).where(orders.c.id == order_id)).mappings().one()
    return SubmitResult(
        order_id=row["id"],
        refurbisher=row["refurbisher"],
        status=S(row["status"]),
        external_reference=row["external_reference"],
        attempts=row["attempts"],
        error=row["last_error"],
    )
