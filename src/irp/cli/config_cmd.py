"""``irp config check [NAME] [--json]``: validate the config and its secrets, list every error.

Exit 0 when clean, 1 when the file has errors, 2 when it cannot be read or parsed.
"""

from __future__ import annotations

from typing import Annotated

import typer

from irp.cli.common import EXIT_FAILED, EXIT_USAGE, print_json, runtime
from irp.config import ConfigFileError, validate_config
from irp.errors import ConfigError

app = typer.Typer(no_args_is_help=True, help="Check the configuration file.")


@app.command("check")
def check(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="Only this refurbisher.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Validate the config and secrets for the active environment; list every error."""
    rt = runtime(ctx)
    try:
        result = validate_config(rt.config_path, rt.env, name)
    except ConfigFileError as exc:
        _report(rt.env, exc.errors, as_json)
        raise typer.Exit(EXIT_USAGE) from None
    if as_json:
        _report(rt.env, result.errors, as_json=True)
    elif result.errors:
        _report(rt.env, result.errors, as_json=False)
    else:
        names = ", ".join(result.refurbishers)
        typer.echo(
            f"config OK: {len(result.refurbishers)} refurbisher(s) ({names}) "
            f"in environment {rt.env}"
        )
    if result.errors:
        raise typer.Exit(EXIT_FAILED)


def _report(env: str, errors: list[ConfigError], as_json: bool) -> None:
    if as_json:
        print_json(
            {
                "ok": not errors,
                "env": env,
                "errors": [{"path": e.path, "message": e.message} for e in errors],
            }
        )
        return
    for error in errors:
        typer.echo(str(error))
    typer.echo(f"{len(errors)} configuration error(s) in environment {env}")
