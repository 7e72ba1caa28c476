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
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Final

import polars as pl
import sqlalchemy as sa

from irp.errors import OffersChangedError, StoreError
from irp.store import _frames
from irp.store._frames import Kind
from irp.store.tables import offers as offers_table
from irp.store.tables import refurbishers as refurbishers_table

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

#: A prepared write: all conversion done, it only runs its statements on a connection.
ReadyWrite = Callable[[sa.Connection], int]


def _nothing(conn: sa.Connection) -> int:
    return 0


_NOTHING: ReadyWrite = _nothing


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

    def write(self, ready: ReadyWrite) -> int:
        """Write what :func:`prepare_insert` or :func:`prepare_update` prepared."""
        if ready is _NOTHING:
            return 0
        self._change_version()
        return ready(self.conn)

    def insert(self, df: pl.DataFrame, *, run_id: int | None, now: datetime) -> int:
        """See :func:`insert_offers`."""
        dialect = self.conn.dialect.name
        return self.write(prepare_insert(df, self.refurbisher, dialect, run_id=run_id, now=now))

    def update(self, df: pl.DataFrame, *, run_id: int | None, now: datetime) -> int:
        """See :func:`update_offers`."""
        dialect = self.conn.dialect.name
        return self.write(prepare_update(df, self.refurbisher, dialect, run_id=run_id, now=now))

    def unlist(self, skus: list[str], *, reason: str, run_id: int | None, now: datetime) -> int:
        """See :func:`unlist_offers`."""
        dialect = self.conn.dialect.name
        ready = prepare_unlist(
            skus, self.refurbisher, dialect, reason=reason, run_id=run_id, now=now
        )
        return self.write(ready)


