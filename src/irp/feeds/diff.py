"""Compare a priced feed with what is stored, and decide what to write.

Pure: takes two DataFrames, returns frames of created, updated, unlisted and held
offers. The sync writes exactly those, so a million-row feed in which 1% changed costs
1% of the writes. Everything is a polars join or filter; there is no loop per row.

The decision rests on ``row_hash``, a 64-bit hash of every stored value the feed and
the pricing produce. An offer whose hash equals the stored one is left alone. Offers
unlisted by IRP itself (vanished, held, stale) are stored with ``row_hash`` 0, so the
next time the feed carries them they count as changed and are listed again.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import polars as pl

#: Stored columns whose values come from the feed and the pricing, in hash order.
HASHED_COLUMNS: tuple[str, ...] = (
    "name",
    "ean",
    "stock_available",
    "price_purchase_amount",
    "price_consumer_amount",
    "price_selling_amount",
    "price_selling_amount_incl_vat",
    "listed",
    "above_srp",
    "price_breakdown",
    "extra",
)

#: ``row_hash`` of an offer IRP unlisted on its own: never equal to a real hash.
UNLISTED_HASH = 0


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


def add_row_hash(offers: pl.DataFrame) -> pl.DataFrame:
    """Add ``row_hash``: a stable 64-bit hash of :data:`HASHED_COLUMNS`.

    Polars guarantees the hash within one polars version; after an upgrade every
    offer counts as changed once, which costs one full write and nothing else.
    """
    as_text = [pl.col(c).cast(pl.String).fill_null("\x00") for c in HASHED_COLUMNS]
    row_hash = pl.concat_str(as_text, separator="\x1f").hash(seed=0).reinterpret(signed=True)
    # 0 is reserved for offers IRP unlisted itself.
    return offers.with_columns(
        pl.when(row_hash == UNLISTED_HASH)
        .then(pl.lit(1, pl.Int64))
        .otherwise(row_hash)
        .alias("row_hash")
    )


def diff_offers(
    feed: pl.DataFrame,
    stored: pl.DataFrame,
    *,
    max_price_change_ratio: Decimal,
) -> OfferChanges:
    """Split ``feed`` (priced, with ``row_hash``) against ``stored`` (the offer index).

    ``stored`` has ``sku``, ``row_hash``, ``listed``, ``stock_available``,
    ``price_purchase_amount`` and ``held_purchase_amount``.

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
        pl.col("_held_purchase").cast(pl.String) == pl.col("price_purchase_amount").cast(pl.String)
    )
    is_held = jumped & ~confirmed
    held_rows = existing.filter(is_held)
    held = held_rows.select(
        "sku",
        pl.col("price_purchase_amount").alias("held_purchase_amount"),
        pl.format(
            "purchase price {} -> {}: held until the next sync confirms it",
            pl.col("_stored_purchase").cast(pl.String),
            pl.col("price_purchase_amount").cast(pl.String),
        ).alias("hold_reason"),
        pl.col("_stored_listed").alias("_was_listed"),
    )
    applicable = existing.filter(~is_held)
    changed = applicable.filter(pl.col("row_hash") != pl.col("_stored_hash"))
    unchanged = applicable.height - changed.height

    feed_skus = feed.select("sku")
    vanished_rows = stored.join(feed_skus, on="sku", how="anti").filter(
        (pl.col("row_hash") != UNLISTED_HASH) | pl.col("listed")
    )
    newly_unlisted = (
        int(vanished_rows.get_column("listed").sum())
        + int(held.get_column("_was_listed").fill_null(False).sum())
        + int((changed.get_column("_stored_listed") & ~changed.get_column("listed")).sum())
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
    )
