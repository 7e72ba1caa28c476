"""Opening an environment's database: engine, migrations, and the environment guard.

Each environment (acceptance, production) has its own database, and the database
remembers which one it was created for (``irp_meta.environment``): opening it for
another environment is refused, so a mistaken ``--env`` can never mix production
orders into acceptance data. Migrations run on every open (a no-op when current),
serialised across processes: ``BEGIN IMMEDIATE`` on SQLite, an advisory lock on
PostgreSQL.

Opening an up-to-date database does not import alembic: the head revision is read
from the version files' text (``_quick_head``) and compared with ``alembic_version``;
anything unusual leaves the decision to alembic. Every command opens the database,
and alembic's import alone is about 0.1 s.

SQLite connections run in WAL mode with foreign keys on and a 30 s busy timeout.
SQLAlchemy's pysqlite driver does not emit ``BEGIN`` itself; we do (the documented
recipe), which makes SQLite DDL transactional and lets a connection ask for
``BEGIN IMMEDIATE`` with ``conn.execution_options(sqlite_begin="IMMEDIATE")`` — use it
for a read-then-write compare-and-set so two writers queue instead of failing.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig
    from sqlalchemy.orm import Session

from irp.errors import EnvironmentMismatchError, StoreError
from irp.store.tables import irp_meta

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_MIGRATION_LOCK_KEY = 0x1A9_5709  # pg_advisory_xact_lock key: "irp store migrate"
_BUSY_TIMEOUT_SECONDS = 30
_REVISION_LINE = re.compile(
    r"^(down_)?revision(?:\s*:\s*[^=\n]+)?\s*=\s*[\"']([^\"'\n]+)[\"']\s*$", re.M
)


def default_database_url(config_path: Path, env: str) -> str:
    """The environment's SQLite file beside the config file (never the working directory).

    >>> default_database_url(Path("/etc/irp/irp.json"), "production")
    'sqlite:////etc/irp/irp-production.db'
    """
    folder = config_path.expanduser().resolve().parent
    return f"sqlite:///{folder / f'irp-{env}.db'}"


class Database:
    """An open, migrated database that belongs to ``env``."""

    def __init__(self, engine: sa.Engine, env: str) -> None:
        self.engine = engine
        self.env = env
        self.url = engine.url.render_as_string(hide_password=True)
        self.dialect: str = engine.dialect.name
        # SQLite: this process's write transactions take turns here, in order, before
        # they ask SQLite for its write lock — a thread waiting inside SQLite's busy
        # handler sleeps in steps of up to 100 ms and may miss the lock again and
        # again, which under load turned milliseconds of work into seconds of waiting.
        # Other processes still meet at SQLite's lock. Reentrant: a nested write in
        # one thread behaves as before (SQLite's own lock decides).
        self._write_turn = threading.RLock() if self.dialect == "sqlite" else None

    def __repr__(self) -> str:
        return f"Database({self.url!r}, env={self.env!r})"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """An ORM session that commits when the block succeeds and rolls back if it raises."""
        from sqlalchemy.orm import Session

        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def connect(self) -> sa.Connection:
        """A Core connection for bulk work; the caller commits (``with db.connect() as c``)."""
        return self.engine.connect()

    @contextmanager
    def begin(self) -> Iterator[sa.Connection]:
        """A Core connection inside one transaction, committed when the block succeeds."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def write_transaction(self) -> Iterator[sa.Connection]:
        """One read-then-write transaction: the compare-and-set paths use it.

        On SQLite it starts with ``BEGIN IMMEDIATE``, so the write lock is taken before
        the read and two writers queue instead of failing at commit; PostgreSQL's row
        locks and compare-and-set ``UPDATE ... WHERE`` need nothing more.
        """
        if self._write_turn is None:
            with self.engine.connect() as conn, conn.begin():
                yield conn
            return
        with self._write_turn, self.engine.connect() as conn, immediate(conn).begin():
            yield conn

    def now(self) -> datetime:
        """The database's clock, as aware UTC (leases and locks compare against it)."""
        with self.engine.connect() as conn:
            return database_now(conn)

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def immediate(conn: sa.Connection) -> sa.Connection:
    """``conn`` set to begin its transactions with ``BEGIN IMMEDIATE`` on SQLite."""
    if conn.dialect.name == "sqlite":
        conn.execution_options(sqlite_begin="IMMEDIATE")
    return conn


def insert_id(conn: sa.Connection, insert: sa.Insert) -> int:
    """Run a one-row ``insert`` and return the integer primary key it gave the row."""
    key = conn.execute(insert).inserted_primary_key
    assert key is not None
    return int(key[0])


def database_now(conn: sa.Connection) -> datetime:
    """The database server's current time as aware UTC, read on ``conn``."""
    if conn.dialect.name == "sqlite":
        text = conn.exec_driver_sql("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')").scalar_one()
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    value: datetime = conn.exec_driver_sql("SELECT clock_timestamp()").scalar_one()
    return value.astimezone(UTC)


