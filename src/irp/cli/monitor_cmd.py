"""``irp monitor [NAME]``: run the monitoring checks now (SPEC §5, §6).

Thin: :func:`irp.monitoring.run.run_monitor` does the work (stale-stock unlisting, the
checks, stored results, alerts and their sinks). Exit 0 when every check passes, 1
when any fails, 2 on a usage error or a config that cannot be loaded. ``--json``
prints a list of ``{"refurbisher", "env", "check", "value", "threshold", "ok",
"detail"}`` on stdout; what the run raised, resolved or unlisted goes to stderr.
"""

from __future__ import annotations

from typing import Annotated

import typer

from irp.cli.common import (
    EXIT_FAILED,
    add_row,
    exits_on_errors,
    note,
    print_json,
    refurbisher_named,
    runtime,
    stdout_console,
)


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def register(app: typer.Typer) -> None:
    """Add ``monitor`` to the root app."""

    @app.command("monitor")
    def monitor_command(
        ctx: typer.Context,
        name: Annotated[str | None, typer.Argument(help="Only this refurbisher.")] = None,
        json_output: Annotated[
            bool, typer.Option("--json", help="Machine-readable output on stdout.")
        ] = False,
    ) -> None:
        """Run every monitoring check now; exit 1 when any fails."""
        from rich.table import Table

        from irp.monitoring.run import run_monitor

        with exits_on_errors():
            rt = runtime(ctx)
            config = rt.config()
            if name is not None:
                refurbisher_named(config, name)
            run = run_monitor(rt.database(), config, name=name)
        if json_output:
            print_json([result.to_json() for result in run.results])
        else:
            table = Table("refurbisher", "env", "check", "value", "threshold", "ok", "detail")
            for r in run.results:
                mark = "ok" if r.ok else "FAIL"
                add_row(
                    table,
                    r.refurbisher,
                    r.env,
                    r.check,
                    _number(r.value),
                    _number(r.threshold),
                    mark,
                    r.detail,
                )
            stdout_console().print(table)
        for line in run.unlisted:
            note(f"unlisted: {line}")
        for label in run.raised:
            note(f"alert raised: {label}")
        for label in run.resolved:
            note(f"alert resolved: {label}")
        for error in run.notified.errors:
            note(error)
        if not run.ok:
            raise typer.Exit(EXIT_FAILED)
