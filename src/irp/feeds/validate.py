"""Validating mapped text rows into canonical offers (SPEC §2), vectorized.

A row without a usable ``sku``, ``stock_available`` or ``price_purchase_amount`` is
dropped and reported. An unusable EAN or SRP (``price_consumer_amount``) is reported and
stored as null; the offer stays. Duplicate SKUs: the first valid row wins, later ones
are reported. A value quoted in a message is cut to ``QUOTED_CHARS`` characters.
"""

from __future__ import annotations

import polars as pl

from irp.feeds.ean import ean_problem
from irp.feeds.format import (
    CANONICAL_FIELDS,
    LINE,
    PRICE_FORMAT,
    FeedFormat,
    RowIssue,
    cut_value,
)
from irp.feeds.numbers import cents_to_decimal, locale_numbers, parse_count, parse_money


def validate_rows(
    frame: pl.DataFrame, fmt: FeedFormat, *, keep: tuple[str, ...] = (), flag: str | None = None
) -> tuple[pl.DataFrame, list[RowIssue]]:
    """Validate the ``frame`` of a :class:`RawFeed` (or some of its rows).

    Returns the valid offers (duplicates dropped) and every problem found, by line.
    Columns named in ``keep`` (e.g. the sync's ``row_hash``) pass through unchanged;
    with ``flag``, a Boolean column of that name is true for an offer kept despite a
    problem (bad SRP or EAN).
    """
    numbers = locale_numbers(fmt.price_locale, fmt.currency)
    label = dict(fmt.mapping)  # canonical field -> the column name the operator knows
    extras = [f for f in fmt.mapping if f not in CANONICAL_FIELDS]
    mapped = _trimmed(frame, (*CANONICAL_FIELDS, *extras), keep)
    stock, stock_problem = parse_count(pl.col("stock_available"))
    mapped = parse_money(mapped, "price_purchase_amount", numbers)
    mapped = parse_money(mapped, "price_consumer_amount", numbers)
    purchase = pl.col("price_purchase_amount_cents")
    srp = pl.col("price_consumer_amount_cents")
    checked = mapped.with_columns(
        stock.alias("_stock"),
        pl.when(pl.col("sku").is_null()).then(pl.lit("empty; a sku is required")).alias("_p_sku"),
        stock_problem.alias("_p_stock"),
        pl.when(pl.col("price_purchase_amount").is_null())
        .then(pl.lit("empty; a purchase price is required"))
        .when(pl.col("price_purchase_amount_problem").is_not_null())
        .then(pl.col("price_purchase_amount_problem"))
        .when(purchase <= 0)
        .then(pl.lit("must be greater than 0"))
        .alias("_p_purchase"),
        pl.when(pl.col("price_purchase_amount_format_error"))
        .then(pl.lit(PRICE_FORMAT))
        .alias("_k_purchase"),
        _srp_problem().alias("_p_srp"),
        ean_problem(pl.col("ean")).alias("_p_ean"),
    )
    checks = (  # field, problem column, what happens to the offer, kind column
        ("sku", "_p_sku", "", None),
        ("stock_available", "_p_stock", "", None),
        ("price_purchase_amount", "_p_purchase", "", "_k_purchase"),
        *_KEPT_CHECKS,
    )
    found = _issue_frames(checked, checks, label)
    valid = checked.filter(
        pl.col("_p_sku").is_null() & pl.col("_p_stock").is_null() & pl.col("_p_purchase").is_null()
    ).with_columns(pl.col("sku").is_first_distinct().alias("_first"))
    later = valid.filter(~pl.col("_first"))
    if later.height:  # rare: only then find where each duplicated sku was first seen
        first_seen = valid.filter(pl.col("_first") & pl.col("sku").is_in(later["sku"].implode()))
        found.append(
            later.join(
                first_seen.select("sku", pl.col(LINE).alias("_first_line")), on="sku"
            ).select(
                pl.col(LINE),
                pl.lit(len(checks), pl.Int32).alias("_order"),
                pl.lit(label["sku"]).alias("column"),
                pl.format(
                    "duplicate sku {}, first seen on line {}",
                    cut_value(pl.col("sku")),
                    "_first_line",
                ).alias("message"),
                cut_value(pl.col("sku")).alias("sku"),
                pl.lit("").alias("kind"),
                cut_value(pl.col("sku")).alias("value"),
            )
        )
    offers = valid.filter(pl.col("_first")).select(
        pl.col(LINE),
        pl.col("sku"),
        pl.col("name"),
        pl.when(pl.col("_p_ean").is_null()).then(pl.col("ean")).alias("ean"),
        pl.col("_stock").alias("stock_available"),
        cents_to_decimal(purchase).alias("price_purchase_amount"),
        cents_to_decimal(pl.when(pl.col("_p_srp").is_null()).then(srp)).alias(
            "price_consumer_amount"
        ),
        *(pl.col(f) for f in extras),
        *(pl.col(k) for k in keep),
        *(
            [(pl.col("_p_srp").is_not_null() | pl.col("_p_ean").is_not_null()).alias(flag)]
            if flag
            else []
        ),
    )
    return offers, _issue_list(found)


