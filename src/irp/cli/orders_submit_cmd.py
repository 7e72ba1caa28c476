"""``irp orders submit [NAME]``: one complete pass of the order pipeline (SPEC §3, §6).

In this order: expire dead submitters' leases (-> ``uncertain``), run due lookups
(found -> ``submitted``; confirmed not-found -> due again), then send every due order —
so a cron-driven set-up without ``irp serve`` is complete. Exit 0 when every order
this run touched ended ``submitted`` or waits for a retry (``pending``); 1 when any
ended ``failed``, ``rejected`` or ``uncertain``, is held by a paused refurbisher, or
was stopped by a bug in IRP (:attr:`SubmitResult.needs_operator`), and when a
refurbisher was skipped (its own config errors, or, outside production, order
endpoints nobody chose for the environment: see docs/operations.md). Every cell is
printed as text, never as Rich markup: supplier answers end up in the error column.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from irp.cli.common import (
    EXIT_FAILED,
    JsonFlag,
    add_row,
    exits_on_errors,
    print_json,
    runtime,
    stdout_console,
    warn_skipped_senders,
)

if TYPE_CHECKING:
    from irp.orders.results import SubmitResult


def register(app: typer.Typer) -> None:
    """Add ``submit`` to the ``orders`` group."""

    @app.command("submit")
    def submit_command(
        ctx: typer.Context,
        name: Annotated[
            str | None,
            typer.Argument(metavar="NAME", help="Only this refurbisher (default: all)."),
        ] = None,
        json_output: JsonFlag = False,
    ) -> None:
        """Send every due order; also expire dead submitters' leases and run due lookups."""
        from irp.orders.cycle import submit_pass

        rt = runtime(ctx)
        with exits_on_errors():
            config = rt.config()
            skipped = warn_skipped_senders(config, name, applies=lambda ref: True)
            results = submit_pass(rt.database(), config, name)
        if json_output:
            print_json([result.to_json() for result in results])
        else:
            _print_table(results)
        if skipped or any(result.needs_operator for result in results):
            raise typer.Exit(EXIT_FAILED)


def _print_table(results: list[SubmitResult]) -> None:
    from rich.table import Table

    out = stdout_console()
    if not results:
        out.print("no order was due")
        return
    table = Table("id", "refurbisher", "status", "external reference", "attempts", "error")
    for result in results:
        add_row(
            table,
            result.order_id,
            result.refurbisher,
            str(result.status),
            result.external_reference or "",
            result.attempts,
            result.error,
        )
    out.print(table)
