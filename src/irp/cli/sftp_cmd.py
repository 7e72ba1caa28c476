"""``irp sftp trust NAME``: pin the SFTP server's current host key, on purpose.

IRP never trusts a host key silently; this command is the one way a key becomes
trusted (besides an operator writing ``host_key``/``known_hosts`` by hand). Where the
key is pinned is explained in ``irp.sources.hostkeys``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from irp.cli.common import (
    EXIT_FAILED,
    EXIT_USAGE,
    JsonFlag,
    exits_on_errors,
    fail,
    print_json,
    refurbisher_named,
    runtime,
)

if TYPE_CHECKING:
    from irp.sources.sftp import TrustResult

app = typer.Typer(no_args_is_help=True, help="SFTP feed helpers.")


@app.command("trust")
def trust_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The refurbisher key (e.g. flexit).")],
    as_json: JsonFlag = False,
) -> None:
    """Connect (no login), show the server's host key fingerprint and pin it."""
    from irp.sources import SftpSource, open_source
    from irp.sources.sftp import pin_server_key

    with exits_on_errors():
        config = runtime(ctx).config()
        refurbisher = refurbisher_named(config, name)
        offers = refurbisher.offers
        if offers is None or offers.connection != "sftp":
            got = "no offers section" if offers is None else f"connection {offers.connection!r}"
            fail(f"{name}.offers: only an SFTP feed has a host key to trust ({got})", EXIT_USAGE)
        source = open_source(offers, config_dir=config.path.parent, label=name)
        assert isinstance(source, SftpSource)
        result = pin_server_key(source)
    pinned_to = _pinned_to(name, result)
    if as_json:
        print_json(
            {
                "refurbisher": name,
                "host": result.host,
                "port": result.port,
                "fingerprint": result.fingerprint,
                "pinned_to": pinned_to,
            }
        )
    else:
        _print_human(name, result)
    if pinned_to is None:
        raise typer.Exit(EXIT_FAILED)


def _pinned_to(name: str, result: TrustResult) -> str | None:
    if result.pinned_to is not None:
        return str(result.pinned_to)
    return f"{name}.offers.auth.host_key" if result.in_config else None


def _print_human(name: str, result: TrustResult) -> None:
    where = f"{result.host}:{result.port}"
    typer.echo(f"{name}: {where} presents the host key {result.fingerprint}")
    if result.pinned_to is not None:
        typer.echo(f"pinned in {result.pinned_to}")
        for old in result.replaced:
            typer.echo(f"replaced the previously pinned key {old}")
    elif result.in_config:
        typer.echo(f"already pinned by {name}.offers.auth.host_key; nothing to change")
    else:
        typer.echo(
            f"{name}.offers.auth.host_key pins another key ({', '.join(result.replaced)}). "
            "If the supplier confirms the fingerprint above, set it in the config to:"
        )
        typer.echo(f"  {result.key_line}")