_KEPT_CHECKS: tuple[tuple[str, str, str, str | None], ...] = (  # problems that keep the offer
    ("price_consumer_amount", "_p_srp", " (SRP left empty)", None),
    ("ean", "_p_ean", " (EAN left empty)", None),
)


def kept_row_issues(frame: pl.DataFrame, fmt: FeedFormat) -> list[RowIssue]:
    """The problems of rows known to be valid that keep the offer: a bad SRP or EAN.

    The sync does not re-validate rows unchanged since the last sync, yet such a
    problem must be reported on every run (the row errors go back to the refurbisher).
    Numbered like :func:`validate_rows` numbers them.
    """
    numbers = locale_numbers(fmt.price_locale, fmt.currency)
    fields = [f for f in ("price_consumer_amount", "ean") if f in frame.columns]
    if not fields or frame.height == 0:
        return []
    mapped = _trimmed(frame, ("sku", "price_consumer_amount", "ean"))
    mapped = mapped.filter(pl.any_horizontal(pl.col(f).is_not_null() for f in fields))
    mapped = parse_money(mapped, "price_consumer_amount", numbers)
    checked = mapped.with_columns(
        _srp_problem().alias("_p_srp"), ean_problem(pl.col("ean")).alias("_p_ean")
    )
    found = _issue_frames(checked, _KEPT_CHECKS, dict(fmt.mapping), first_order=3)
    return _issue_list(found)


def _trimmed(
    frame: pl.DataFrame, fields: tuple[str, ...], keep: tuple[str, ...] = ()
) -> pl.DataFrame:
    """``line`` and ``fields`` stripped of spaces; empty and unmapped fields are null."""

    def text(f: str) -> pl.Expr:
        if f not in frame.columns:
            return pl.lit(None, pl.String)
        value = pl.col(f).str.strip_chars()
        return pl.when(value.str.len_bytes() > 0).then(value)

    return frame.select(pl.col(LINE), *(text(f).alias(f) for f in fields), *keep)


def _srp_problem() -> pl.Expr:
    return (
        pl.when(pl.col("price_consumer_amount_problem").is_not_null())
        .then(pl.col("price_consumer_amount_problem"))
        .when(pl.col("price_consumer_amount_cents") <= 0)
        .then(pl.lit("must be greater than 0"))
    )


def _issue_frames(
    checked: pl.DataFrame,
    checks: tuple[tuple[str, str, str, str | None], ...],
    label: dict[str, str],
    *,
    first_order: int = 0,
) -> list[pl.DataFrame]:
    return [
        checked.filter(pl.col(problem).is_not_null()).select(
            pl.col(LINE),
            pl.lit(order, pl.Int32).alias("_order"),
            pl.lit(label.get(f, f)).alias("column"),
            pl.when(pl.col(f).is_null())
            .then(pl.col(problem))
            .otherwise(
                pl.format("{}: '{}'{}", pl.col(problem), cut_value(pl.col(f)), pl.lit(outcome))
            )
            .alias("message"),
            cut_value(pl.col("sku")).alias("sku"),
            (pl.col(kind) if kind else pl.lit(None, pl.String)).fill_null("").alias("kind"),
            cut_value(pl.col(f)).alias("value"),
        )
        for order, (f, problem, outcome, kind) in enumerate(checks, start=first_order)
    ]


def _issue_list(found: list[pl.DataFrame]) -> list[RowIssue]:
    issues = pl.concat(found).sort(LINE, "_order", maintain_order=True)
    return [
        RowIssue(line, column, message, sku=sku, kind=kind, value=value)
        for line, _, column, message, sku, kind, value in issues.iter_rows()
    ]
