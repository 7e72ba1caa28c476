"""``irp monitor [NAME]``: run the monitoring checks now (SPEC §5, §6).

Thin: :func:`irp.monitoring.run.run_monitor` does the work (stale-stock unlisting, the
checks, stored results, alerts and their sinks). Exit 0 when every check passes, 1
when any fails, 2 on a usage error or a config that cannot be loaded. ``--json``
prints a list of ``{"refurbisher", "env", "check", "value", "threshold", "ok",
"detail"}`` on stdout; what the run raised, resolved or unlisted goes to stderr.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from irp.cli.common import (
    EXIT_FAILED,
    exits_on_errors,
    print_json,
    refurbisher_named,
    runtime,
    stderr,
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
            width = None if sys.stdout.isatty() else 200
            table = Table("refurbisher", "env", "check", "value", "threshold", "ok", "detail")
            for r in run.results:
                mark = "[green]ok[/green]" if r.ok else "[red]FAIL[/red]"
                table.add_row(
                    r.refurbisher,
                    r.env,
                    r.check,
                    _number(r.value),
                    _number(r.threshold),
                    mark,
                    escape(r.detail),
                )
            Console(file=sys.stdout, width=width, highlight=False).print(table)
        for note in run.unlisted:
            stderr.print(f"unlisted: {note}", markup=False, highlight=False)
        for label in run.raised:
            stderr.print(f"alert raised: {label}", markup=False, highlight=False)
        for label in run.resolved:
            stderr.print(f"alert resolved: {label}", markup=False, highlight=False)
        for error in run.notified.errors:
            stderr.print(error, markup=False, highlight=False)
        if not run.ok:
            raise typer.Exit(EXIT_FAILED)
