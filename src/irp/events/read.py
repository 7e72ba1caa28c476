"""Reading the outbox with a cursor: ``GET /api/events?after=CURSOR&limit=N`` (SPEC §4, §7).

Events come oldest first. The cursor is opaque to the marketplace (today the event's
sequence number as text); ``next_cursor`` is what to send as ``after`` next time — the
last event returned, or the same cursor when there was nothing new, so a client can
poll with it forever. Ids become visible in commit order (see :mod:`irp.events.outbox`),
so reading past a cursor never skips an event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from irp.errors import IrpError
from irp.events.outbox import event_document
from irp.store.tables import order_events

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "CursorError", "EventPage", "read_events"]

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


class CursorError(IrpError, ValueError):
    """``after`` or ``limit`` is not something a previous answer could have given."""


@dataclass(frozen=True)
class EventPage:
    """One page of events and the cursor to continue from."""

    events: list[dict[str, Any]]
    next_cursor: str | None
    has_more: bool

    def to_json(self) -> dict[str, Any]:
        """``{"events": [...], "next_cursor", "has_more"}``."""
        return {"events": self.events, "next_cursor": self.next_cursor, "has_more": self.has_more}


def read_events(
    conn: sa.Connection, *, after: str | None = None, limit: int = DEFAULT_LIMIT
) -> EventPage:
    """The events after ``after`` (from the first when None), at most ``limit`` of them.

    Raises CursorError for a cursor that is not one IRP gave out, or a limit outside
    1..1000.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise CursorError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    start = 0
    if after not in (None, ""):
        assert after is not None
        if not after.isdigit() or len(after) > 18:
            raise CursorError(
                f"after={after[:40]!r} is not a cursor; send the next_cursor of an earlier answer"
            )
        start = int(after)
    rows = (
        conn.execute(
            sa.select(order_events)
            .where(order_events.c.id > start)
            .order_by(order_events.c.id)
            .limit(limit + 1)
        )
        .mappings()
        .all()
    )
    page = [event_document(row) for row in rows[:limit]]
    cursor = page[-1]["cursor"] if page else (after or None)
    return EventPage(page, cursor, len(rows) > limit)
