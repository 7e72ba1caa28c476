"""``irp odoo check`` / ``irp odoo sync [NAME]``: the Odoo connection, and booking POs (SPEC §9).

Thin: ``check`` calls :func:`irp.odoo.check.check_odoo`, ``sync`` calls
:func:`irp.odoo.push.push_due` — the same function the scheduler runs. Heavy modules
(httpx, SQLAlchemy) load inside the commands, so ``irp --help`` stays fast.
Exit codes: 0 all good; 1 a check failed or an order could not be booked; 2 a usage
error or a config that cannot be loaded.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from irp.cli.common import EXIT_FAILED, exits_on_errors, fail, print_json, runtime

if TYPE_CHECKING:
    from irp.odoo.push import PushResult

app = typer.Typer(no_args_is_help=True, help="Odoo purchase orders: the connection, booking.")

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]


@app.command("check")
def check_command(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """Reach Odoo: URL, database, key, access rights, each refurbisher's vendor id.

    Nothing is created. Each failure names the setting to fix.
    """
    from dataclasses import asdict

    from irp.odoo.check import check_odoo

    with exits_on_errors():
        results = check_odoo(runtime(ctx).config())
    if json_output:
        print_json({"checks": [asdict(result) for result in results]})
    else:
        for result in results:
            typer.echo(f"{result.check}: {'OK' if result.ok else 'FAILED'} — {result.detail}")
    if not all(result.ok for result in results):
        raise typer.Exit(EXIT_FAILED)


@app.command("sync")
def sync_command(
    ctx: typer.Context,
    name: Annotated[
        str | None, typer.Argument(help="Only this refurbisher (default: all).")
    ] = None,
    retry: Annotated[
        bool,
        typer.Option("--retry", help="Also orders waiting out a backoff (you fixed the cause)."),
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Book every due accepted order as a purchase order in Odoo (what the scheduler does)."""
    from irp.odoo.push import push_due

    rt = runtime(ctx)
    with exits_on_errors():
        config = rt.config()
        if config.platform.odoo is None:
            fail("platform.odoo is not configured: add url, database and api_key (docs/odoo.md)")
        results = push_due(rt.database(), config, name, retry=retry)
    if json_output:
        print_json([result.to_json() for result in results])
    else:
        _print_table(results)
    if not all(result.booked for result in results):
        raise typer.Exit(EXIT_FAILED)


def _print_table(results: list[PushResult]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    width = None if sys.stdout.isatty() else 200
    out = Console(file=sys.stdout, highlight=False, soft_wrap=True, width=width)
    if not results:
        out.print("no order was due")
        return
    table = Table("id", "refurbisher", "outcome", "purchase order", "attempts", "next try", "error")
    for r in results:
        next_at = r.next_at.isoformat(timespec="seconds") if r.next_at else ""
        po = f"{r.po_name} (id {r.po_id})" if r.po_id is not None else ""
        cells = (r.order_id, r.refurbisher, str(r.outcome), po, str(r.attempts), next_at)
        table.add_row(*(Text(cell) for cell in (*cells, r.error or "")))
    out.print(table)
