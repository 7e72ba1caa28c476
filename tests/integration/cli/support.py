"""What the CLI tests share: ``irp`` on a folder's config and a test database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from irp.cli.app import app
from tests.fixtures.order_api import FLEXIT_CLIENT_ID, FLEXIT_CLIENT_SECRET


class Irp:
    """``irp --config FOLDER/irp.json --db URL ...`` through the real Typer app."""

    def __init__(self, folder: Path, db_url: str) -> None:
        self.folder, self.db_url = folder, db_url

    def __call__(self, *args: str) -> Result:
        config = str(self.folder / "irp.json")
        return CliRunner().invoke(app, ["--config", config, "--db", self.db_url, *args])

    def write(self, document: object) -> None:
        """Replace the config file."""
        (self.folder / "irp.json").write_text(json.dumps(document))


def flexit_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """The FlexIT secrets in the environment; the order API ones the simulator accepts."""
    monkeypatch.setenv("FLEXIT_SFTP_PASSWORD", "sftp-pw")
    monkeypatch.setenv("FLEXIT_CLIENT_ID", FLEXIT_CLIENT_ID)
    monkeypatch.setenv("FLEXIT_CLIENT_SECRET", FLEXIT_CLIENT_SECRET)
    monkeypatch.delenv("IRP_ENV", raising=False)
