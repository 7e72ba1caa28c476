"""Helpers shared by the commands: runtime access, output, warnings, error-to-exit mapping.

Two rules hold for everything printed here:

- Text from outside IRP (a supplier's answer, a feed's cells, a config value) is data,
  never Rich markup: a 422 body holding ``[/b]`` prints as it is. Tables get their
  cells through :func:`add_row`, styled lines through :func:`labelled`.
- Messages on stderr are wrapped only on a terminal; piped or captured (cron mail,
  logs, scripts) each message stays on its own lines, as written.

Heavy libraries are imported inside the commands that need them, so ``irp --help``
starts at once; a test keeps this true.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from irp import jsonable
from irp.cli.runtime import Runtime
from irp.errors import ConfigError, IrpError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from irp.config import Config, Refurbisher

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]


def runtime(ctx: typer.Context) -> Runtime:
    """The Runtime built by the global options (``irp --config ... <command>``)."""
    obj = ctx.find_root().obj
    assert isinstance(obj, Runtime)
    return obj


def refurbisher_named(config: Config, name: str) -> Refurbisher:
    """The healthy refurbisher ``name`` of ``config``, warning about any broken other.

    Exit 2 with its errors when ``name`` is broken, and naming the known ones when the
    config has no ``name``.
    """
    if name not in config.refurbishers and name not in config.broken:
        known = ", ".join(sorted([*config.refurbishers, *config.broken])) or "none"
        fail(f"unknown refurbisher {name!r}; the config defines: {known}", EXIT_USAGE)
    try:
        found = config.refurbisher(name)
    except ConfigError as exc:  # broken: its own errors
        fail(str(exc), EXIT_USAGE)
    warn_broken(config)
    return found


def warn_broken(config: Config) -> bool:
    """Warn on stderr about each refurbisher its own config errors set aside; any?"""
    for key, errors in config.broken.items():
        more = f", and {len(errors) - 1} more" if len(errors) > 1 else ""
        warn(
            f"refurbisher {key} is disabled by its configuration ({errors[0]}{more}); "
            f"irp config check {key} lists every error"
        )
    return bool(config.broken)


def warn_skipped_senders(
    config: Config, name: str | None, *, applies: Callable[[Refurbisher], bool]
) -> bool:
    """Warn about the refurbishers a pass that calls order APIs leaves out; any?

    Such a pass (submission, shipment polls) keeps the environments apart: the broken
    refurbishers, and those ``applies`` to whose order endpoints were not chosen for
    this environment, are named on stderr. A named refurbisher that is broken ends the
    command here (:func:`refurbisher_named`); its refusal is the pass's own error.
    """
    if name is not None:
        refurbisher_named(config, name)
        return False
    refused = [
        ref for ref in config.refurbishers.values() if applies(ref) and ref.order_endpoint_refusal
    ]
    for ref in refused:
        warn(f"{ref.key} was skipped: {ref.order_endpoint_refusal}")
    return warn_broken(config) or bool(refused)


def print_json(data: Any) -> None:
    """Machine-readable output on stdout: Decimals as strings, datetimes as ISO 8601."""
    sys.stdout.write(jsonable.dumps(data, indent=2) + "\n")


def stderr_console() -> Console:
    """A Console on stderr that wraps lines only on a terminal."""
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=not sys.stderr.isatty())


def stdout_console() -> Console:
    """A Console on stdout; piped output gets wide tables instead of 80 columns."""
    from rich.console import Console

    width = None if sys.stdout.isatty() else 200
    return Console(file=sys.stdout, highlight=False, soft_wrap=True, width=width)


def labelled(label: str, style: str, message: str) -> Text:
    """``label`` in ``style``, a space, then ``message`` as plain text (never markup)."""
    from rich.text import Text

    return Text.assemble((label, style), " ", message)


def add_row(table: Table, *cells: object) -> None:
    """Add a row whose cells are data, not markup: "[401]" or "[/b]" print as they are."""
    from rich.text import Text

    table.add_row(*(Text("" if cell is None else str(cell)) for cell in cells))


def note(message: str) -> None:
    """``message`` on stderr, as plain text (what goes with the output on stdout)."""
    stderr_console().print(message, markup=False)


def warn(message: str) -> None:
    """``warning: message`` on stderr."""
    stderr_console().print(labelled("warning:", "yellow", message))


def fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    """Print ``error: message`` on stderr and exit with ``code``."""
    stderr_console().print(labelled("error:", "red", message))
    raise typer.Exit(code)


@contextmanager
def exits_on_errors() -> Iterator[None]:
    """Map IRP errors to exit codes: config errors are 2, everything else 1."""
    try:
        yield
    except ConfigError as exc:
        fail(str(exc), EXIT_USAGE)
    except IrpError as exc:
        fail(str(exc), EXIT_FAILED)
