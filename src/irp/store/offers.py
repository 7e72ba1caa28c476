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

**The offers version.** Every write here goes through :class:`OfferWrite`, which first
changes ``refurbishers.offers_version`` in the same transaction — by a random step, so
two databases, or a database and its restored backup, never reach the same version by
different writes. A reader that saw version V saw exactly the offers of V: the sync's
local snapshot (``snapshot.py``) is trusted only at the version it was written for, and
the sync's write chunks compare-and-set the version they planned against, so a change
by another writer in between is never overwritten unseen. Changing the version first
also orders writers on PostgreSQL (they queue on the refurbisher's row).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Final

import polars as pl
import sqlalchemy as sa

from irp.errors import OffersChangedError, StoreError
from irp.store import _frames
from irp.store._frames import Kind
from irp.store.tables import offers as offers_table
from irp.store.tables import refurbishers as refurbishers_table
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


#: A version changes by a random step in [1, 2**32]: about 2**31 writes fit in BIGINT.
_MAX_STEP = 2**32


def offers_version(conn: sa.Connection, refurbisher: str) -> int:
    """``refurbisher``'s offers version: it changes with every write to its offers.

    0 for a refurbisher without a stored row (it has no offers either).
    """
    r = refurbishers_table.c
    query = sa.select(r.offers_version).where(r.key == refurbisher)
    return int(conn.execute(query).scalar_one_or_none() or 0)


class OfferWrite:
    """The writes of one transaction to one refurbisher's offers.

    The first write changes the offers version, before it touches a row: without
    ``expected``, whatever the version was; with ``expected``, only if the version is
    still that (compare-and-set), else :class:`OffersChangedError` and nothing is
    written. :attr:`version` is the version once this transaction commits.
    """

    def __init__(
        self, conn: sa.Connection, refurbisher: str, *, expected: int | None = None
    ) -> None:
        self.conn, self.refurbisher = conn, refurbisher
        self._expected = expected
        self._version: int | None = None

    @property
    def version(self) -> int:
        """The offers version after these writes (the current one if nothing was written)."""
        if self._version is not None:
            return self._version
        if self._expected is not None:
            return self._expected
        return offers_version(self.conn, self.refurbisher)

    def _change_version(self) -> None:
        if self._version is not None:
            return
        r = refurbishers_table.c
        step = secrets.randbelow(_MAX_STEP) + 1
        query = sa.update(refurbishers_table).where(r.key == self.refurbisher)
        if self._expected is not None:
            query = query.where(r.offers_version == self._expected)
        row = self.conn.execute(
            query.values(offers_version=r.offers_version + step).returning(r.offers_version)
        ).first()
        if row is not None:
            self._version = int(row[0])
            return
        if self._expected is not None and offers_version(self.conn, self.refurbisher):
            raise OffersChangedError(
                f"{self.refurbisher}: the offers changed since version {self._expected} "
                f"(now {offers_version(self.conn, self.refurbisher)}): another writer "
                "was at work"
            )
        raise StoreError(
            f"offers of {self.refurbisher!r}: the refurbisher is not stored "
            "(refurbishers.ensure_refurbisher comes first)"
        )

    def insert(self, df: pl.DataFrame, *, run_id: int | None, now: datetime) -> int:
        """See :func:`insert_offers`."""
        return _insert(self, df, run_id=run_id, now=now)

    def update(self, df: pl.DataFrame, *, run_id: int | None, now: datetime) -> int:
        """See :func:`update_offers`."""
        return _update(self, df, run_id=run_id, now=now)

    def unlist(self, skus: list[str], *, reason: str, run_id: int | None, now: datetime) -> int:
        """See :func:`unlist_offers`."""
        return _unlist(self, skus, reason=reason, run_id=run_id, now=now)


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
    return OfferWrite(conn, refurbisher).insert(df, run_id=run_id, now=now)


def _insert(write: OfferWrite, df: pl.DataFrame, *, run_id: int | None, now: datetime) -> int:
    conn, refurbisher = write.conn, write.refurbisher
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
    write._change_version()
    if dialect == "sqlite":
        # Constants go into the statement as literals, so no per-row value is built.
        names = ", ".join(f'"{c}"' for c in [*frame.columns, *constants])
        literals = [_frames.sqlite_literal(v) for v in constants.values()]
        marks = ", ".join(["?"] * frame.width + literals)
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
    return OfferWrite(conn, refurbisher).update(df, run_id=run_id, now=now)


def _update(write: OfferWrite, df: pl.DataFrame, *, run_id: int | None, now: datetime) -> int:
    conn, refurbisher = write.conn, write.refurbisher
    if "sku" not in df.columns:
        raise StoreError(f"update_offers({refurbisher!r}): missing column sku")
    if df.height == 0:
        return 0
    dialect = conn.dialect.name
    frame = _prepare(df, refurbisher, dialect)
    columns = [c for c in frame.columns if c != "sku"]
    write._change_version()
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
    return OfferWrite(conn, refurbisher).unlist(skus, reason=reason, run_id=run_id, now=now)


def _unlist(
    write: OfferWrite, skus: list[str], *, reason: str, run_id: int | None, now: datetime
) -> int:
    conn, refurbisher = write.conn, write.refurbisher
    if reason not in UNLIST_REASONS:
        raise StoreError(
            f"unlist reason {reason!r}: expected one of {', '.join(sorted(UNLIST_REASONS))}"
        )
    if not skus:
        return 0
    stamp = _frames.db_datetime(conn, now)
    vanished = stamp if reason == "vanished" else None
    write._change_version()
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
