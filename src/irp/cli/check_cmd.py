"""``irp check NAME``: reach the feed source and the order endpoint (placeholder)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add ``check`` to the root app."""
