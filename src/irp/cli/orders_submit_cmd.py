"""``irp orders submit [NAME]``: one complete pass of the order pipeline (SPEC §3, §6).

In this order: expire dead submitters' leases (-> ``uncertain``), run due lookups
(found -> ``submitted``; confirmed not-found -> due again), then send every due order —
so a cron-driven set-up without ``irp serve`` is complete. Exit 0 when every order
this run touched ended ``submitted`` or waits for a retry (``pending``); 1 when any
ended ``failed``, ``rejected`` or ``uncertain``, is held by a paused refurbisher, or
was stopped by a bug in IRP (:attr:`SubmitResult.needs_operator`). Every cell is
printed as text, never as Rich markup: supplier answers end up in the error column.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from irp.cli.common import EXIT_FAILED, exits_on_errors, print_json, runtime
from irp.orders.cycle import submit_pass
from irp.orders.results import SubmitResult


def register(app: typer.Typer) -> None:
    """Add ``submit`` to the ``orders`` group."""

    @app.command("submit")
    def submit_command(
        ctx: typer.Context,
        name: Annotated[
            str | None, typer.Argument(help="Only this refurbisher (default: all).")
        ] = None,
        json_output: Annotated[
            bool, typer.Option("--json", help="Machine-readable output on stdout.")
        ] = False,
    ) -> None:
        """Send every due order; also expire dead submitters' leases and run due lookups."""
        rt = runtime(ctx)
        with exits_on_errors():
            results = submit_pass(rt.database(), rt.config(), name)
        if json_output:
            print_json([result.to_json() for result in results])
        else:
            _print_table(results)
        if any(result.needs_operator for result in results):
            raise typer.Exit(EXIT_FAILED)


def _print_table(results: list[SubmitResult]) -> None:
    out = Console(file=sys.stdout, highlight=False, soft_wrap=True)
    if not results:
        out.print("no order was due")
        return
    table = Table("id", "refurbisher", "status", "external reference", "attempts", "error")
    for result in results:
        cells = (
            result.order_id,
            result.refurbisher,
            str(result.status),
            result.external_reference or "",
            str(result.attempts),
            result.error or "",
        )
        table.add_row(*(Text(cell) for cell in cells))
    out.print(table)
