"""The four strict casts of the template language: ``(int)``, ``(float)``, ``(string)``,
``(bool)``.

They exist because PHP's casts are lenient in ways that lose orders: ``(int)"12,5"`` is
12 and ``(bool)"false"`` is true there. Here a value either has one obvious meaning in
the target type or the cast is an error the operator sees. ``(float)`` never goes
through binary floating point: it yields a :class:`~decimal.Decimal` that the payload
encoder writes with exactly its digits.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Final

from irp.errors import TemplateError

_INT_TEXT: Final = re.compile(r"[+-]?[0-9]+")
_DECIMAL_TEXT: Final = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
_BOOL_TEXT: Final = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def describe_value(value: object) -> str:
    """Show a value in an error message the way an operator reads it (short, typed)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return repr(shown)
    if isinstance(value, int | Decimal | float):
        return str(value)
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"


def _float_to_decimal(value: float) -> Decimal:
    if not math.isfinite(value):
        raise TemplateError(f"{describe_value(value)} is not a finite number")
    return Decimal(repr(value))


def _finite(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise TemplateError(f"{value} is not a finite number")
    return value


def to_int(value: object) -> int:
    """``(int)``: ints, integral numbers and plain digit strings; nothing is truncated."""
    if isinstance(value, bool):
        raise TemplateError(f"{describe_value(value)} is a boolean, not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        value = _float_to_decimal(value)
    if isinstance(value, Decimal):
        _finite(value)
        if value != value.to_integral_value():
            raise TemplateError(f"{value} is not a whole number; (int) never rounds")
        return int(value)
    if isinstance(value, str):
        if _INT_TEXT.fullmatch(value):
            return int(value)
        raise TemplateError(
            f"{describe_value(value)} is not an integer: (int) takes digits only, e.g. '12'"
        )
    raise TemplateError(f"{describe_value(value)} cannot be cast to int")


def to_decimal(value: object) -> Decimal:
    """``(float)``: an exact decimal number (JSON number on the wire, never binary float)."""
    if isinstance(value, bool):
        raise TemplateError(f"{describe_value(value)} is a boolean, not a number")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return _float_to_decimal(value)
    if isinstance(value, Decimal):
        return _finite(value)
    if isinstance(value, str):
        if _DECIMAL_TEXT.fullmatch(value):
            return Decimal(value)
        raise TemplateError(
            f"{describe_value(value)} is not a number: (float) takes digits with an "
            "optional '.' decimal point, e.g. '249.00'"
        )
    raise TemplateError(f"{describe_value(value)} cannot be cast to float")


def to_string(value: object) -> str:
    """``(string)``: text as JSON would print the scalar; null and containers are errors."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(_float_to_decimal(value))
    if isinstance(value, Decimal):
        return format(_finite(value), "f")
    raise TemplateError(f"{describe_value(value)} cannot be cast to string")


def to_bool(value: object) -> bool:
    """``(bool)``: true/false/1/0/yes/no (any case) and the numbers 0 and 1; nothing else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | Decimal) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in _BOOL_TEXT:
        return _BOOL_TEXT[value.lower()]
    raise TemplateError(
        f"{describe_value(value)} is not a boolean: (bool) takes true/false, 1/0 or yes/no"
    )


CASTS: Final[dict[str, Callable[[object], object]]] = {
    "int": to_int,
    "float": to_decimal,
    "string": to_string,
    "bool": to_bool,
}


def apply_cast(name: str, value: object) -> object:
    """Apply the cast called ``name`` (one of :data:`CASTS`) to ``value``."""
    return CASTS[name](value)
