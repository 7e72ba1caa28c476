"""Bulk reads and writes of a refurbisher's offers, fast enough for million-row feeds.

Every function takes a ``Connection`` inside the caller's transaction (the sync writes
one feed in one transaction) and moves whole polars frames: ``executemany`` on
SQLite, ``COPY`` on PostgreSQL (see ``_frames.py``).

Frames use the table's column names. Accepted input types:

- money (``price_*_amount``, ``held_purchase_amount``): ``pl.Decimal`` or decimal
  strings (``"249.00"``), at most 4 decimals — floats are refused;
- ``row_hash``: ``Int64`` or ``UInt64`` (polars' ``hash()``; stored as the signed
  64-bit reinterpretation, and read back as ``Int64``);
- ``price_breakdown`` / ``extra``: a JSON string (or a Struct, JSON-encoded here);
- ``vanished_at``: an aware ``Datetime`` (or all-null).

Frames read back carry money as ``pl.Decimal(14, 4)``, datetimes as
``Datetime("us", "UTC")`` and JSON as strings.

Unlisting an offer resets its ``row_hash`` to 0, so the next sync that sees the SKU
again counts it as changed and rewrites its stock and listing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Final

import polars as pl
import sqlalchemy as sa

from irp.errors import StoreError
from irp.store import _frames
from irp.store._frames import Kind
from irp.store.tables import offers as offers_table
from irp.store.types import sqlite_datetime, to_utc

UNLIST_REASONS: Final = frozenset({"vanished", "invalid_row", "price_jump", "stale"})

OFFER_COLUMNS: Final[dict[str, Kind]] = {
    "id": "int",
    "refurbisher": "str",
    "sku": "str",
    "name": "str",
    "ean": "str",
    "stock_available": "int",
    "price_purchase_amount": "money",
    "price_consumer_amount": "money",
    "price_selling_amount": "money",
    "price_selling_amount_incl_vat": "money",
    "listed": "bool",
    "above_srp": "bool",
    "price_breakdown": "json",
    "extra": "json",
    "row_hash": "int",
    "held_purchase_amount": "money",
    "hold_reason": "str",
    "unlisted_reason": "str",
    "created_at": "datetime",
    "updated_at": "datetime",
    "vanished_at": "datetime",
    "last_run_id": "int",
}
"""Every column of ``offers`` and how it travels (see the module docstring)."""

INDEX_COLUMNS: Final = (
    "sku",
    "id",
    "row_hash",
    "listed",
    "stock_available",
    "price_purchase_amount",
    "held_purchase_amount",
)
"""What the sync's diff needs of every stored offer."""

_MANAGED = frozenset({"id", "refurbisher", "created_at", "updated_at", "last_run_id"})
WRITABLE_COLUMNS: Final = frozenset(OFFER_COLUMNS) - _MANAGED - {"sku"}
"""Columns a frame may carry for insert/update besides ``sku``; the rest are set here."""

_REQUIRED_ON_INSERT = ("stock_available", "listed", "row_hash")


def load_offer_index(
    conn: sa.Connection,
    refurbisher: str,
    *,
    columns: Sequence[str] = INDEX_COLUMNS,
    skus: pl.Series | None = None,
) -> pl.DataFrame:
    """The diff index of ``refurbisher``'s stored offers, one row per SKU.

    ``columns`` (default ``INDEX_COLUMNS``) narrows what is read: the sync reads
    ``sku``, ``row_hash`` and ``listed`` of every offer, and prices only for ``skus``
    (the offers it will compare), which keeps a million-row index cheap.
    """
    kinds = {c: OFFER_COLUMNS[c] for c in columns}
    if skus is None:
        return _frames.fetch_frame(conn, "offers", kinds, "refurbisher = %s", [refurbisher])
    return _frames.fetch_frame_for_keys(conn, "offers", kinds, refurbisher, "sku", skus)


def index_version(conn: sa.Connection, refurbisher: str) -> object:
    """What changes whenever any of ``refurbisher``'s offers is written: the newest
    ``updated_at`` (every write here sets it; offers are never deleted).

    Lets the sync read its index ahead, outside its transaction, and check it is
    still current once inside (one lookup in the (refurbisher, updated_at) index).
    """
    query = sa.select(sa.func.max(offers_table.c.updated_at)).where(
        offers_table.c.refurbisher == refurbisher
    )
    return conn.execute(query).scalar_one()


def load_offers(
    conn: sa.Connection, refurbisher: str, *, listed_only: bool = False
) -> pl.DataFrame:
    """Every column of ``refurbisher``'s offers (for list and export), ordered by SKU."""
    where = "refurbisher = %s" + (" AND listed = %s" if listed_only else "")
    params: list[object] = [refurbisher, True] if listed_only else [refurbisher]
    frame = _frames.fetch_frame(conn, "offers", OFFER_COLUMNS, where, params)
    return frame.sort("sku")


