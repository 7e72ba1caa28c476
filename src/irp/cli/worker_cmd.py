"""``irp worker``: a worker for the queue, without the HTTP API (SPEC §8).

Scale-out: ``IRP_DATABASE_URL=postgresql+psycopg://...`` and ``IRP_QUEUE_URL=redis://...``
on every machine; ``irp serve --no-worker`` takes requests and runs the scheduler,
as many ``irp worker`` processes as needed do the work. Huey is imported inside the
command.
"""

from __future__ import annotations

import typer

from irp.cli.common import exits_on_errors, runtime
from irp.cli.serve_cmd import (
    DEFAULT_CONCURRENCY,
    ConcurrencyOption,
    LogFormat,
    LogFormatOption,
    LogLevel,
    LogLevelOption,
    announce,
    open_service,
)


def register(app: typer.Typer) -> None:
    """Add ``worker`` to the top-level app."""

    @app.command("worker")
    def worker_command(
        ctx: typer.Context,
        concurrency: ConcurrencyOption = DEFAULT_CONCURRENCY,
        log_format: LogFormatOption = LogFormat.json,
        log_level: LogLevelOption = LogLevel.info,
    ) -> None:
        """Run queued work — order passes, feed syncs, sweeps — until SIGTERM."""
        from irp.jobs.process import ServiceProcess
        from irp.logs import configure_logging

        configure_logging(log_format.value, log_level.value)  # before redaction hooks on
        with exits_on_errors():
            service = open_service(runtime(ctx))
        process = ServiceProcess(service, workers=concurrency, scheduler=False)
        process.install_signals()
        process.start()
        announce(service, f"working ({concurrency} worker threads)")
        try:
            process.wait()
        finally:
            process.finish()
