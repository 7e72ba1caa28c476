"""The help people read: bare ``irp``, ``-h``, ``--version``, and clean flag help.

Every command of the tree (whoever added it) is rendered: no "<bool>" type labels on
flags and no literal backticks, which plain help would print as they are.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from irp.cli.app import app


def _commands(command: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path of the tree, the root (``()``) first."""
    found = [path]
    for name, sub in getattr(command, "commands", {}).items():
        found.extend(_commands(sub, (*path, name)))
    return found


COMMANDS = _commands(typer.main.get_command(app))
assert len(COMMANDS) > 15, COMMANDS


def test_bare_irp_prints_the_help_and_exits_0() -> None:
    bare = CliRunner().invoke(app, [])
    helped = CliRunner().invoke(app, ["--help"])

    assert bare.exit_code == 0
    assert bare.stdout == helped.stdout
    assert bare.stdout.startswith("Usage: irp [OPTIONS] COMMAND [ARGS]...\n")


def test_dash_h_is_help_everywhere() -> None:
    for path in COMMANDS:
        short = CliRunner().invoke(app, [*path, "-h"])
        long = CliRunner().invoke(app, [*path, "--help"])

        assert (short.exit_code, short.stdout) == (0, long.stdout), path


def test_version_prints_the_installed_version() -> None:
    result = CliRunner().invoke(app, ["--version"])

    assert result.exit_code == 0
    assert result.stdout == f"irp {version('irp')}\n"


@pytest.mark.parametrize("path", COMMANDS, ids=lambda path: " ".join(path) or "irp")
def test_help_has_no_type_labels_on_flags_nor_backticks(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"])

    assert result.exit_code == 0
    assert "<bool>" not in result.stdout
    assert "`" not in result.stdout
