"""The sync's guards: whether a feed that was read, validated and diffed may be applied.

A feed that looks wrong changes nothing (SPEC §2). :func:`check_guards` is pure: it
looks at the counts of one sync and returns a :class:`Refusal` — or ``None`` when the
feed may be applied. The guards, in order:

1. **no valid rows** (empty feed, every row broken): applying it would unlist the
   whole catalogue;
2. **mass unlist**: more than ``max_unlist_ratio`` of the listed offers would be
   unlisted — what a truncated upload looks like;
3. **invalid rows**: more than ``max_invalid_ratio`` of the rows are invalid — what a
   wrong ``price_locale`` looks like on a first sync, before any offer is stored.

When most of the failing rows have a purchase price that does not parse in the feed's
locale, the message says so, with an example, and asks whether ``price_locale`` is
right instead of suggesting ``--force``. ``--force`` applies any of them; the run's
message then says it was forced, without the refusal's "nothing was changed".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import polars as pl

from irp.feeds.format import PRICE_FORMAT, RowIssue

__all__ = ["GuardLimits", "Refusal", "SyncFigures", "check_guards"]


@dataclass(frozen=True)
class GuardLimits:
    """The guard settings of a refurbisher's ``offers`` section."""

    max_unlist_ratio: Decimal = Decimal("0.5")
    max_invalid_ratio: Decimal = Decimal("0.2")
    price_locale: str = "en_US"

    @classmethod
    def from_config(cls, offers: Any) -> GuardLimits:
        """Read an ``OffersConfig`` (by attribute name); ratios as exact decimals."""
        return cls(
            max_unlist_ratio=Decimal(str(offers.max_unlist_ratio)),
            max_invalid_ratio=Decimal(str(offers.max_invalid_ratio)),
            price_locale=str(offers.price_locale),
        )


@dataclass(frozen=True)
class SyncFigures:
    """What one sync would do: rows read and valid, the row errors, and the diff's
    ``newly_unlisted`` and ``listed_before`` with the ``vanished`` SKUs."""

    rows: int
    valid: int
    errors: Sequence[RowIssue]
    newly_unlisted: int = 0
    listed_before: int = 0
    vanished: pl.Series | None = None


@dataclass(frozen=True)
class Refusal:
    """Why a sync must not be applied.

    ``reason`` says what is wrong and what it rests on; ``next_step`` is what a refusal
    adds: the question to ask, "nothing was changed", and whether ``--force`` helps.
    """

    key: str
    reason: str
    next_step: str

    def refused_message(self) -> str:
        """The run's message when the sync is refused."""
        return f"{self.key}: {self.reason}; {self.next_step}"

    def forced_message(self) -> str:
        """The run's message when ``--force`` applied the sync anyway."""
        return f"forced past the guard: {self.key}: {self.reason}; applied because of --force"


_NOTHING_CHANGED = "nothing was changed"
_FORCE = f"{_NOTHING_CHANGED} (use --force to apply it anyway)"
_LOCALE_QUESTION = f"is `price_locale` right? {_NOTHING_CHANGED}"


def check_guards(key: str, figures: SyncFigures, limits: GuardLimits) -> Refusal | None:
    """The first guard ``figures`` trip (see the module), or ``None``.

    >>> check_guards("acme", SyncFigures(rows=10, valid=10, errors=[]), GuardLimits())
    """
    formats = [e for e in figures.errors if e.kind == PRICE_FORMAT]
    invalid = figures.rows - figures.valid
    if figures.valid == 0:
        hint = _locale_hint(formats, invalid, f"of {figures.rows} rows", limits)
        return Refusal(
            key,
            f"the feed has no valid rows ({figures.rows} row(s) read){hint}",
            _LOCALE_QUESTION
            if hint
            else "refusing to unlist every offer; nothing was changed (use --force if the "
            "catalogue is really empty)",
        )
    if figures.listed_before and figures.newly_unlisted:
        ratio = Decimal(figures.newly_unlisted) / Decimal(figures.listed_before)
        if ratio > limits.max_unlist_ratio:
            failed = _unlisted_for_format(formats, figures.vanished)
            hint = _locale_hint(failed, figures.newly_unlisted, "", limits)
            return Refusal(
                key,
                f"this feed would unlist {figures.newly_unlisted} of {figures.listed_before} "
                f"listed offers ({ratio:.0%}), more than max_unlist_ratio "
                f"{limits.max_unlist_ratio}{hint}",
                _LOCALE_QUESTION if hint else f"is the file truncated? {_FORCE}",
            )
    if figures.rows and invalid:
        ratio = Decimal(invalid) / Decimal(figures.rows)
        if ratio > limits.max_invalid_ratio:
            hint = _locale_hint(formats, invalid, f"of {figures.rows} rows", limits)
            return Refusal(
                key,
                f"{invalid} of {figures.rows} rows are invalid ({ratio:.0%}), more than "
                f"max_invalid_ratio {limits.max_invalid_ratio}{hint}",
                _LOCALE_QUESTION
                if hint
                else f"`irp offers errors {key}` lists them with the reason; {_FORCE}",
            )
    return None


def _locale_hint(
    formats: Sequence[RowIssue], failing: int, of_rows: str, limits: GuardLimits
) -> str:
    """The hint, when the rows whose price has the wrong shape are most of the
    ``failing`` ones: "; 4 of 5 rows have prices that do not parse as nl_NL (e.g.
    '1,249.00' on line 3)". Without ``of_rows`` ("of 5 rows") they are stored offers'."""
    lines = {e.line for e in formats}
    if not lines or 2 * len(lines) <= failing:
        return ""
    example = min(formats, key=lambda e: e.line)
    rows = f"{len(lines)} {of_rows}" if of_rows else f"the rows of {len(lines)} stored offers"
    return (
        f"; {rows} have prices that do not parse as {limits.price_locale} "
        f"(e.g. '{example.value}' on line {example.line})"
    )


def _unlisted_for_format(formats: Sequence[RowIssue], vanished: pl.Series | None) -> list[RowIssue]:
    """The price-format issues whose SKU this sync would unlist (it vanished from the
    valid rows because its price did not parse)."""
    skus = [e.sku for e in formats if e.sku is not None]
    if vanished is None or not skus:
        return []
    gone = set(vanished.filter(vanished.is_in(pl.Series(skus, dtype=pl.String))).to_list())
    return [e for e in formats if e.sku in gone]
