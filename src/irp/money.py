"""Money: one canonical form for every amount IRP shows, sends or compares.

The store keeps four decimals (a feed or an order may carry them); people, the
marketplace and suppliers read cents. An amount is shown with at least two decimals
and no trailing zeros beyond them, so ``249.0000`` is ``249.00`` and ``0.1250`` is
``0.125`` — never rounded, never through a float.
"""

from __future__ import annotations

from decimal import Decimal

_CENTS = Decimal("0.01")


def canonical_money(amount: Decimal) -> Decimal:
    """``amount`` with at least two decimals and no trailing zeros beyond them.

    ``canonical_money(Decimal("249.0000")) == Decimal("249.00")`` (same digits) and
    ``str(canonical_money(Decimal("0.1250"))) == "0.125"``.
    """
    cents = amount.quantize(_CENTS)
    if cents == amount:
        return cents
    return amount.normalize()


def money_text(amount: Decimal | None) -> str | None:
    """:func:`canonical_money` as text (``None`` stays ``None``), in plain notation."""
    if amount is None:
        return None
    return format(canonical_money(amount), "f")