def commit_without_flush_wait(conn: sa.Connection) -> None:
    """PostgreSQL: let this transaction's commit return before its WAL is on disk
    (``synchronous_commit = off``, for this transaction only). For a sync's write
    chunks: a million-row load commits twenty of them, each waiting for a flush.

    Safe because the sync records its outcome afterwards in an ordinary commit, which
    flushes the WAL up to itself and so every chunk before it. A crash before that may
    lose the last chunks, never half of one and never their order: the run stays
    ``running`` (failed by the next sync, which writes the rest) and the offers version
    rolls back with them, so the snapshot stamped with the lost version is not used.
    SQLite needs nothing: its automatic checkpoint after each chunk syncs the WAL anyway.
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL synchronous_commit = off")


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


def prepare_insert(
    df: pl.DataFrame,
    refurbisher: str,
    dialect: str,
    *,
    run_id: int | None,
    now: datetime,
    ahead: bool = False,
) -> ReadyWrite:
    """An insert of ``df`` (see :func:`insert_offers`), converted for ``dialect`` but not
    yet written: pass it to :meth:`OfferWrite.write`.

    Everything but the database work happens here, so a caller may prepare the next
    chunk while the current one is written. With ``ahead`` the PostgreSQL COPY text is
    written now too (a chunk's worth: it is held until written).
    """
    missing = [c for c in ("sku", *_REQUIRED_ON_INSERT) if c not in df.columns]
    if missing:
        raise StoreError(f"insert_offers({refurbisher!r}): missing column(s) {', '.join(missing)}")
    if df.height == 0:
        return _NOTHING
    if "above_srp" not in df.columns:
        df = df.with_columns(pl.lit(False).alias("above_srp"))
    # A column that is null throughout is left to the table's NULL: less to send.
    empty = [
        c for c in df.columns if c not in _REQUIRED_ON_INSERT and df[c].null_count() == df.height
    ]
    frame = _prepare(df.drop(empty), refurbisher, dialect)
    stamp = _frames.db_literal_datetime(dialect, now)
    constants: dict[str, object] = {
        "refurbisher": refurbisher,
        "created_at": stamp,
        "updated_at": stamp,
        "last_run_id": run_id,
    }
    if dialect == "sqlite":
        # Constants go into the statement as literals, so no per-row value is built.
        names = ", ".join(f'"{c}"' for c in [*frame.columns, *constants])
        literals = [_frames.sqlite_literal(v) for v in constants.values()]
        marks = ", ".join(["?"] * frame.width + literals)
        sql = f"INSERT INTO offers ({names}) VALUES ({marks})"
        return lambda conn: _frames.execute_many(conn, sql, frame)
    columns = [*frame.columns, *constants]
    parts = _frames.copy_parts(frame, constants)
    ready = list(parts) if ahead else parts

    def copy(conn: sa.Connection) -> int:
        _frames.copy_in(conn, "offers", columns, ready)
        return frame.height

    return copy


def update_offers(
    conn: sa.Connection, refurbisher: str, df: pl.DataFrame, *, run_id: int | None, now: datetime
) -> int:
    """Set every column ``df`` carries on the stored offers with the same ``sku``.

    Also sets ``updated_at`` and ``last_run_id``. A reappearing offer should pass
    ``unlisted_reason`` and ``vanished_at`` as nulls to clear them. Returns the number
    of offers updated (SKUs not stored are ignored).
    """
    return OfferWrite(conn, refurbisher).update(df, run_id=run_id, now=now)


def prepare_update(
    df: pl.DataFrame,
    refurbisher: str,
    dialect: str,
    *,
    run_id: int | None,
    now: datetime,
    ahead: bool = False,
) -> ReadyWrite:
    """An update by ``df`` (see :func:`update_offers`), converted for ``dialect`` but not
    yet written; like :func:`prepare_insert`."""
    if "sku" not in df.columns:
        raise StoreError(f"update_offers({refurbisher!r}): missing column sku")
    if df.height == 0:
        return _NOTHING
    frame = _prepare(df, refurbisher, dialect)
    columns = [c for c in frame.columns if c != "sku"]
    stamp = _frames.db_literal_datetime(dialect, now)
    if dialect == "sqlite":
        assignments = ", ".join(f'"{c}" = ?' for c in [*columns, "updated_at", "last_run_id"])
        ordered = frame.select(
            *columns,
            pl.lit(stamp).alias("updated_at"),
            pl.lit(run_id, dtype=pl.Int64).alias("last_run_id"),
            pl.lit(refurbisher).alias("refurbisher"),
            "sku",
        )
        sql = f"UPDATE offers SET {assignments} WHERE refurbisher = ? AND sku = ?"
        return lambda conn: _frames.execute_many(conn, sql, ordered)
    names = ", ".join(f'"{c}"' for c in frame.columns)
    parts = _frames.copy_parts(frame)
    ready = list(parts) if ahead else parts
    assignments = ", ".join(f'"{c}" = s."{c}"' for c in columns)
    update = (
        f"UPDATE offers AS o SET {assignments}, updated_at = %(now)s, last_run_id = %(run)s "
        "FROM irp_offer_stage AS s WHERE o.refurbisher = %(ref)s AND o.sku = s.sku"
    )

    def staged(conn: sa.Connection) -> int:
        conn.exec_driver_sql("DROP TABLE IF EXISTS pg_temp.irp_offer_stage")
        conn.exec_driver_sql(
            "CREATE TEMP TABLE irp_offer_stage ON COMMIT DROP AS "
            f"SELECT {names} FROM offers WITH NO DATA"
        )
        _frames.copy_in(conn, "irp_offer_stage", frame.columns, ready)
        conn.exec_driver_sql("ANALYZE irp_offer_stage")
        result = conn.exec_driver_sql(update, {"now": stamp, "run": run_id, "ref": refurbisher})
        conn.exec_driver_sql("DROP TABLE pg_temp.irp_offer_stage")
        return int(result.rowcount)

    return staged


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


def prepare_unlist(
    skus: list[str],
    refurbisher: str,
    dialect: str,
    *,
    reason: str,
    run_id: int | None,
    now: datetime,
) -> ReadyWrite:
    """An unlisting (see :func:`unlist_offers`) for ``dialect``, not yet written."""
    if reason not in UNLIST_REASONS:
        raise StoreError(
            f"unlist reason {reason!r}: expected one of {', '.join(sorted(UNLIST_REASONS))}"
        )
    if not skus:
        return _NOTHING
    stamp = _frames.db_literal_datetime(dialect, now)
    vanished = stamp if reason == "vanished" else None
    if dialect == "sqlite":
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
        return lambda conn: _frames.execute_many(conn, sql, frame)
    sql = (
        "UPDATE offers SET stock_available = 0, listed = false, row_hash = 0, "
        "unlisted_reason = %(reason)s, vanished_at = coalesce(%(vanished)s, vanished_at), "
        "updated_at = %(now)s, last_run_id = %(run)s "
        "WHERE refurbisher = %(ref)s AND sku = ANY(%(skus)s)"
    )
    params = {
        "reason": reason,
        "vanished": vanished,
        "now": stamp,
        "run": run_id,
        "ref": refurbisher,
        "skus": skus,
    }
    return lambda conn: int(conn.exec_driver_sql(sql, params).rowcount)


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


#: A first sync inserting at least this many offers, and at least as many as the table
#: holds, builds the secondary indexes after instead of updating them row by row.
BULK_ROWS: Final = 100_000


def secondary_indexes() -> list[sa.Index]:
    """The non-unique indexes of ``offers`` (searches, listed filters): the ones a bulk
    load may drop and build again. The unique (refurbisher, sku) index always stays."""
    return sorted((i for i in offers_table.indexes if not i.unique), key=lambda i: str(i.name))


def wants_bulk_indexes(conn: sa.Connection, inserting: int) -> bool:
    """Whether inserting ``inserting`` offers is cheaper with the secondary indexes
    built after (a first sync of a big feed), given what ``offers`` holds now."""
    if inserting < BULK_ROWS:
        return False
    stored = conn.execute(sa.select(sa.func.count()).select_from(offers_table)).scalar_one()
    return int(stored) <= inserting


def drop_secondary_indexes(conn: sa.Connection) -> None:
    """Drop :func:`secondary_indexes` (those that exist) before a bulk load.

    Readers go on meanwhile, only slower: every query still works, and the unique index
    still guards (refurbisher, sku). :func:`restore_secondary_index` builds them again
    — the bulk load does when it ends, and every sync checks on its start, so a load
    that died half-way leaves no index missing for long.
    """
    for index in secondary_indexes():
        index.drop(conn, checkfirst=True)


def missing_secondary_indexes(conn: sa.Connection) -> list[sa.Index]:
    """The :func:`secondary_indexes` that do not exist now."""
    existing = {i["name"] for i in sa.inspect(conn).get_indexes(offers_table.name)}
    return [i for i in secondary_indexes() if i.name not in existing]


def restore_secondary_index(conn: sa.Connection, index: sa.Index) -> bool:
    """Build ``index`` (one of :func:`secondary_indexes`) if it is missing; whether it was.

    One index per transaction keeps SQLite's write lock to about a second per million
    offers."""
    if index not in missing_secondary_indexes(conn):
        return False
    if conn.dialect.name == "postgresql":  # sort a million keys in memory, not on disk
        conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
    index.create(conn)
    return True


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
