"""What each response-check rule means: the value tests behind ``asserts``.

:mod:`irp.template.asserts` compiles ``"present|integer|min:1"`` into :class:`Rule`
objects and decides which rules run (presence, null, blank); this module says whether
one value passes one rule, and if not, what the operator reads. The meanings follow
Laravel's validator (checked against the real one by
``tests/unit/template/test_laravel_differential.py``); where IRP deliberately differs,
``docs/templates.md`` ("Differences from Laravel") lists it.

How a value becomes text for ``in:``, ``not_in:`` and ``regex:`` is IRP's own rule: as
JSON prints it — ``201`` -> ``"201"``, ``201.0`` -> ``"201.0"``, ``true`` -> ``"true"``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from irp.errors import TemplateError
from irp.template.bounded_match import MatchLimitError
from irp.template.payload_json import encode_payload
from irp.template.pcre import PhpPattern

__all__ = ["CHECKS", "MEASURED_BY", "PHP_SPACE", "Rule", "is_blank", "show"]

PHP_SPACE: Final = " \t\n\r\0\x0b"
"""What PHP's ``trim`` strips: a string of only these is blank."""

_NUMERIC_TEXT: Final = re.compile(
    r"[ \t\n\r\v\f]*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?[ \t\n\r\v\f]*"
)
_FILTER_INT_SPACE: Final = " \t\r\v\n"  # what filter_var(FILTER_VALIDATE_INT) trims
_INTEGER_TEXT: Final = re.compile(r"[+-]?(0|[1-9][0-9]*)")
_INT64: Final = range(-(2**63), 2**63)
MEASURED_BY: Final = ("numeric", "integer", "string", "array")
"""Rules that tell ``min``/``max`` what to measure; one of them must be on the key."""


@dataclass(frozen=True)
class Rule:
    """One compiled rule (``in:201``): its name, text and parsed argument."""

    name: str
    text: str
    values: tuple[str, ...] = ()
    number: Decimal | None = None
    pattern: PhpPattern | None = None


def show(value: object) -> str:
    """A value as JSON prints it, shortened: what the operator sees in a failure."""
    try:
        text = encode_payload(value).decode("utf-8")
    except TemplateError:
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _as_string(value: object) -> str:
    """Text for ``in:``/``not_in:``/``regex:``: a string itself, anything else as JSON."""
    if isinstance(value, str):
        return value
    try:
        return encode_payload(value).decode("utf-8")
    except TemplateError:
        return repr(value)


def is_blank(value: object) -> bool:
    """A string PHP's ``trim`` empties: Laravel treats it as not filled in."""
    return isinstance(value, str) and value.strip(PHP_SPACE) == ""


def _is_number(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return False
    return not isinstance(value, float | Decimal) or math.isfinite(value)


def _is_numeric(value: object) -> bool:
    """PHP's ``is_numeric``: a number, or text such as ``" 1.5"``, ``"1e3"``, ``"-.5"``."""
    return _is_number(value) or (isinstance(value, str) and bool(_NUMERIC_TEXT.fullmatch(value)))


def _is_container(value: object) -> bool:
    return isinstance(value, list | tuple | Mapping)


def _elements(value: object) -> list[object]:
    """The elements of a list, or the values of an object (PHP: both are arrays)."""
    if isinstance(value, Mapping):
        return list(value.values())
    return list(value) if isinstance(value, list | tuple) else []


def _integer_problem(value: object) -> str | None:
    """Why ``value`` fails ``integer`` (PHP's FILTER_VALIDATE_INT), or None."""
    if isinstance(value, bool):
        return f"{show(value)} is a boolean, not an integer"
    number: int | None = None
    if isinstance(value, int):
        number = value
    elif isinstance(value, Decimal) and value.is_finite() and value.as_tuple().exponent == 0:
        number = int(value)
    elif isinstance(value, str):
        text = value.strip(_FILTER_INT_SPACE)
        if _INTEGER_TEXT.fullmatch(text):
            number = int(text)
    if number is None:
        return f"{show(value)} is not an integer"
    if number not in _INT64:
        return f"{show(value)} is beyond the 64-bit integers Laravel accepts"
    return None


def _is_boolean(value: object) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, int):
        return value in (0, 1)
    return value in ("0", "1")


_TYPES: Final[dict[str, tuple[Callable[[object], bool], str]]] = {
    "numeric": (_is_numeric, "numeric"),
    "string": (lambda v: isinstance(v, str), "a string"),
    "boolean": (_is_boolean, "a boolean"),
    "array": (_is_container, "an array"),
}