def open_database(url: str, env: str) -> Database:
    """Open ``url`` for environment ``env``: migrate to head and check the owner.

    Raises ``EnvironmentMismatchError`` when the database was created for another
    environment, and ``StoreError`` when it cannot be opened at all.
    """
    sa_url = _parse_url(url)
    shown = sa_url.render_as_string(hide_password=True)
    engine = _create_engine(sa_url)
    try:
        with engine.connect() as conn, immediate(conn).begin():
            if conn.dialect.name == "postgresql":
                conn.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY}
                )
            _check_environment(conn, env, shown)
            head = _quick_head()
            if head is None or _stored_revision(conn) != head:
                head = _migrate(conn)
            _record_environment(conn, env, head)
    except sa.exc.OperationalError as exc:
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise StoreError(
            f"cannot open database {shown}: {reason}; check --db or IRP_DATABASE_URL"
        ) from exc
    except BaseException:
        engine.dispose()
        raise
    return Database(engine, env)


def _parse_url(url: str) -> URL:
    try:
        sa_url = make_url(url)
    except sa.exc.ArgumentError as exc:
        raise StoreError(
            f"{url.split('@')[-1]!r} is not a database URL; expected sqlite:///PATH or "
            "postgresql+psycopg://USER@HOST/NAME (--db or IRP_DATABASE_URL)"
        ) from exc
    if sa_url.drivername in ("postgresql", "postgres"):
        sa_url = sa_url.set(drivername="postgresql+psycopg")
    if sa_url.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(
            f"database {sa_url.render_as_string(hide_password=True)}: only SQLite and "
            "PostgreSQL (postgresql+psycopg://) are supported"
        )
    return sa_url


def _create_engine(url: URL) -> sa.Engine:
    if url.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True)
    engine = sa.create_engine(url, connect_args={"timeout": _BUSY_TIMEOUT_SECONDS})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA cache_size = -65536")  # 64 MiB: bulk index writes stay in memory
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode not in ("DEFERRED", "IMMEDIATE", "EXCLUSIVE"):
            raise StoreError(f"sqlite_begin={mode!r}: expected DEFERRED, IMMEDIATE or EXCLUSIVE")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _quick_head() -> str | None:
    """The head revision, read from the version files' text; None when unsure.

    Every file must say ``revision = "..."``; a merge, a branch or anything unusual
    gives None, and alembic decides.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for file in (MIGRATIONS_DIR / "versions").glob("*.py"):
        if file.name == "__init__.py":
            continue
        found = {
            bool(down): revision for down, revision in _REVISION_LINE.findall(file.read_text())
        }
        if False not in found:
            return None
        revisions.add(found[False])
        if True in found:
            parents.add(found[True])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _stored_revision(conn: sa.Connection) -> str | None:
    """The database's one alembic revision (None: none yet, or several)."""
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    found = list(conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())
    return found[0] if len(found) == 1 else None


def _alembic_config(conn: sa.Connection) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = conn
    return config


def _migrate(conn: sa.Connection) -> str:
    """Upgrade to head on ``conn`` (inside the caller's locked transaction); the head."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = _alembic_config(conn)
    head = ScriptDirectory.from_config(config).get_current_head()
    if head is None:
        raise StoreError(f"no migrations found in {MIGRATIONS_DIR}; the installation is broken")
    if MigrationContext.configure(conn).get_current_revision() != head:
        command.upgrade(config, "head")
    return head


def _stored_environment(conn: sa.Connection) -> str | None:
    if not sa.inspect(conn).has_table(irp_meta.name):
        return None
    query = sa.select(irp_meta.c.value).where(irp_meta.c.key == "environment")
    return conn.execute(query).scalar_one_or_none()


def _check_environment(conn: sa.Connection, env: str, shown_url: str) -> None:
    stored = _stored_environment(conn)
    if stored is not None and stored != env:
        raise EnvironmentMismatchError(
            f"database {shown_url} belongs to environment {stored!r}, not {env!r}; "
            "use --db or IRP_DATABASE_URL to pick the right one"
        )


def _record_environment(conn: sa.Connection, env: str, head: str) -> None:
    stored = dict(conn.execute(sa.select(irp_meta.c.key, irp_meta.c.value)).tuples().all())
    wanted = {"environment": env, "schema_version": head}
    if "created_at" not in stored:
        wanted["created_at"] = database_now(conn).isoformat()
    for key, value in wanted.items():
        if key not in stored:
            conn.execute(sa.insert(irp_meta).values(key=key, value=value))
        elif stored[key] != value:
            conn.execute(sa.update(irp_meta).where(irp_meta.c.key == key).values(value=value))
