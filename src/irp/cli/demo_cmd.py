"""``irp demo``: a complete local run against the bundled FlexIT sandbox."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the root app."""

    @app.command("demo")
    def demo(
        rows: Annotated[int, typer.Option("--rows", help="Rows in the sample feed.")] = 500,
        keep: Annotated[
            Path | None, typer.Option("--keep", help="Keep the demo's files in this folder.")
        ] = None,
    ) -> None:
        """Run IRP end to end against the bundled FlexIT simulators (nothing to set up)."""
        from irp.sandbox.demo import run_demo

        raise typer.Exit(run_demo(rows=rows, keep=keep))
