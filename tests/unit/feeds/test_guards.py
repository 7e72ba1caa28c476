"""The sync's guards as a pure decision: which one trips, and the exact messages
(issue 11 item 2, and the forced-sync message of item 12)."""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from irp.feeds.format import PRICE_FORMAT
from irp.feeds.guards import GuardLimits, Refusal, SyncFigures, check_guards
from irp.feeds.parse import RowIssue

NL = GuardLimits(price_locale="nl_NL")


def price_error(line: int, value: str, sku: str) -> RowIssue:
    return RowIssue(
        line,
        "Sales Price",
        f"not a number in nl_NL: '{value}'",
        sku=sku,
        kind=PRICE_FORMAT,
        value=value,
    )


def stock_error(line: int, sku: str) -> RowIssue:
    return RowIssue(line, "Stock Quantity", "not a whole number >= 0: 'x'", sku=sku)


WRONG_LOCALE = [
    price_error(3, "1,249.00", "FLX-2"),
    price_error(4, "99.95", "FLX-3"),
    price_error(5, "10.50", "FLX-4"),
    price_error(6, "500.00", "FLX-5"),
]


def test_a_healthy_feed_passes() -> None:
    assert check_guards("flexit", SyncFigures(rows=5, valid=5, errors=[]), NL) is None


def test_wrong_price_locale_on_a_first_sync_is_refused_with_the_hint() -> None:
    refusal = check_guards("flexit", SyncFigures(rows=5, valid=1, errors=WRONG_LOCALE), NL)

    assert refusal is not None
    assert refusal.refused_message() == (
        "flexit: 4 of 5 rows are invalid (80%), more than max_invalid_ratio 0.2; 4 of 5 rows "
        "have prices that do not parse as nl_NL (e.g. '1,249.00' on line 3); is "
        "`price_locale` right? nothing was changed"
    )


def test_forced_message_does_not_say_nothing_was_changed() -> None:
    refusal = check_guards("flexit", SyncFigures(rows=5, valid=1, errors=WRONG_LOCALE), NL)

    assert refusal is not None
    assert refusal.forced_message() == (
        "forced past the guard: flexit: 4 of 5 rows are invalid (80%), more than "
        "max_invalid_ratio 0.2; 4 of 5 rows have prices that do not parse as nl_NL (e.g. "
        "'1,249.00' on line 3); applied because of --force"
    )


def test_invalid_rows_for_other_reasons_point_at_the_row_errors() -> None:
    errors = [stock_error(2, "A"), stock_error(3, "B"), price_error(4, "1,2.3", "C")]

    refusal = check_guards("acme", SyncFigures(rows=10, valid=7, errors=errors), NL)

    assert refusal == Refusal(
        "acme",
        "3 of 10 rows are invalid (30%), more than max_invalid_ratio 0.2",
        "`irp offers errors acme` lists them with the reason; nothing was changed "
        "(use --force to apply it anyway)",
    )


def test_exactly_the_invalid_ratio_passes() -> None:
    errors = [stock_error(2, "A")]
    assert check_guards("acme", SyncFigures(rows=5, valid=4, errors=errors), NL) is None
    limits = GuardLimits(max_invalid_ratio=Decimal("0"))
    assert check_guards("acme", SyncFigures(rows=5, valid=5, errors=[]), limits) is None


def test_no_valid_rows_keeps_its_message_or_gives_the_locale_hint() -> None:
    broken = check_guards("flexit", SyncFigures(rows=2, valid=0, errors=[stock_error(2, "A")]), NL)
    wrong_locale = check_guards("flexit", SyncFigures(rows=4, valid=0, errors=WRONG_LOCALE), NL)

    assert broken is not None and wrong_locale is not None
    assert broken.refused_message() == (
        "flexit: the feed has no valid rows (2 row(s) read); refusing to unlist every "
        "offer; nothing was changed (use --force if the catalogue is really empty)"
    )
    assert wrong_locale.refused_message() == (
        "flexit: the feed has no valid rows (4 row(s) read); 4 of 4 rows have prices that "
        "do not parse as nl_NL (e.g. '1,249.00' on line 3); is `price_locale` right? "
        "nothing was changed"
    )


def test_mass_unlist_of_a_truncated_feed_asks_whether_it_is_truncated() -> None:
    figures = SyncFigures(
        rows=1, valid=1, errors=[], newly_unlisted=3, listed_before=4, vanished=pl.Series(["B"])
    )

    refusal = check_guards("flexit", figures, NL)

    assert refusal is not None
    assert refusal.refused_message() == (
        "flexit: this feed would unlist 3 of 4 listed offers (75%), more than "
        "max_unlist_ratio 0.5; is the file truncated? nothing was changed (use --force to "
        "apply it anyway)"
    )
    assert refusal.forced_message() == (
        "forced past the guard: flexit: this feed would unlist 3 of 4 listed offers (75%), "
        "more than max_unlist_ratio 0.5; applied because of --force"
    )


def test_mass_unlist_of_rows_whose_prices_failed_gives_the_locale_hint() -> None:
    figures = SyncFigures(
        rows=5,
        valid=1,
        errors=WRONG_LOCALE,
        newly_unlisted=4,
        listed_before=5,
        vanished=pl.Series(["FLX-2", "FLX-3", "FLX-4", "FLX-5"]),
    )

    refusal = check_guards("flexit", figures, NL)

    assert refusal is not None
    assert refusal.refused_message() == (
        "flexit: this feed would unlist 4 of 5 listed offers (80%), more than "
        "max_unlist_ratio 0.5; the rows of 4 stored offers have prices that do not parse as "
        "nl_NL (e.g. '1,249.00' on line 3); is `price_locale` right? nothing was changed"
    )


def test_locale_hint_needs_the_unlisted_offers_to_be_the_failed_ones() -> None:
    # Four prices failed, but on new SKUs; the offers unlisted simply vanished.
    figures = SyncFigures(
        rows=8,
        valid=4,
        errors=WRONG_LOCALE,
        newly_unlisted=4,
        listed_before=6,
        vanished=pl.Series(["OLD-1", "OLD-2", "OLD-3", "OLD-4"]),
    )

    refusal = check_guards("flexit", figures, NL)

    assert refusal is not None
    assert refusal.refused_message() == (
        "flexit: this feed would unlist 4 of 6 listed offers (67%), more than "
        "max_unlist_ratio 0.5; is the file truncated? nothing was changed (use --force to "
        "apply it anyway)"
    )


def test_limits_come_from_the_offers_config() -> None:
    class Offers:
        max_unlist_ratio = 0.3
        max_invalid_ratio = 0.1
        price_locale = "de_DE"

    assert GuardLimits.from_config(Offers()) == GuardLimits(Decimal("0.3"), Decimal("0.1"), "de_DE")
