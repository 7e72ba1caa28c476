"""Compare a priced feed with what is stored, and decide what to write.

Pure: takes two DataFrames, returns frames of created, updated, unlisted and held
offers. The sync writes exactly those, so a million-row feed in which 1% changed costs
1% of the writes. Everything is a polars join or filter; there is no loop per row.

The decision rests on ``row_hash``, a 64-bit hash of a row's raw mapped text seeded
with the format and pricing settings (:func:`raw_row_hash`): the same text under the
same settings always gives the same stored offer, so a row whose hash equals the
stored one is carried over without being validated, priced or written
(:func:`split_unchanged`). Offers unlisted by IRP itself (vanished, held, stale) are
stored with ``row_hash`` 0, so the next time the feed carries them they count as
changed and are processed again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import polars as pl

#: ``row_hash`` of an offer IRP unlisted on its own: never equal to a real hash.
UNLISTED_HASH = 0

#: The lowest bit of a stored ``row_hash``: the row had a bad SRP or EAN (reported again).
ISSUE_BIT = 1

_EXACT = pl.Decimal(18, 4)  # stored (14, 4) and feed (18, 2) money compare exactly here


@dataclass(frozen=True)
class OfferChanges:
    """What one sync will write. Each frame has the stored columns it needs."""

    created: pl.DataFrame
    updated: pl.DataFrame
    unchanged: int
    vanished: pl.DataFrame
    """``sku`` of stored offers the feed no longer carries and that are not yet unlisted."""
    held: pl.DataFrame
    """``sku``, ``held_purchase_amount``, ``hold_reason``: a purchase price jumped."""
    newly_unlisted: int
    """Offers listed now that this sync would leave unlisted (the guard's numerator)."""
    listed_before: int
    """Offers listed before this sync (the guard's denominator)."""
    listed_after: int
    """Offers listed once these changes are written."""
    keys_kept: pl.Series | None = None
    """For each row of ``updated``: whether its indexed columns (``ean``, ``listed``)
    equal the stored ones, so the write may leave them out (SQLite rewrites an index
    entry for every indexed column an ``UPDATE`` sets, even to the same value: twice
    the pages for a warm sync). None when the stored EAN was not given."""


def raw_row_hash(frame: pl.DataFrame, fields: Sequence[str], settings: str) -> pl.Series:
    """A stable signed 64-bit hash of the raw text of ``fields`` in each row of ``frame``,
    seeded by ``settings``.

    ``settings`` is everything besides the row that decides the stored offer (format,
    mapping, pricing), so a settings change makes every row count as changed. Polars
    guarantees the hash within one polars version; after an upgrade every offer counts
    as changed once, which costs one full write and nothing else.

    ``DataFrame.hash_rows`` (a fifth of the CPU of hashing a struct of the columns).
    The lowest bit is left 0 for :func:`with_issue_bit`; the hash is never 0
    (:data:`UNLISTED_HASH`).
    """
    seed = int.from_bytes(hashlib.sha256(settings.encode()).digest()[:8], "big") >> 1
    hashes = frame.select(fields).hash_rows(seed=seed).reinterpret(signed=True)
    base = pl.col("row_hash") & ~ISSUE_BIT
    return (
        hashes.to_frame("row_hash")
        .select(pl.when(base == UNLISTED_HASH).then(pl.lit(2, pl.Int64)).otherwise(base))
        .to_series()
        .alias("row_hash")
    )


def with_issue_bit(row_hash: pl.Expr, has_issue: pl.Expr) -> pl.Expr:
    """``row_hash`` with :data:`ISSUE_BIT` set where the row has a problem that keeps it.

    Stored this way, the next sync knows which unchanged rows still owe a row error
    (bad SRP or EAN) without validating the others.
    """
    return row_hash | has_issue.cast(pl.Int64)


@dataclass(frozen=True)
class Split:
    """Raw feed rows split against the stored offer index (:func:`split_unchanged`)."""

    carried: pl.DataFrame
    """``line``, trimmed ``sku``, stored ``row_hash``, ``listed`` and ``stock_available``,
    and ``has_issue`` (the stored :data:`ISSUE_BIT`) of the rows carried over unprocessed."""
    fresh: pl.DataFrame
    """Every other row, with every column of the feed rows: they are processed."""
    rest: pl.DataFrame
    """The stored index (``sku``, ``row_hash``, ``listed``, ``stock_available``) without the
    carried SKUs:
    what the diff compares the fresh rows with, and where vanished offers are."""
    listed_before: int
    """Offers listed before this sync (the mass-unlist guard's denominator)."""
    aligned: bool
    """The feed lists exactly the index's first SKUs in the index's order, so rows were
    matched by position instead of by a join (the same result, faster)."""


_CARRIED_SCHEMA = {
    "line": pl.Int64,
    "sku": pl.String,
    "row_hash": pl.Int64,
    "listed": pl.Boolean,
    "stock_available": pl.Int64,
    "has_issue": pl.Boolean,
}


def split_unchanged(rows: pl.DataFrame, index: pl.DataFrame) -> Split:
    """Split raw feed ``rows`` (``line``, ``sku`` text, ``row_hash``...) against ``index``
    (stored ``sku``, ``row_hash``, ``listed``, ``stock_available``).

    A row is carried when its SKU (trimmed) occurs once in the feed and its stored
    ``row_hash`` (bar :data:`ISSUE_BIT`) equals the row's: its stored offer is exactly
    what processing it would give. All other rows (new, changed, IRP-unlisted,
    duplicated SKUs) are fresh and go through the whole pipeline.

    When the feed's SKUs are the index's first SKUs in the same order — the index is
    kept in feed order (:func:`index_after`) and suppliers export in a stable order — the
    rows are compared by position, which skips two million-row joins.
    """
    listed_before = int(index.get_column("listed").sum()) if index.height else 0
    if index.height == 0 or rows.height == 0:
        carried = pl.DataFrame(schema=_CARRIED_SCHEMA)
        return Split(carried, rows, index, listed_before, aligned=False)
    keys = rows.get_column("sku").str.strip_chars()
    aligned = _aligned(keys, index)
    stored_hash = pl.col("row_hash") & ~ISSUE_BIT
    if aligned:
        head = index.head(rows.height)
        matched = (rows.get_column("row_hash") == head.select(stored_hash).to_series()).fill_null(
            False
        )
        row_mask, index_mask = matched, matched.extend_constant(False, index.height - rows.height)
        carried = head.filter(matched).select(
            rows.get_column("line").filter(matched).alias("line"),
            "sku",
            "row_hash",
            "listed",
            "stock_available",
            (pl.col("row_hash") & ISSUE_BIT).cast(pl.Boolean).alias("has_issue"),
        )
    else:
        carried, row_mask, index_mask = _joined(rows, keys, index)
    return Split(
        carried.cast(_CARRIED_SCHEMA),  # type: ignore[arg-type]
        rows.filter(~row_mask),
        index.filter(~index_mask),
        listed_before,
        aligned=aligned,
    )


def _aligned(keys: pl.Series, index: pl.DataFrame) -> bool:
    if keys.len() > index.height or keys.null_count():
        return False
    return bool((keys == index.get_column("sku").head(keys.len())).all())


def _joined(
    rows: pl.DataFrame, keys: pl.Series, index: pl.DataFrame
) -> tuple[pl.DataFrame, pl.Series, pl.Series]:
    """The carried rows found by joins, and the masks of carried rows and index rows."""
    feed = pl.DataFrame(
        {"_row": pl.int_range(0, rows.height, eager=True), "_key": keys},
    ).with_columns(rows.get_column("line"), rows.get_column("row_hash"))
    # Unique by a hash of the SKU: a collision only sends a row down the full path.
    single = feed.filter(pl.col("_key").hash().is_unique() & pl.col("_key").is_not_null())
    stored = index.with_row_index("_pos").select(
        pl.col("_pos").cast(pl.Int64),
        pl.col("sku").alias("_stored_sku"),
        (pl.col("row_hash") & ~ISSUE_BIT).alias("_match"),
        pl.col("row_hash").alias("_stored_hash"),
        "listed",
        "stock_available",
    )
    # Join on the integer hash (cheap), then make sure it is the same SKU.
    matched = single.join(stored, left_on="row_hash", right_on="_match", how="inner").filter(
        pl.col("_key") == pl.col("_stored_sku")
    )
    carried = matched.sort("_row").select(
        "line",
        pl.col("_key").alias("sku"),
        pl.col("_stored_hash").alias("row_hash"),
        "listed",
        "stock_available",
        (pl.col("_stored_hash") & ISSUE_BIT).cast(pl.Boolean).alias("has_issue"),
    )
    row_mask = _mask(rows.height, matched.get_column("_row"))
    index_mask = _mask(index.height, matched.get_column("_pos"))
    return carried, row_mask, index_mask


def _mask(length: int, positions: pl.Series) -> pl.Series:
    """A Boolean Series of ``length``, true at ``positions``."""
    return pl.repeat(False, length, dtype=pl.Boolean, eager=True).scatter(positions, True)


def diff_offers(
    feed: pl.DataFrame,
    stored: pl.DataFrame,
    *,
    max_price_change_ratio: Decimal,
    carried: int = 0,
    listed_before: int | None = None,
) -> OfferChanges:
    """Split ``feed`` (priced, with ``row_hash``) against ``stored`` (the offer index).

    ``stored`` has ``sku``, ``row_hash``, ``listed``, ``price_purchase_amount`` and
    ``held_purchase_amount`` (the prices are only needed for SKUs in ``feed``), and may
    have the stored ``ean`` of those SKUs (then :attr:`OfferChanges.keys_kept` is set). After
    :func:`split_unchanged`, ``stored`` is its ``rest``, ``carried`` the number of rows
    it carried over (unchanged, never vanished) and ``listed_before`` its count of
    listed offers; by default ``stored`` is every stored offer.

    A purchase price that moves by more than ``max_price_change_ratio`` of the stored
    one is held: the stored prices stay, the offer is unlisted and reported, and the new
    price is remembered. When the next sync brings the same new price it is confirmed
    and applied; this is what catches ``1.234`` meant as 1.234 and read as 1234.
    """
    if listed_before is None:
        listed_before = int(stored.get_column("listed").sum()) if stored.height else 0
    if stored.height == 0:  # a first sync, or only new SKUs: no million-row join
        return OfferChanges(
            created=feed,
            updated=feed.clear(),
            unchanged=carried,
            vanished=pl.DataFrame(schema={"sku": pl.String}),
            held=pl.DataFrame(
                schema={
                    "sku": pl.String,
                    "held_purchase_amount": feed.schema["price_purchase_amount"],
                    "hold_reason": pl.String,
                }
            ),
            newly_unlisted=0,
            listed_before=listed_before,
            listed_after=listed_before + int(feed.get_column("listed").sum()),
        )
    with_ean = "ean" in stored.columns and "ean" in feed.columns
    index = stored.select(
        "sku",
        pl.col("row_hash").alias("_stored_hash"),
        pl.col("listed").alias("_stored_listed"),
        pl.col("price_purchase_amount").alias("_stored_purchase"),
        pl.col("held_purchase_amount").alias("_held_purchase"),
        *([pl.col("ean").alias("_stored_ean")] if with_ean else []),
    )
    joined = feed.join(index, on="sku", how="left", maintain_order="left")
    is_new = pl.col("_stored_hash").is_null() & pl.col("_stored_listed").is_null()
    created = joined.filter(is_new)
    existing = joined.filter(~is_new)

    ratio = pl.lit(max_price_change_ratio).cast(pl.Float64)
    old = pl.col("_stored_purchase").cast(pl.Float64)
    new = pl.col("price_purchase_amount").cast(pl.Float64)
    jumped = (old > 0) & (((new - old).abs() / old) > ratio)
    confirmed = pl.col("_held_purchase").is_not_null() & (
        pl.col("_held_purchase").cast(_EXACT) == pl.col("price_purchase_amount").cast(_EXACT)
    )
    is_held = jumped & ~confirmed
    held_rows = existing.filter(is_held)
    held = held_rows.select(
        "sku",
        pl.col("price_purchase_amount").alias("held_purchase_amount"),
        pl.format(
            "purchase price {} -> {}: held until the next sync confirms it",
            pl.col("_stored_purchase").cast(pl.Decimal(18, 2)).cast(pl.String),
            pl.col("price_purchase_amount").cast(pl.String),
        ).alias("hold_reason"),
        pl.col("_stored_listed").alias("_was_listed"),
    )
    applicable = existing.filter(~is_held)
    changed = applicable.filter(pl.col("row_hash") != pl.col("_stored_hash"))
    unchanged = applicable.height - changed.height + carried

    vanished_rows = stored.join(feed.select("sku"), on="sku", how="anti").filter(
        (pl.col("row_hash") != UNLISTED_HASH) | pl.col("listed")
    )
    newly_unlisted = (
        int(vanished_rows.get_column("listed").sum())
        + int(held.get_column("_was_listed").fill_null(False).sum())
        + int((changed.get_column("_stored_listed") & ~changed.get_column("listed")).sum())
    )
    newly_listed = int(created.get_column("listed").sum()) + int(
        (changed.get_column("listed") & ~changed.get_column("_stored_listed")).sum()
    )
    drop = ["_stored_hash", "_stored_listed", "_stored_purchase", "_held_purchase"]
    keys_kept = None
    if with_ean:
        drop.append("_stored_ean")
        keys_kept = changed.select(
            (pl.col("listed") == pl.col("_stored_listed"))
            & pl.col("ean").eq_missing(pl.col("_stored_ean"))
        ).to_series()
    return OfferChanges(
        created=created.drop(drop),
        updated=changed.drop(drop),
        unchanged=unchanged,
        vanished=vanished_rows.select("sku"),
        held=held.drop("_was_listed"),
        newly_unlisted=newly_unlisted,
        listed_before=listed_before,
        listed_after=listed_before - newly_unlisted + newly_listed,
        keys_kept=keys_kept,
    )


def index_after(
    carried: pl.DataFrame,
    rest: pl.DataFrame,
    fresh_keys: pl.DataFrame,
    feed: pl.DataFrame,
    changes: OfferChanges,
) -> pl.DataFrame:
    """The stored offer index (``sku``, ``row_hash``, ``listed``, ``stock_available``) once
    ``changes`` are written, in feed order: what the next sync compares with
    (``snapshot.py``), and what the status page's counts are taken from.

    ``carried`` and ``rest`` are those of :func:`split_unchanged`; ``feed`` is the priced
    fresh rows (``line``, ``sku``, ``row_hash``, ``listed``, ``stock_available``) that
    :func:`diff_offers` split into ``changes``; ``fresh_keys`` is ``line`` and trimmed
    ``sku`` of every fresh row, valid or not. Offers keep the line where the feed has
    their SKU (even on a broken row), so a feed in a stable order stays aligned; offers
    the feed does not carry come last. A held offer keeps its stored stock; a vanished
    one has none.
    """
    stored_stock = rest.select("sku", pl.col("stock_available").alias("_stored_stock"))
    held = changes.held.select("sku", pl.lit(True).alias("_held")).join(
        stored_stock, on="sku", how="left"
    )
    vanished = changes.vanished.select("sku", pl.lit(True).alias("_vanished"))
    from_feed = (
        feed.select("line", "sku", "row_hash", "listed", "stock_available")
        .join(held, on="sku", how="left")
        .select(
            "line",
            "sku",
            *_unlisted_where(pl.col("_held").fill_null(False)),
            pl.when(pl.col("_held").fill_null(False))
            .then(pl.col("_stored_stock"))
            .otherwise("stock_available")
            .alias("stock_available"),
        )
    )
    others = (
        rest.select("sku", "row_hash", "listed", "stock_available")
        .join(feed.select("sku"), on="sku", how="anti")
        .join(vanished, on="sku", how="left")
        .join(fresh_keys.filter(pl.col("sku").is_first_distinct()), on="sku", how="left")
        .select(
            "line",
            "sku",
            *_unlisted_where(pl.col("_vanished").fill_null(False)),
            pl.when(pl.col("_vanished").fill_null(False))
            .then(pl.lit(0, pl.Int64))
            .otherwise("stock_available")
            .alias("stock_available"),
        )
    )
    kept = carried.select("line", "sku", "row_hash", "listed", "stock_available")
    return (
        pl.concat([kept, from_feed, others], how="vertical_relaxed")
        .sort("line", nulls_last=True, maintain_order=True)
        .drop("line")
    )


def _unlisted_where(unlisted: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """``row_hash`` and ``listed`` of offers IRP unlists where ``unlisted`` holds."""
    return (
        pl.when(unlisted)
        .then(pl.lit(UNLISTED_HASH, pl.Int64))
        .otherwise("row_hash")
        .alias("row_hash"),
        pl.when(unlisted).then(pl.lit(False)).otherwise("listed").alias("listed"),
    )
