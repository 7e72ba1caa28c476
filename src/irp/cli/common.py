"""Helpers shared by the commands: runtime access, JSON output, error-to-exit mapping."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console

from irp import jsonable
from irp.cli.runtime import Runtime
from irp.errors import ConfigError, IrpError

if TYPE_CHECKING:
    from irp.config import Config, Refurbisher

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

stderr = Console(stderr=True)


def runtime(ctx: typer.Context) -> Runtime:
    """The Runtime built by the global options (``irp --config ... <command>``)."""
    obj = ctx.find_root().obj
    assert isinstance(obj, Runtime)
    return obj


def refurbisher_named(config: Config, name: str) -> Refurbisher:
    """The refurbisher ``name`` of ``config``; a usage error (exit 2) naming the known ones."""
    found = config.refurbishers.get(name)
    if found is None:
        known = ", ".join(sorted(config.refurbishers)) or "none"
        fail(f"unknown refurbisher {name!r}; the config defines: {known}", EXIT_USAGE)
    return found


def print_json(data: Any) -> None:
    """Machine-readable output on stdout: Decimals as strings, datetimes as ISO 8601."""
    sys.stdout.write(jsonable.dumps(data, indent=2) + "\n")


def fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    """Print ``message`` on stderr and exit with ``code``."""
    stderr.print(f"[red]error:[/red] {message}", highlight=False, markup=True)
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