def insert_offers(
    conn: sa.Connection, refurbisher: str, df: pl.DataFrame, *, run_id: int | None, now: datetime
) -> int:
    """Insert new offers (SKUs not stored yet); the number inserted.

    ``df`` needs ``sku``, ``stock_available``, ``listed`` and ``row_hash``; other
    ``WRITABLE_COLUMNS`` are optional (NULL, ``above_srp`` false when absent).
    """
    missing = [c for c in ("sku", *_REQUIRED_ON_INSERT) if c not in df.columns]
    if missing:
        raise StoreError(f"insert_offers({refurbisher!r}): missing column(s) {', '.join(missing)}")
    if df.height == 0:
        return 0
    if "above_srp" not in df.columns:
        df = df.with_columns(pl.lit(False).alias("above_srp"))
    # A column that is null throughout is left to the table's NULL: less to send.
    empty = [
        c for c in df.columns if c not in _REQUIRED_ON_INSERT and df[c].null_count() == df.height
    ]
    dialect = conn.dialect.name
    frame = _prepare(df.drop(empty), refurbisher, dialect)
    constants: dict[str, object] = {
        "refurbisher": refurbisher,
        "created_at": _frames.db_datetime(conn, now),
        "updated_at": _frames.db_datetime(conn, now),
        "last_run_id": run_id,
    }
    if dialect == "sqlite":
        # Constants go into the statement as literals, so no per-row value is built.
        names = ", ".join(f'"{c}"' for c in [*frame.columns, *constants])
        literals = [_frames.sqlite_literal(v) for v in constants.values()]
        marks = ", ".join(["?"] * frame.width + literals)
        with _sqlite_bulk_indexes(conn, frame.height):
            _frames.execute_many(conn, f"INSERT INTO offers ({names}) VALUES ({marks})", frame)
    else:
        _frames.copy_in(conn, "offers", frame, constants=constants)
    return frame.height


def update_offers(
    conn: sa.Connection, refurbisher: str, df: pl.DataFrame, *, run_id: int | None, now: datetime
) -> int:
    """Set every column ``df`` carries on the stored offers with the same ``sku``.

    Also sets ``updated_at`` and ``last_run_id``. A reappearing offer should pass
    ``unlisted_reason`` and ``vanished_at`` as nulls to clear them. Returns the number
    of offers updated (SKUs not stored are ignored).
    """
    if "sku" not in df.columns:
        raise StoreError(f"update_offers({refurbisher!r}): missing column sku")
    if df.height == 0:
        return 0
    dialect = conn.dialect.name
    frame = _prepare(df, refurbisher, dialect)
    columns = [c for c in frame.columns if c != "sku"]
    if dialect == "sqlite":
        assignments = ", ".join(f'"{c}" = ?' for c in [*columns, "updated_at", "last_run_id"])
        ordered = frame.select(
            *columns,
            _lit_datetime(now, dialect).alias("updated_at"),
            pl.lit(run_id, dtype=pl.Int64).alias("last_run_id"),
            pl.lit(refurbisher).alias("refurbisher"),
            "sku",
        )
        sql = f"UPDATE offers SET {assignments} WHERE refurbisher = ? AND sku = ?"
        return _frames.execute_many(conn, sql, ordered)
    names = ", ".join(f'"{c}"' for c in frame.columns)
    conn.exec_driver_sql("DROP TABLE IF EXISTS pg_temp.irp_offer_stage")
    conn.exec_driver_sql(
        "CREATE TEMP TABLE irp_offer_stage ON COMMIT DROP AS "
        f"SELECT {names} FROM offers WITH NO DATA"
    )
    _frames.copy_in(conn, "irp_offer_stage", frame)
    conn.exec_driver_sql("ANALYZE irp_offer_stage")
    assignments = ", ".join(f'"{c}" = s."{c}"' for c in columns)
    result = conn.exec_driver_sql(
        f"UPDATE offers AS o SET {assignments}, updated_at = %(now)s, last_run_id = %(run)s "
        "FROM irp_offer_stage AS s WHERE o.refurbisher = %(ref)s AND o.sku = s.sku",
        {"now": _frames.db_datetime(conn, now), "run": run_id, "ref": refurbisher},
    )
    conn.exec_driver_sql("DROP TABLE pg_temp.irp_offer_stage")
    return int(result.rowcount)


