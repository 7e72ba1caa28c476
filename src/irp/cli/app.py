"""The ``irp`` Typer application: global options, command groups, exit codes.

Exit codes (SPEC §6): 0 success; 1 a failed check or a refused operation; 2 a usage
error or a config that cannot be loaded.
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
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
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


@app.callback()
def main_options(
    ctx: typer.Context,
    config: Annotated[
        str | None,
        typer.Option("--config", help="Config file (env IRP_CONFIG; default ./irp.json)."),
    ] = None,
    env: Annotated[
        str | None, typer.Option("--env", help="Environment (env IRP_ENV; default acceptance).")
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db", help="Database URL (env IRP_DATABASE_URL; default next to the config)."
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log more to stderr.")] = False,
) -> None:
    """Global options come before the command."""
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
