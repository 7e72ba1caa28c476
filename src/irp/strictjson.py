"""Reading JSON that comes from outside: bounded depth, no NaN or Infinity.

Python's :mod:`json` accepts what JSON does not (``NaN``, ``Infinity``, ``-Infinity``),
turns ``1e400`` into ``inf`` silently, and recurses once per nesting level, so a body of
100,000 ``[`` raises ``RecursionError`` — not a ``ValueError`` — from deep inside the
parser. A supplier's answer, an inbound order file or a feed must never crash a command
that way. :func:`loads` refuses all of it with :class:`JsonRefused`, a ``ValueError``
whose message says what was refused, so callers that already catch "not JSON" keep
working and get a better reason.

>>> loads('{"a": [1, 2.5]}')
{'a': [1, 2.5]}
>>> loads('{"a": NaN}')
Traceback (most recent call last):
...
irp.strictjson.JsonRefused: NaN is not a JSON number
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["MAX_DEPTH", "JsonRefused", "loads"]

MAX_DEPTH = 64
"""Nesting deeper than this is refused: no order, answer or feed row needs more."""


class JsonRefused(ValueError):
    """Valid JSON syntax, or close to it, that IRP refuses to read (depth, NaN, Infinity)."""


def _refuse_constant(name: str) -> Any:
    raise JsonRefused(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonRefused(f"the number {text[:40]} is too large")
    return value


def loads(
    data: str | bytes,
    *,
    parse_float: Callable[[str], Any] = _finite_float,
    max_depth: int = MAX_DEPTH,
) -> Any:
    """Parse ``data`` as strict JSON; raise ``json.JSONDecodeError`` or :class:`JsonRefused`.

    ``parse_float`` is called with each non-integer number's text (pass ``Decimal`` to
    keep the digits exact); by default a number too large for a float is refused
    instead of becoming ``inf``.
    """
    try:
        value = json.loads(data, parse_float=parse_float, parse_constant=_refuse_constant)
    except RecursionError:
        raise JsonRefused(f"nested more than {max_depth} levels deep") from None
    except (json.JSONDecodeError, JsonRefused):
        raise
    except ValueError as exc:  # int() refuses an integer of thousands of digits
        if "integer string conversion" not in str(exc):
            raise
        limit = sys.get_int_max_str_digits()
        raise JsonRefused(f"a number has more than {limit} digits") from None
    if _depth_exceeds(value, max_depth):
        raise JsonRefused(f"nested more than {max_depth} levels deep")
    return value


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` nests lists/objects more than ``limit`` deep (no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False
