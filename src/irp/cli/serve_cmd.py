"""``irp serve``: the HTTP API, the scheduler and a worker in one process (SPEC §7, §8).

FastAPI, uvicorn and Huey are imported inside the command, so ``irp --help`` and
every other command start fast.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from irp.cli.common import EXIT_USAGE, exits_on_errors, fail, runtime

if TYPE_CHECKING:
    from irp.cli.runtime import Runtime
    from irp.jobs.service import Service

log = logging.getLogger("irp.cli.serve")

DEFAULT_CONCURRENCY = 4


class LogFormat(StrEnum):
    json = "json"
    text = "text"


class LogLevel(StrEnum):
    debug = "debug"
    info = "info"
    warning = "warning"
    error = "error"


LogFormatOption = Annotated[
    LogFormat,
    typer.Option("--log-format", help="json: one object per line on stderr; text: for people."),
]
LogLevelOption = Annotated[LogLevel, typer.Option("--log-level", help="Least severe level logged.")]
ConcurrencyOption = Annotated[
    int, typer.Option("--concurrency", min=1, help="Worker threads (tasks run at once).")
]


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the top-level app."""

    @app.command("serve")
    def serve_command(
        ctx: typer.Context,
        host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[
            int, typer.Option("--port", min=0, max=65535, help="Port to listen on.")
        ] = 8000,
        no_worker: Annotated[
            bool,
            typer.Option(
                "--no-worker", help="API and scheduler only; irp worker processes do the work."
            ),
        ] = False,
        concurrency: ConcurrencyOption = DEFAULT_CONCURRENCY,
        log_format: LogFormatOption = LogFormat.json,
        log_level: LogLevelOption = LogLevel.info,
    ) -> None:
        """HTTP API, scheduler and (unless --no-worker) a worker, in one process."""
        from irp.api import create_app
        from irp.api.auth import TOKENS_ENV, ApiTokens
        from irp.api.server import ApiServer
        from irp.jobs.process import ServiceProcess
        from irp.logs import configure_logging

        configure_logging(log_format.value, log_level.value)  # before redaction hooks on
        with exits_on_errors():
            tokens = ApiTokens.from_environment()
            service = open_service(runtime(ctx), extra_secrets=tokens.secrets)
        if not tokens.names:
            log.warning("%s is not set: every /api request is answered 401", TOKENS_ENV)
        workers = 0 if no_worker else concurrency
        process = ServiceProcess(service, workers=workers, scheduler=True)
        server = ApiServer(
            create_app(service, tokens), host=host, port=port, log_level=log_level.value
        )
        process.on_stop(server.request_exit)
        process.install_signals()
        process.start()
        parts = "API, scheduler" + (f", {workers} worker threads" if workers else "")
        announce(service, f"serving http://{host}:{port} ({parts})")
        try:
            server.run()
        finally:
            process.finish()


def open_service(rt: Runtime, *, extra_secrets: Iterable[str] = ()) -> Service:
    """The process's :class:`~irp.jobs.service.Service` (call inside exits_on_errors)."""
    from irp.jobs.service import Service

    if rt.db_url is not None and rt.db_url.startswith("sqlite") and ":memory:" in rt.db_url:
        fail("an in-memory database cannot be shared by the API and the workers", EXIT_USAGE)
    return Service.open(rt.config_path, rt.env, rt.db_url, extra_secrets=extra_secrets)


def announce(service: Service, what: str) -> None:
    """The start-up line: what runs, for which environment, on which config, db, queue."""
    config = service.config()
    log.info(
        "IRP %s for %s; config %s (%s); database %s; queue %s",
        what,
        service.env,
        config.path,
        config.hash[:12],
        service.db.url,
        service.queue_settings.describe(),
    )
