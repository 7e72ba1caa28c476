"""The context-manager shape every sandbox server shares: ``with X(...) as x`` = start/stop."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class StartStop:
    """Mixin: ``__enter__`` calls ``start()`` (returning self), ``__exit__`` calls ``stop()``."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
