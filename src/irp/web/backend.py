"""What the status page needs from the running service, as one small object.

The pages read the config in force, the environment's database and the API tokens,
and queue a sync for the "sync now" button. :class:`WebBackend` bundles exactly that,
so the router does not care whether it runs inside ``irp serve`` (the service's config,
database, tokens and queue) or a test's small app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from irp.config import Config
from irp.store.db import Database


class TokenBook(Protocol):
    """The API tokens (``IRP_API_TOKENS``): who a presented token is."""

    @property
    def names(self) -> list[str]: ...

    @property
    def secrets(self) -> frozenset[str]: ...

    def identify(self, presented: str) -> str | None: ...


@dataclass
class WebBackend:
    """The service as the status page sees it.

    ``config`` returns the config in force (a reload swaps it); ``queue_sync(name)``
    asks a worker to sync ``name``'s feed and ``queue_checks()`` to run the monitoring
    checks (the scheduler's ``monitor`` job), each saying whether the queue took it;
    ``clock`` is the time the checks judge against (the database's by default, a test
    may inject another).
    """

    config: Callable[[], Config]
    db: Database
    tokens: TokenBook
    queue_sync: Callable[[str], bool]
    queue_checks: Callable[[], bool] | None = None
    clock: Callable[[], datetime] | None = None
    secure_cookies: bool = True
    peer_cache_seconds: float = 15.0
    peer_cache: dict[str, tuple[float, object]] = field(default_factory=dict, repr=False)

    def now(self) -> datetime:
        """The moment checks are judged at."""
        return self.clock() if self.clock is not None else self.db.now()
