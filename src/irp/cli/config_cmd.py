"""``irp config check [NAME] [--json]``: validate the config and its secrets, list every error.

Exit 0 when clean (warnings alone keep it 0); 1 when a refurbisher has errors (each
is listed; the others still work); 2 when the file cannot be read or parsed, or has
errors outside any refurbisher (the top level, ``platform``, an unknown environment),
which stop every command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from irp.cli.common import EXIT_FAILED, EXIT_USAGE, JsonFlag, print_json, runtime, warn

if TYPE_CHECKING:
    from irp.errors import ConfigError

app = typer.Typer(no_args_is_help=True, help="Check the configuration file.")


@app.command("check")
def check(
    ctx: typer.Context,
    name: Annotated[
        str | None, typer.Argument(metavar="NAME", help="Only this refurbisher.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Validate the config and secrets for the active environment; list every error."""
    from irp.config import ConfigFileError, validate_config

    rt = runtime(ctx)
    try:
        result = validate_config(rt.config_path, rt.env, name)
    except ConfigFileError as exc:
        _report(rt.env, exc.errors, [], as_json)
        raise typer.Exit(EXIT_USAGE) from None
    if as_json or result.errors:
        _report(rt.env, result.errors, result.warnings, as_json)
    else:
        for warning in result.warnings:
            typer.echo(f"warning: {warning}")
        names = ", ".join(result.refurbishers)
        warned = f", {len(result.warnings)} warning(s)" if result.warnings else ""
        typer.echo(
            f"config OK: {len(result.refurbishers)} refurbisher(s) ({names}) "
            f"in environment {rt.env}{warned}"
        )
    if result.config is not None and name is not None:
        others = [key for key in result.config.broken if key != name]
        if others:
            warn(f"also disabled by their configuration: {', '.join(others)}")
    if result.config is None:
        raise typer.Exit(EXIT_USAGE)
    if result.errors:
        raise typer.Exit(EXIT_FAILED)


def _report(
    env: str, errors: list[ConfigError], warnings: list[ConfigError], as_json: bool
) -> None:
    if as_json:
        print_json(
            {
                "ok": not errors,
                "env": env,
                "errors": [{"path": e.path, "message": e.message} for e in errors],
                "warnings": [{"path": w.path, "message": w.message} for w in warnings],
            }
        )
        return
    for error in errors:
        typer.echo(str(error))
    for warning in warnings:
        typer.echo(f"warning: {warning}")
    typer.echo(f"{len(errors)} configuration error(s) in environment {env}")
