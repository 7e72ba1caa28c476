"""Running the app on uvicorn inside a :class:`irp.jobs.process.ServiceProcess`."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI

__all__ = ["ApiServer"]


class ApiServer(uvicorn.Server):
    """uvicorn without its own signal handlers: the process owns SIGTERM/SIGINT/SIGHUP
    and calls :meth:`request_exit`, so the HTTP side and the workers stop together."""

    def __init__(self, app: FastAPI, *, host: str, port: int, log_level: str) -> None:
        super().__init__(
            uvicorn.Config(
                app,
                host=host,
                port=port,
                log_config=None,  # records go to the root handler (irp.logs)
                log_level=log_level,
                server_header=False,
                lifespan="off",
            )
        )

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    def request_exit(self) -> None:
        """Stop accepting connections, finish the requests in hand, return from run()."""
        self.should_exit = True
