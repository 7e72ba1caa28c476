"""Moving polars frames in and out of the database fast, on SQLite and PostgreSQL.

SQLAlchemy's per-row type processing costs seconds on a million rows, so the bulk
paths talk to the DBAPI driver directly, inside the caller's SQLAlchemy transaction:
SQLite through ``executemany`` / ``fetchall``, PostgreSQL through ``COPY`` in CSV.
Values are converted column-wise in polars to exactly what ``types.py`` stores
(four-decimal money strings, UTC datetime strings on SQLite).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

import polars as pl
import sqlalchemy as sa

from irp.errors import StoreError
from irp.store.types import sqlite_datetime, to_utc

Kind = Literal["str", "int", "bool", "money", "datetime", "json"]

_MONEY_PATTERN = r"^-?[0-9]{1,10}(\.[0-9]{1,4}0*)?$"
_SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S%.6f"
MONEY_DTYPE = pl.Decimal(14, 4)


def driver_connection(conn: sa.Connection) -> Any:
    """The DBAPI connection under ``conn``, with the SQLAlchemy transaction begun."""
    if not conn.in_transaction():
        conn.begin()  # autobegin, as the next execute() would; the caller commits
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("SELECT 1")  # make sure BEGIN was emitted on this connection
    return conn.connection.driver_connection


def db_datetime(conn: sa.Connection, value: datetime) -> Any:
    """A scalar datetime parameter for a raw driver statement on ``conn``."""
    return sqlite_datetime(value) if conn.dialect.name == "sqlite" else to_utc(value)


def to_db_column(df: pl.DataFrame, name: str, kind: Kind, dialect: str) -> pl.Series:
    """Column ``name`` converted to what the driver writes for a column of ``kind``."""
    series = df.get_column(name)
    if series.dtype == pl.Null:
        return series.cast(pl.String if kind != "int" else pl.Int64)
    if kind == "money":
        return _money_strings(series, name)
    if kind == "int":
        if series.dtype == pl.UInt64:
            return series.reinterpret(signed=True)
        if not series.dtype.is_integer():
            raise StoreError(f"column {name!r} must be integer, not {series.dtype}")
        return series.cast(pl.Int64)
    if kind == "bool":
        if series.dtype != pl.Boolean:
            raise StoreError(f"column {name!r} must be Boolean, not {series.dtype}")
        return series
    if kind == "datetime":
        if not isinstance(series.dtype, pl.Datetime) or series.dtype.time_zone is None:
            raise StoreError(f"column {name!r} must be a timezone-aware Datetime")
        utc = series.dt.convert_time_zone("UTC")
        if dialect == "sqlite":
            return utc.dt.strftime(_SQLITE_DATETIME)
        return utc.dt.strftime(_SQLITE_DATETIME + "+00:00")
    if kind == "json" and isinstance(series.dtype, pl.Struct):
        return series.struct.json_encode()
    if series.dtype != pl.String:
        raise StoreError(f"column {name!r} must be String, not {series.dtype}")
    return series


def _money_strings(series: pl.Series, name: str) -> pl.Series:
    if series.dtype.is_float():
        raise StoreError(f"money column {name!r} is {series.dtype}; use pl.Decimal or strings")
    if not (isinstance(series.dtype, pl.Decimal) or series.dtype == pl.String):
        raise StoreError(f"money column {name!r} must be pl.Decimal or String, not {series.dtype}")
    text = series.cast(pl.String).str.strip_chars()
    bad = text.filter(text.is_not_null() & ~text.str.contains(_MONEY_PATTERN))
    if len(bad):
        raise StoreError(
            f"money column {name!r}: {bad[0]!r} is not an amount with at most 10 digits "
            f"before and 4 after the point ({len(bad)} value(s))"
        )
    return text.str.to_decimal(scale=4).cast(pl.String)


def from_db_column(series: pl.Series, kind: Kind) -> pl.Series:
    """A column read from the database, as the frame type IRP uses for ``kind``."""
    if kind == "money":
        return series.cast(pl.String).str.to_decimal(scale=4).cast(MONEY_DTYPE)
    if kind == "int":
        return series.cast(pl.Int64)
    if kind == "bool":
        return series.cast(pl.Int64).cast(pl.Boolean)
    if kind == "datetime":
        text = series.cast(pl.String)
        parsed = text.str.to_datetime(_SQLITE_DATETIME, time_unit="us", time_zone="UTC")
        return parsed
    return series.cast(pl.String)


def fetch_frame(
    conn: sa.Connection,
    table: str,
    columns: dict[str, Kind],
    where: str,
    params: Sequence[Any],
) -> pl.DataFrame:
    """``SELECT columns FROM table WHERE where`` as a typed frame (``%s`` placeholders)."""
    raw = driver_connection(conn)
    if conn.dialect.name == "sqlite":
        sql = f"SELECT {', '.join(_quote(c) for c in columns)} FROM {table} WHERE {where}"
        rows = raw.execute(sql.replace("%s", "?"), tuple(params)).fetchall()
        values = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
        raw_frame = pl.DataFrame(
            {
                c: pl.Series(c, v, dtype=_raw_dtype(k))
                for (c, k), v in zip(columns.items(), values, strict=True)
            }
        )
    else:
        exprs = ", ".join(_pg_text(c, k) for c, k in columns.items())
        sql = f"COPY (SELECT {exprs} FROM {table} WHERE {where}) TO STDOUT (FORMAT csv)"
        buffer = io.BytesIO()
        with raw.cursor() as cursor, cursor.copy(sql, tuple(params)) as copy:
            for chunk in copy:
                buffer.write(chunk)
        buffer.seek(0)
        schema = {c: (pl.Int64 if k in ("int", "bool") else pl.String) for c, k in columns.items()}
        if buffer.getbuffer().nbytes == 0:
            raw_frame = pl.DataFrame(schema=schema)
        else:
            raw_frame = pl.read_csv(
                buffer,
                has_header=False,
                new_columns=list(columns),
                schema=schema,
            )
    return raw_frame.with_columns(
        from_db_column(raw_frame.get_column(c), k).alias(c) for c, k in columns.items()
    )


def copy_in(conn: sa.Connection, table: str, frame: pl.DataFrame) -> None:
    """PostgreSQL: ``COPY table (frame's columns) FROM STDIN`` in CSV."""
    raw = driver_connection(conn)
    columns = ", ".join(_quote(c) for c in frame.columns)
    data = frame.write_csv(include_header=False, null_value="").encode()
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT csv)") as copy,
    ):
        copy.write(data)


def execute_many(conn: sa.Connection, sql: str, frame: pl.DataFrame) -> int:
    """SQLite: run ``sql`` (``?`` placeholders) once per frame row; the rows changed."""
    raw = driver_connection(conn)
    cursor = raw.executemany(sql, frame.rows())
    return int(cursor.rowcount)


def _raw_dtype(kind: Kind) -> pl.DataType:
    return pl.Int64() if kind in ("int", "bool") else pl.String()


def _pg_text(column: str, kind: Kind) -> str:
    quoted = _quote(column)
    if kind == "bool":
        return f"{quoted}::int"
    if kind == "datetime":
        return f"to_char({quoted} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
    if kind in ("money", "json"):
        return f"{quoted}::text"
    return quoted


def _quote(column: str) -> str:
    return f'"{column}"'
