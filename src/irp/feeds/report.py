"""What a sync tells its caller: the status (SPEC §2) and the counts (SPEC §6)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from irp.feeds.parse import RowIssue


class SyncStatus(StrEnum):
    """How a sync ended (SPEC §2). Exit 0 for ok and unchanged, 1 for the rest."""

    OK = "ok"  # offers written (possibly none changed)
    UNCHANGED = "unchanged"  # same file and pricing as the last good sync: nothing written
    WAITING = "waiting"  # the remote file is still being written: try again later
    REFUSED = "refused"  # guard, header or empty feed: nothing written
    FAILED = "failed"  # the feed could not be fetched
    BUSY = "busy"  # another sync of this refurbisher is running


@dataclass
class SyncReport:
    """What ``irp offers sync --json`` prints, plus the run's identity."""

    refurbisher: str
    status: SyncStatus
    run_id: int | None = None
    message: str = ""
    rows: int = 0
    valid: int = 0
    invalid: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unlisted: int = 0
    held: int = 0
    listed: int = 0
    published_at: datetime | None = None
    """Freshness: when the supplier published the newest feed version IRP has read."""
    errors: list[RowIssue] = field(default_factory=list)

    @property
    def succeeded(self) -> bool:
        return self.status in (SyncStatus.OK, SyncStatus.UNCHANGED)

    def to_json(self) -> dict[str, object]:
        """The SPEC §6 shape, plus run_id, message, held, listed and published_at."""
        return {
            "refurbisher": self.refurbisher,
            "status": str(self.status),
            "run_id": self.run_id,
            "message": self.message,
            "rows": self.rows,
            "valid": self.valid,
            "invalid": self.invalid,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "unlisted": self.unlisted,
            "held": self.held,
            "listed": self.listed,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "errors": [
                {"line": e.line, "column": e.column, "message": e.message} for e in self.errors
            ],
        }
