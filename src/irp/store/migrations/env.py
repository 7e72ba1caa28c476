"""Alembic environment for IRP's store.

At runtime ``irp.store.db.open_database`` calls the migrations with an open connection
(``config.attributes["connection"]``), already inside a transaction that holds the
migration lock. Developers run ``alembic revision --autogenerate`` from the repo root
(``alembic.ini``), with the database from ``IRP_DATABASE_URL`` or ``sqlalchemy.url``.
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from alembic import context

from irp.store.tables import metadata

config = context.config


def _configure(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        user_module_prefix="irp_types.",
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_migrations_online() -> None:
    """Migrate on the given connection, or on a fresh one for developer commands."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = os.environ.get("IRP_DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("set IRP_DATABASE_URL or sqlalchemy.url in alembic.ini")
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            _configure(conn)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations_online()
