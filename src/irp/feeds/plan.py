"""The pure half of a sync: raw feed rows + the stored index -> what to write.

Nothing here writes, and nothing runs inside a database transaction: the sync plans
against a baseline (the offer index at one offers version), then writes the plan in
short chunks, each checked against that version (``apply.py``). The one read is the
stored prices of the offers the feed changes, through ``stored_prices``.

A row unchanged since the last sync is not validated, priced or written: each row's
raw mapped text is hashed with the format and pricing settings
(``diff.raw_row_hash``), and a row whose hash equals its stored offer's is carried over
— only its bad SRP/EAN, flagged in the stored hash, is reported again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

import polars as pl

from irp.feeds.background import OfferBaseline
from irp.feeds.diff import (
    OfferChanges,
    diff_offers,
    index_after,
    raw_row_hash,
    split_unchanged,
    with_issue_bit,
)
from irp.feeds.format import CANONICAL_FIELDS, LINE
from irp.feeds.parse import FeedFormat, RawFeed, RowIssue, kept_row_issues, validate_rows
from irp.feeds.price import LEVY_CENTS, Pricing, add_breakdown, price_offers

#: What the diff needs besides the index: ``sku``, ``price_purchase_amount``,
#: ``held_purchase_amount`` and ``ean`` of the stored offers among the given SKUs.
StoredPrices = Callable[[pl.Series], pl.DataFrame]


@dataclass(frozen=True)
class SyncPlan:
    """What one sync will write, and what it found."""

    changes: OfferChanges
    """Created and updated offers lack ``price_breakdown``: ``finish`` adds it."""
    finish: Callable[[pl.DataFrame], pl.DataFrame]
    """Adds ``price_breakdown`` to a slice of created or updated offers, as it is written."""
    index: pl.DataFrame
    """The offer index once ``changes`` are written (``diff.index_after``)."""
    errors: list[RowIssue]
    rows: int
    valid: int
    baseline: OfferBaseline


def plan_sync(
    raw: RawFeed,
    fmt: FeedFormat,
    pricing: Pricing,
    *,
    settings: str,
    baseline: OfferBaseline,
    stored_prices: StoredPrices,
    max_price_change_ratio: Decimal,
) -> SyncPlan:
    """Hash, split, validate, price and diff ``raw`` against ``baseline``.

    ``settings`` is the format and pricing fingerprint the row hashes are seeded with.
    Pass ``raw`` without keeping a reference: a million rows of raw text hold a few
    hundred MB, freed here as soon as they are validated.
    """
    read_issues, rows_read, frame = raw.issues, raw.rows, raw.frame
    del raw
    fields = [c for c in frame.columns if c != LINE]
    rows = frame.with_columns(raw_row_hash(frame, fields, settings))
    del frame
    split = split_unchanged(rows, baseline.index)
    owing = split.carried.filter(pl.col("has_issue")).select(LINE)
    issues = kept_row_issues(rows.join(owing, on=LINE, how="semi"), fmt) if owing.height else []
    del rows
    carried, rest, fresh = split.carried, split.rest, split.fresh
    listed_before = split.listed_before
    del split
    fresh_keys = fresh.select(LINE, pl.col("sku").str.strip_chars())
    offers, fresh_issues = validate_rows(fresh, fmt, keep=("row_hash",), flag="_has_issue")
    del fresh
    offers = offers.with_columns(
        with_issue_bit(pl.col("row_hash"), pl.col("_has_issue")).alias("row_hash")
    ).drop("_has_issue")
    valid = offers.height + carried.height
    priced = stored_columns(price_offers(offers, pricing, breakdown=False), fmt)
    del offers
    stored = _with_prices(rest, priced.get_column("sku"), stored_prices)
    changes = diff_offers(
        priced,
        stored,
        max_price_change_ratio=max_price_change_ratio,
        carried=carried.height,
        listed_before=listed_before,
    )
    del stored
    return SyncPlan(
        changes=changes,
        finish=partial(add_breakdown, pricing=pricing),
        index=index_after(carried, rest, fresh_keys, priced, changes),
        errors=sorted(read_issues + issues + fresh_issues, key=lambda issue: issue.line),
        rows=rows_read,
        valid=valid,
        baseline=baseline,
    )


_MONEY = pl.Decimal(14, 4)


def _with_prices(rest: pl.DataFrame, skus: pl.Series, stored_prices: StoredPrices) -> pl.DataFrame:
    """``rest`` with the stored prices of the offers among ``skus`` (null for the others)."""
    wanted = rest.join(skus.to_frame("sku"), on="sku", how="semi").get_column("sku")
    if wanted.len():
        prices = stored_prices(wanted)
    else:
        prices = pl.DataFrame(
            schema={
                "sku": pl.String,
                "price_purchase_amount": _MONEY,
                "held_purchase_amount": _MONEY,
                "ean": pl.String,
            }
        )
    return rest.join(prices, on="sku", how="left")


def stored_columns(priced: pl.DataFrame, fmt: FeedFormat) -> pl.DataFrame:
    """Keep ``line`` and the stored columns; fold extra mapped fields into ``extra`` JSON.

    ``priced`` comes from ``price_offers(..., breakdown=False)``: the levy stays for
    :func:`~irp.feeds.price.add_breakdown`.
    """
    extra_fields = [f for f in fmt.mapping if f not in CANONICAL_FIELDS]
    if extra_fields:
        extra = pl.struct([pl.col(f) for f in extra_fields]).struct.json_encode()
    else:
        extra = pl.lit(None, pl.String)
    return priced.with_columns(extra.alias("extra")).select(
        LINE,
        "sku",
        *(c for c in CANONICAL_FIELDS if c != "sku"),
        "price_selling_amount",
        "price_selling_amount_incl_vat",
        "listed",
        "above_srp",
        LEVY_CENTS,
        "extra",
        "row_hash",
    )
