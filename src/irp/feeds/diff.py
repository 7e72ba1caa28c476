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


def raw_row_hash(fields: Sequence[str], settings: str) -> pl.Expr:
    """A stable signed 64-bit hash of the raw text of ``fields``, seeded by ``settings``.

    ``settings`` is everything besides the row that decides the stored offer (format,
    mapping, pricing), so a settings change makes every row count as changed. Polars
    guarantees the hash within one polars version; after an upgrade every offer counts
    as changed once, which costs one full write and nothing else.

    The lowest bit is left 0 for :func:`with_issue_bit`; the hash is never 0
    (:data:`UNLISTED_HASH`).
    """
    seed = int.from_bytes(hashlib.sha256(settings.encode()).digest()[:8], "big") >> 1
    row_hash = pl.struct([pl.col(f) for f in fields]).hash(seed=seed).reinterpret(signed=True)
    base = row_hash & ~ISSUE_BIT
    return pl.when(base == UNLISTED_HASH).then(pl.lit(2, pl.Int64)).otherwise(base)


def with_issue_bit(row_hash: pl.Expr, has_issue: pl.Expr) -> pl.Expr:
    """``row_hash`` with :data:`ISSUE_BIT` set where the row has a problem that keeps it.

    Stored this way, the next sync knows which unchanged rows still owe a row error
    (bad SRP or EAN) without validating the others.
    """
    return row_hash | has_issue.cast(pl.Int64)


def split_unchanged(rows: pl.DataFrame, index: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split raw feed ``rows`` (with ``line``, ``sku`` text and ``row_hash``) into
    (carried, fresh).

    Carried rows have their SKU's stored ``row_hash`` (bar :data:`ISSUE_BIT`) and a SKU
    that occurs once in the feed: their stored offer is exactly what processing them
    would give, so they are not validated or priced again. ``carried`` only has
    ``line``, the trimmed ``sku`` and ``has_issue`` (the stored bit). Fresh rows are
    all the others (new, changed, IRP-unlisted, duplicated SKUs), with every column of
    ``rows``, and go through the whole pipeline. ``index`` has the stored ``sku`` and
    ``row_hash``.
    """
    carried_schema = {"line": pl.Int64, "sku": pl.String, "has_issue": pl.Boolean}
    if index.height == 0 or rows.height == 0:
        return pl.DataFrame(schema=carried_schema), rows
    key = pl.col("sku").str.strip_chars()
    keys = rows.select("line", "row_hash", key.alias("_key"))
    # Unique by a hash of the SKU: a collision only sends a row down the full path.
    single = keys.filter(pl.col("_key").hash().is_unique() & pl.col("_key").is_not_null())
    stored = index.select(
        pl.col("sku").alias("_stored_sku"),
        (pl.col("row_hash") & ~ISSUE_BIT).alias("row_hash"),
        (pl.col("row_hash") & ISSUE_BIT).cast(pl.Boolean).alias("has_issue"),
    )
    # Join on the integer hash (cheap), then make sure it is the same SKU.
    carried = (
        single.join(stored, on="row_hash", how="inner")
        .filter(pl.col("_key") == pl.col("_stored_sku"))
        .select("line", pl.col("_key").alias("sku"), "has_issue")
    )
    fresh = rows.join(carried.select("line"), on="line", how="anti")
    return carried.cast(carried_schema), fresh  # type: ignore[arg-type]


def diff_offers(
    feed: pl.DataFrame,
    stored: pl.DataFrame,
    *,
    max_price_change_ratio: Decimal,
    carried: pl.Series | None = None,
) -> OfferChanges:
    """Split ``feed`` (priced, with ``row_hash``) against ``stored`` (the offer index).

    ``stored`` has ``sku``, ``row_hash``, ``listed``, ``price_purchase_amount`` and
    ``held_purchase_amount`` (the prices are only needed for SKUs in ``feed``).
    ``carried`` are the SKUs :func:`split_unchanged` kept out of ``feed``: unchanged,
    and not vanished.

    A purchase price that moves by more than ``max_price_change_ratio`` of the stored
    one is held: the stored prices stay, the offer is unlisted and reported, and the new
    price is remembered. When the next sync brings the same new price it is confirmed
    and applied; this is what catches ``1.234`` meant as 1.234 and read as 1234.
    """
    listed_before = int(stored.get_column("listed").sum()) if stored.height else 0
    index = stored.select(
        "sku",
        pl.col("row_hash").alias("_stored_hash"),
        pl.col("listed").alias("_stored_listed"),
        pl.col("price_purchase_amount").alias("_stored_purchase"),
        pl.col("held_purchase_amount").alias("_held_purchase"),
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
    unchanged = applicable.height - changed.height + (0 if carried is None else carried.len())

    feed_skus = feed.select("sku")
    if carried is not None and carried.len():
        feed_skus = pl.concat([feed_skus, carried.rename("sku").to_frame()])
    vanished_rows = stored.join(feed_skus, on="sku", how="anti").filter(
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
    return OfferChanges(
        created=created.drop(drop),
        updated=changed.drop(drop),
        unchanged=unchanged,
        vanished=vanished_rows.select("sku"),
        held=held.drop("_was_listed"),
        newly_unlisted=newly_unlisted,
        listed_before=listed_before,
        listed_after=listed_before - newly_unlisted + newly_listed,
    )
