"""Messages on stderr: whole lines when not on a terminal, text never read as markup."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from irp.cli.app import app


def test_a_long_error_is_not_wrapped_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    config = tmp_path / ("a-folder-with-a-rather-long-name-" * 4) / "irp.json"

    result = CliRunner().invoke(app, ["--config", str(config), "offers", "list", "flexit"])

    assert result.exit_code == 2
    assert (
        result.stderr == f"error: {config}: file not found; pass --config PATH or set IRP_CONFIG\n"
    )