_Check = Callable[[Rule, object, frozenset[str]], "str | None"]


def _check_type(rule: Rule, value: object, names: frozenset[str]) -> str | None:
    if rule.name == "integer":
        return _integer_problem(value)
    test, noun = _TYPES[rule.name]
    return None if test(value) else f"{show(value)} is not {noun}"


def _listed(rule: Rule) -> str:
    return "[" + ", ".join(rule.values) + "]"


def _is_listed(element: object, rule: Rule) -> bool:
    """An element of a list value: a nested list or object is never a listed value."""
    return not _is_container(element) and _as_string(element) in rule.values


def _check_in(rule: Rule, value: object, names: frozenset[str]) -> str | None:
    if _is_container(value):
        if "array" not in names:
            return f"{show(value)} is an array; in: takes a single value (add 'array')"
        outside = [e for e in _elements(value) if not _is_listed(e, rule)]
        if outside:
            return f"{show(outside[0])} in {show(value)} is not in {_listed(rule)}"
        return None
    if _as_string(value) not in rule.values:
        return f"{show(value)} is not in {_listed(rule)}"
    return None


def _check_not_in(rule: Rule, value: object, names: frozenset[str]) -> str | None:
    if _is_container(value):
        if "array" not in names:
            return (
                f"{show(value)} is an array; not_in: takes a single value "
                "(add 'array' to check each element)"
            )
        inside = [e for e in _elements(value) if _is_listed(e, rule)]
        if inside:
            return f"{show(inside[0])} in {show(value)} is in not_in {_listed(rule)}"
        return None
    if _as_string(value) in rule.values:
        return f"{show(value)} is in not_in {_listed(rule)}"
    return None


def _size(value: object, names: frozenset[str]) -> tuple[Decimal, str] | None:
    """Laravel's getSize for the kinds the key's rules allow: (measure, unit) or None."""
    if names & {"numeric", "integer"} and _is_numeric(value):
        if isinstance(value, str):
            return Decimal(value.strip(" \t\n\r\v\f")), ""
        return Decimal(str(value)), ""
    if _is_container(value) and "array" in names:
        return Decimal(len(_elements(value))), " items"
    if isinstance(value, str) and "string" in names:
        return Decimal(len(value)), " characters"
    return None


def _check_bound(rule: Rule, value: object, names: frozenset[str]) -> str | None:
    measured = _size(value, names)
    if measured is None:
        kinds = " or ".join(kind for kind in MEASURED_BY if kind in names)
        return f"{show(value)} is not {kinds}, so {rule.text} cannot measure it"
    size, unit = measured
    assert rule.number is not None
    too_small = rule.name == "min" and size < rule.number
    too_big = rule.name == "max" and size > rule.number
    if not (too_small or too_big):
        return None
    relation = "less than" if too_small else "more than"
    if unit:
        return f"{show(value)} has {size}{unit}, {relation} {rule.text}"
    return f"{show(value)} is {relation} {rule.text}"


def _check_regex(rule: Rule, value: object, names: frozenset[str]) -> str | None:
    if not (isinstance(value, str) or _is_number(value)):
        return f"{show(value)} is not text, so {rule.name} cannot match it"
    assert rule.pattern is not None
    try:
        matched = rule.pattern.search(_as_string(value))
    except MatchLimitError as exc:  # as PHP's preg_match past pcre.backtrack_limit
        return (
            f"{show(value)} could not be matched against {rule.text}: {exc}, so the "
            f"{rule.name} check fails (the pattern backtracks too much on this value; "
            "simplify it, e.g. no repeated group that itself repeats, as in (a+)+)"
        )
    if matched is None:
        return f"{show(value)} is not valid Unicode text, so {rule.name} cannot match it"
    if rule.name == "regex" and not matched:
        return f"{show(value)} does not match {rule.text}"
    if rule.name == "not_regex" and matched:
        return f"{show(value)} matches {rule.text}"
    return None


CHECKS: Final[dict[str, _Check]] = {
    "in": _check_in,
    "not_in": _check_not_in,
    "min": _check_bound,
    "max": _check_bound,
    "regex": _check_regex,
    "not_regex": _check_regex,
    "integer": _check_type,
    **dict.fromkeys(_TYPES, _check_type),
}
"""Rule name -> check(rule, value, names of every rule on the key) -> problem or None.

Only for a present value that is neither null nor blank; :mod:`asserts` decides those.
"""
