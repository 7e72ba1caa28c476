"""Moving polars frames in and out of the database fast, on SQLite and PostgreSQL.

SQLAlchemy's per-row type processing costs seconds on a million rows, so the bulk
paths talk to the DBAPI driver directly, inside the caller's SQLAlchemy transaction:
SQLite through ``executemany`` / ``fetchmany`` a chunk at a time, PostgreSQL through
``COPY`` in its text format (written by polars while a psycopg thread sends the
previous chunk).
Values are converted column-wise in polars to exactly what ``types.py`` stores
(four-decimal money strings, UTC datetime strings on SQLite).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator, Sequence
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


def db_literal_datetime(dialect: str, value: datetime) -> Any:
    """A scalar datetime parameter for a raw driver statement on ``dialect``."""
    return sqlite_datetime(value) if dialect == "sqlite" else to_utc(value)


def db_datetime(conn: sa.Connection, value: datetime) -> Any:
    """A scalar datetime parameter for a raw driver statement on ``conn``."""
    return db_literal_datetime(conn.dialect.name, value)


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
        cursor = raw.execute(sql.replace("%s", "?"), tuple(params))
        schema = {c: _raw_dtype(k) for c, k in columns.items()}
        parts = [pl.DataFrame(schema=schema)]
        while rows := cursor.fetchmany(_ROWS_PER_CHUNK):  # never a million tuples at once
            parts.append(pl.DataFrame(rows, schema=schema, orient="row"))
        raw_frame = pl.concat(parts, rechunk=True)
    else:
        exprs = ", ".join(_pg_text(c, k) for c, k in columns.items())
        sql = f"COPY (SELECT {exprs} FROM {table} WHERE {where}) TO STDOUT (FORMAT csv)"
        buffer = io.BytesIO()
        with raw.cursor() as cursor, cursor.copy(sql, tuple(params)) as copy:
            for chunk in copy:
                buffer.write(chunk)
        buffer.seek(0)
        schema = {c: _raw_dtype(k) for c, k in columns.items()}
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


_KEYS_BEFORE_FULL_SCAN = 50_000


def fetch_frame_for_keys(
    conn: sa.Connection,
    table: str,
    columns: dict[str, Kind],
    refurbisher: str,
    key: str,
    keys: pl.Series,
) -> pl.DataFrame:
    """Like :func:`fetch_frame` for ``refurbisher``'s rows whose ``key`` is in ``keys``.

    A few thousand keys are looked up through the unique index in one query (SQLite:
    ``IN`` a ``json_each`` of one JSON array; PostgreSQL: a join with ``unnest`` of one
    array, one index probe per key — ``= ANY(array)`` walked the index range of every
    key and cost 2.5 times as much for 10,000 keys); past ``_KEYS_BEFORE_FULL_SCAN``
    one scan of the refurbisher's rows is cheaper.
    """
    where = "refurbisher = %s"
    if keys.len() > _KEYS_BEFORE_FULL_SCAN:
        frame = fetch_frame(conn, table, columns, where, [refurbisher])
        return frame.join(keys.to_frame(key), on=key, how="semi")
    if conn.dialect.name != "sqlite":  # one query; the array is bound server-side
        raw = driver_connection(conn)
        exprs = ", ".join(_pg_text(c, k, alias="t") for c, k in columns.items())
        sql = (
            f"SELECT {exprs} FROM unnest(%s::text[]) AS k(irp_key) "
            f"JOIN {table} AS t ON t.refurbisher = %s AND t.{_quote(key)} = k.irp_key"
        )
        with raw.cursor() as cursor:
            rows = cursor.execute(sql, (keys.unique().to_list(), refurbisher)).fetchall()
        schema = {c: _raw_dtype(k) for c, k in columns.items()}
        frame = pl.DataFrame(rows, schema=schema, orient="row")
        return frame.with_columns(
            from_db_column(frame.get_column(c), k).alias(c) for c, k in columns.items()
        )
    # SQLite: one query; the keys travel as one JSON array, unpacked by json_each and
    # probed in the unique index.
    condition = f"{where} AND {_quote(key)} IN (SELECT value FROM json_each(%s))"
    keys_json = json.dumps(keys.unique().to_list())
    return fetch_frame(conn, table, columns, condition, [refurbisher, keys_json])


_ROWS_PER_CHUNK = 50_000
#: Rows turned into Python tuples at a time for sqlite3 (few, so they never pile up).
_ROWS_PER_BUFFER = 5_000


def copy_parts(frame: pl.DataFrame, constants: dict[str, object] | None = None) -> Iterator[bytes]:
    """``frame`` in ``COPY``'s text format (tab-separated, ``\\N`` for null, backslash
    escapes), ``_ROWS_PER_CHUNK`` rows a part.

    ``constants`` (column -> one value for every row) are added to each part, after the
    frame's columns. The text format, not CSV: the price breakdown's JSON holds twenty
    quotes a row that CSV doubles and the server undoes; a million offers cost the
    server 0.6 s less CPU this way (``bench/RESULTS.md``).
    """
    extra = {
        c: v.isoformat() if isinstance(v, datetime) else v for c, v in (constants or {}).items()
    }
    for chunk in frame.iter_slices(_ROWS_PER_CHUNK):
        if extra:
            chunk = chunk.with_columns(pl.lit(v).alias(c) for c, v in extra.items())
        chunk = chunk.with_columns(
            _copy_escaped(pl.col(c)) for c, dtype in chunk.schema.items() if dtype == pl.String
        )
        buffer = io.BytesIO()
        chunk.write_csv(
            buffer, include_header=False, separator="\t", quote_style="never", null_value="\\N"
        )
        yield buffer.getvalue()


def _copy_escaped(text: pl.Expr) -> pl.Expr:
    """Text as ``COPY``'s text format reads it back: backslash, tab, newline and carriage
    return escaped (the backslash first, so the others' escapes stay single)."""
    for raw, escaped in (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r")):
        text = text.str.replace_all(raw, escaped, literal=True)
    return text


def copy_in(
    conn: sa.Connection, table: str, columns: Sequence[str], parts: Iterable[bytes]
) -> None:
    """PostgreSQL: ``COPY table (columns) FROM STDIN`` in the text format, from
    :func:`copy_parts`.

    A psycopg writer thread sends each part while the next is written (when ``parts``
    is a generator), so polars and the server work at the same time and the whole CSV
    is never held.
    """
    from psycopg.copy import QueuedLibpqWriter

    raw = driver_connection(conn)
    sql = f"COPY {table} ({', '.join(_quote(c) for c in columns)}) FROM STDIN"
    with raw.cursor() as cursor, cursor.copy(sql, writer=QueuedLibpqWriter(cursor)) as copy:
        for part in parts:
            copy.write(part)


def execute_many(conn: sa.Connection, sql: str, frame: pl.DataFrame) -> int:
    """SQLite: run ``sql`` (``?`` placeholders) once per frame row; the rows changed.

    Rows are handed to sqlite3 a buffer at a time, never as one list of tuples.
    """
    raw = driver_connection(conn)
    cursor = raw.executemany(sql, frame.iter_rows(buffer_size=_ROWS_PER_BUFFER))
    return int(cursor.rowcount)


def sqlite_literal(value: object) -> str:
    """``value`` (str, int or None) as an SQLite literal, quotes escaped."""
    if value is None:
        return "NULL"
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise StoreError(f"no SQLite literal for {type(value).__name__} {value!r}")
    if isinstance(value, int):
        return str(value)
    return "'" + value.replace("'", "''") + "'"


def _raw_dtype(kind: Kind) -> pl.DataType:
    return pl.Int64() if kind in ("int", "bool") else pl.String()


def _pg_text(column: str, kind: Kind, *, alias: str = "") -> str:
    quoted = f"{alias}.{_quote(column)}" if alias else _quote(column)
    if kind == "bool":
        return f"{quoted}::int"
    if kind == "datetime":
        return f"to_char({quoted} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
    if kind in ("money", "json"):
        return f"{quoted}::text"
    return quoted


def _quote(column: str) -> str:
    return f'"{column}"'
