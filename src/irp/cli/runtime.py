"""What every command needs: which config, which environment, which database.

Built once per invocation from the global options; the config and the database are
opened lazily so ``irp --help`` and usage errors never touch either.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from irp.environments import STANDARD_ENVIRONMENTS

if TYPE_CHECKING:
    from irp.config import Config
    from irp.store.db import Database

DEFAULT_CONFIG = "irp.json"
DEFAULT_ENV = "acceptance"


@dataclass
class Runtime:
    """The global options of one ``irp`` invocation, and what they open."""

    config_path: Path
    env: str
    db_url: str | None
    _config: Config | None = field(default=None, repr=False)
    _database: Database | None = field(default=None, repr=False)

    @classmethod
    def from_options(cls, config: str | None, env: str | None, db: str | None) -> Runtime:
        path = Path(config or os.environ.get("IRP_CONFIG") or DEFAULT_CONFIG).expanduser()
        return cls(
            config_path=path.resolve(),
            env=env or os.environ.get("IRP_ENV") or DEFAULT_ENV,
            db_url=db or os.environ.get("IRP_DATABASE_URL") or None,
        )

    def config(self) -> Config:
        """The loaded, validated config (secrets resolved). Raises ConfigErrors."""
        if self._config is None:
            from irp.config import load_config
            from irp.redact import install_redaction

            self._config = load_config(self.config_path, self.env)
            install_redaction(self._config.secret_values())
        return self._config

    def database(self) -> Database:
        """The environment's database, migrated and checked to belong to ``env``.

        An ``--env`` that no refurbisher defines is refused first (ConfigErrors), so a
        typo never creates a database of its own.
        """
        if self._database is None:
            from irp.store.db import default_database_url, open_database

            if self._config is None and self.env not in STANDARD_ENVIRONMENTS:
                from irp.config.load import check_environment

                check_environment(self.config_path, self.env)

            url = self.db_url or default_database_url(self.config_path, self.env)
            self._database = open_database(url, self.env)
        return self._database

    def close(self) -> None:
        """Close the database if this invocation opened it (called when the command ends)."""
        if self._database is not None:
            self._database.close()
            self._database = None
