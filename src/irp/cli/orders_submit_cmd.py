"""``irp orders submit [NAME]``: one complete pass of the order pipeline (SPEC §3, §6).

In this order: expire dead submitters' leases (-> ``uncertain``), run due lookups
(found -> ``submitted``; confirmed not-found -> due again), then send every due order —
so a cron-driven set-up without ``irp serve`` is complete. Exit 0 when every order
this run touched ended ``submitted`` or waits for a retry; 1 when any ended
``failed``, ``rejected`` or ``uncertain``, or is held by a paused refurbisher.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from irp.cli.common import EXIT_FAILED, exits_on_errors, print_json, runtime
from irp.config import Config
from irp.orders.leases import expire_leases
from irp.orders.lookup import run_due_lookups
from irp.orders.submit import SubmitResult, order_result, submit_due
from irp.store.db import Database


def submit_pass(db: Database, config: Config, refurbisher: str | None) -> list[SubmitResult]:
    """Expire leases, run due lookups, submit due orders; the last word on each order."""
    if refurbisher is not None:
        config.refurbisher(refurbisher)  # a ConfigError naming the known ones
    merged: dict[str, SubmitResult] = {}
    expired = expire_leases(db, config)
    with db.connect() as conn:
        for order_id in expired:
            result = order_result(conn, order_id)
            if refurbisher is None or result.refurbisher == refurbisher:
                merged[order_id] = result
    for result in run_due_lookups(db, config, refurbisher=refurbisher):
        merged[result.order_id] = result
    for result in submit_due(db, config, refurbisher=refurbisher):
        merged[result.order_id] = result
    return list(merged.values())


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
        table.add_row(
            result.order_id,
            result.refurbisher,
            str(result.status),
            result.external_reference or "",
            str(result.attempts),
            result.error or "",
        )
    out.print(table)
