"""The ``irp`` Typer application: global options, command groups, exit codes.

Exit codes (SPEC §6): 0 success; 1 a failed check or a refused operation; 2 a usage
error or a config that cannot be loaded. Bare ``irp`` prints this help and exits 0.

Start-up is part of the interface: cron runs ``irp`` many times a day. Command modules
import only Typer and this package's light modules at the top; polars, SQLAlchemy,
httpx and asyncssh are imported inside the commands that use them
(``tests/unit/cli/test_startup.py`` fails otherwise).
"""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer

from irp.cli import (
    check_cmd,
    config_cmd,
    demo_cmd,
    odoo_cmd,
    offers_cmd,
    orders_cmd,
    serve_cmd,
    sftp_cmd,
    worker_cmd,
)
from irp.cli.runtime import Runtime

app = typer.Typer(
    name="irp",
    help="IRP: offers, orders, shipments and monitoring for drop-ship refurbishers.",
    invoke_without_command=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # Plain help (these reach every command group): no "<bool>" labels, no Rich markup
    # to escape, and no rich_utils import.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(config_cmd.app, name="config")
app.add_typer(sftp_cmd.app, name="sftp")
app.add_typer(offers_cmd.app, name="offers")
app.add_typer(orders_cmd.app, name="orders")
app.add_typer(odoo_cmd.app, name="odoo")
check_cmd.register(app)
demo_cmd.register(app)
serve_cmd.register(app)
worker_cmd.register(app)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"irp {version('irp')}")
        raise typer.Exit(0)


@app.callback()
def main_options(
    ctx: typer.Context,
    config: Annotated[
        str | None,
        typer.Option(
            "--config", metavar="PATH", help="Config file (env IRP_CONFIG; default ./irp.json)."
        ),
    ] = None,
    env: Annotated[
        str | None,
        typer.Option(
            "--env", metavar="NAME", help="Environment (env IRP_ENV; default acceptance)."
        ),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="URL",
            help="Database URL (env IRP_DATABASE_URL; default next to the config).",
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log more to stderr.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Global options come before the command."""
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(0)
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    ctx.obj = Runtime.from_options(config, env, db)
    ctx.call_on_close(ctx.obj.close)


def main() -> None:
    """Console-script entry point."""
    app()