def unlist_offers(
    conn: sa.Connection,
    refurbisher: str,
    skus: list[str],
    *,
    reason: str,
    run_id: int | None,
    now: datetime,
) -> int:
    """Take offers off the market without deleting them; the number changed.

    Sets stock 0, ``listed`` false, ``unlisted_reason`` and (for ``vanished``)
    ``vanished_at``; resets ``row_hash`` to 0 so a reappearing SKU is rewritten.
    """
    if reason not in UNLIST_REASONS:
        raise StoreError(
            f"unlist reason {reason!r}: expected one of {', '.join(sorted(UNLIST_REASONS))}"
        )
    if not skus:
        return 0
    stamp = _frames.db_datetime(conn, now)
    vanished = stamp if reason == "vanished" else None
    if conn.dialect.name == "sqlite":
        sql = (
            "UPDATE offers SET stock_available = 0, listed = 0, row_hash = 0, unlisted_reason = ?, "
            "vanished_at = coalesce(?, vanished_at), updated_at = ?, last_run_id = ? "
            "WHERE refurbisher = ? AND sku = ?"
        )
        frame = pl.DataFrame({"sku": skus}, schema={"sku": pl.String}).select(
            pl.lit(reason).alias("reason"),
            pl.lit(vanished, dtype=pl.String).alias("vanished"),
            pl.lit(stamp).alias("now"),
            pl.lit(run_id, dtype=pl.Int64).alias("run"),
            pl.lit(refurbisher).alias("refurbisher"),
            "sku",
        )
        return _frames.execute_many(conn, sql, frame)
    result = conn.exec_driver_sql(
        "UPDATE offers SET stock_available = 0, listed = false, row_hash = 0, "
        "unlisted_reason = %(reason)s, vanished_at = coalesce(%(vanished)s, vanished_at), "
        "updated_at = %(now)s, last_run_id = %(run)s "
        "WHERE refurbisher = %(ref)s AND sku = ANY(%(skus)s)",
        {
            "reason": reason,
            "vanished": vanished,
            "now": stamp,
            "run": run_id,
            "ref": refurbisher,
            "skus": skus,
        },
    )
    return int(result.rowcount)


#: Inserting at least this many rows, and most of the table, rebuilds its secondary
#: indexes once afterwards instead of updating them row by row (a third of the time).
_BULK_ROWS = 100_000


@contextmanager
def _sqlite_bulk_indexes(conn: sa.Connection, rows: int) -> Iterator[None]:
    """SQLite: drop the secondary indexes of ``offers`` around a large insert.

    Inside the caller's transaction, so the indexes are never missing for anyone
    else: WAL readers keep seeing the committed table, and a failure rolls back the
    drop. The unique (refurbisher, sku) index stays and still guards the insert.
    PostgreSQL is left alone: DROP INDEX would lock out every reader of ``offers``.
    """
    if rows < _BULK_ROWS:
        yield
        return
    stored = conn.execute(sa.select(sa.func.count()).select_from(offers_table)).scalar_one()
    if stored > rows:
        yield
        return
    indexes = [i for i in offers_table.indexes if not i.unique]
    for index in indexes:
        index.drop(conn, checkfirst=True)
    yield
    for index in indexes:
        index.create(conn)


def _prepare(df: pl.DataFrame, refurbisher: str, dialect: str) -> pl.DataFrame:
    unknown = [c for c in df.columns if c != "sku" and c not in WRITABLE_COLUMNS]
    if unknown:
        raise StoreError(
            f"offers of {refurbisher!r}: column(s) {', '.join(unknown)} are not offer columns; "
            "put other mapped fields in 'extra' as JSON"
        )
    if df.get_column("sku").null_count():
        raise StoreError(f"offers of {refurbisher!r}: a row has no sku")
    return df.select(
        _frames.to_db_column(df, c, "str" if c == "sku" else OFFER_COLUMNS[c], dialect).alias(c)
        for c in df.columns
    )


def _lit_datetime(now: datetime, dialect: str) -> pl.Expr:
    if dialect == "sqlite":
        return pl.lit(sqlite_datetime(now))
    return pl.lit(to_utc(now).isoformat())


def listed_skus(conn: sa.Connection, refurbisher: str) -> list[str]:
    """The SKUs of ``refurbisher``'s listed offers."""
    o = offers_table.c
    query = sa.select(o.sku).where(o.refurbisher == refurbisher, o.listed)
    return list(conn.execute(query).scalars())


def count_unlisted(conn: sa.Connection, refurbisher: str, reason: str) -> int:
    """How many of ``refurbisher``'s offers IRP unlisted for ``reason``."""
    o = offers_table.c
    query = sa.select(sa.func.count()).where(
        o.refurbisher == refurbisher, o.unlisted_reason == reason
    )
    return int(conn.execute(query).scalar_one())
