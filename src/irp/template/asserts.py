"""Response checks: Laravel-style validation rules over an order API's answer.

``response_object.asserts`` maps ``status`` (the HTTP status) or a dotted path into the
JSON body to rules joined by ``|`` (``"OrderNumber": "present|filled"``). The rules
mean what Laravel's validator means by them, with one deliberate difference: a rule
that Laravel would *skip* for a missing or blank value fails here — a check that
silently passes would mark an order ``submitted`` that the refurbisher never took.
``docs/templates.md`` lists every rule with its exact meaning.

Paths: ``status`` is the HTTP status; ``body`` is the whole body; ``body.<path>`` and
any other key are dotted paths into the body (``lines.0.sku``: digits index lists).
A key containing a dot is written with ``\\.`` (``meta.order\\.id``); ``\\\\`` is a
backslash.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from irp.errors import ConfigError, ConfigErrors, TemplateError
from irp.template.paths import MISSING, resolve_path
from irp.template.payload_json import encode_payload

__all__ = ["RULES", "AssertRules", "compile_asserts", "extract_fields", "validate_fields"]

_NO_ARGUMENT: Final = (
    "present",
    "filled",
    "required",
    "nullable",
    "sometimes",
    "numeric",
    "integer",
    "string",
    "boolean",
    "array",
)
_WITH_ARGUMENT: Final = ("in", "not_in", "min", "max", "regex", "not_regex")
RULES: Final = _NO_ARGUMENT + _WITH_ARGUMENT
"""Every rule name ``compile_asserts`` accepts."""

_IMPLICIT: Final = frozenset({"present", "filled", "required"})
_FLAGS: Final = frozenset({"nullable", "sometimes"})
_PHP_SPACE: Final = " \t\n\r\0\x0b"
_NUMERIC_TEXT: Final = re.compile(
    r"[ \t\n\r\v\f]*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?[ \t\n\r\v\f]*"
)
_INTEGER_TEXT: Final = re.compile(r"[+-]?[0-9]+")
_REGEX_FLAGS: Final = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}
_CLOSING: Final = {"(": ")", "{": "}", "[": "]", "<": ">"}


# --- paths -----------------------------------------------------------------------------


def parse_body_path(text: str) -> tuple[str, ...]:
    """Split a body path on unescaped dots; ``body`` / ``body.`` prefix is the body root.

    ``parse_body_path("body.status") == ("status",)``;
    ``parse_body_path("a\\\\.b.c") == ("a.b", "c")``. Raises ValueError when malformed.
    """
    if text == "body":
        return ()
    if text.startswith("body."):
        text = text[len("body.") :]
    segments: list[str] = []
    current: list[str] = []
    chars = iter(text)
    for char in chars:
        if char == "\\":
            escaped = next(chars, None)
            if escaped not in (".", "\\"):
                raise ValueError("a backslash must be followed by '.' or another backslash")
            current.append(escaped)
        elif char == ".":
            segments.append("".join(current))
            current = []
        else:
            current.append(char)
    segments.append("".join(current))
    if any(not segment for segment in segments):
        raise ValueError("the path has an empty part (two dots in a row, or a dot at an end)")
    return tuple(segments)


# --- showing values --------------------------------------------------------------------


def _show(value: object) -> str:
    """A value as JSON prints it, shortened: what the operator sees in a failure."""
    try:
        text = encode_payload(value).decode("utf-8")
    except TemplateError:
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _as_string(value: object) -> str:
    """Stringification for ``in:``/``not_in:``/``regex:``: as JSON would print it."""
    if isinstance(value, str):
        return value
    return _show(value)


def _is_blank(value: object) -> bool:
    return isinstance(value, str) and value.strip(_PHP_SPACE) == ""


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _is_numeric(value: object) -> bool:
    return _is_number(value) or (isinstance(value, str) and bool(_NUMERIC_TEXT.fullmatch(value)))


def _is_integer(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, Decimal):
        return value.is_finite() and value.as_tuple().exponent == 0
    return isinstance(value, str) and bool(_INTEGER_TEXT.fullmatch(value))


# --- rules -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One compiled rule (``in:201``): its name, text and parsed argument."""

    name: str
    text: str
    values: tuple[str, ...] = ()
    number: Decimal | None = None
    pattern: re.Pattern[str] | None = None


@dataclass(frozen=True)
class FieldRules:
    """The rules of one assert key, in the order written."""

    key: str
    path: tuple[str, ...] | None  # None = the HTTP status
    rules: tuple[Rule, ...]
    flags: frozenset[str] = field(default_factory=frozenset)

    def has(self, name: str) -> bool:
        return name in self.flags or any(rule.name == name for rule in self.rules)

    def check(self, status: int, body: object) -> str | None:
        """The first failing rule's message for this key, or None when all pass."""
        value: object
        if self.path is None:
            present, value = True, status
        else:
            value = MISSING if body is None else resolve_path(body, self.path)
            present = value is not MISSING
        if not present and "sometimes" in self.flags:
            return None
        for rule in self.rules:
            problem = self._check_rule(rule, present, value)
            if problem is not None:
                return f"{self.key}: {problem}"
        return None

    def _check_rule(self, rule: Rule, present: bool, value: object) -> str | None:
        if rule.name in _IMPLICIT:
            if rule.name == "present":
                return None if present else "present but missing"
            if rule.name == "filled" and not present:
                return None
            return _required_problem(rule.name, present, value)
        if not present:
            return f"{rule.text} but missing"
        if value is None:
            return None if "nullable" in self.flags else f"{rule.text} but null"
        if _is_blank(value):
            return f"{rule.text} but blank ({_show(value)})"
        return _CHECKS[rule.name](rule, value, self)


_Check = Callable[[Rule, object, FieldRules], "str | None"]


def _required_problem(name: str, present: bool, value: object) -> str | None:
    if not present:
        return f"{name} but missing"
    if value is None:
        return f"{name} but null"
    if _is_blank(value):
        return f"{name} but blank ({_show(value)})"
    if isinstance(value, list | tuple | Mapping) and len(value) == 0:
        return f"{name} but empty ({_show(value)})"
    return None


def _check_in(rule: Rule, value: object, owner: FieldRules) -> str | None:
    listed = "[" + ", ".join(rule.values) + "]"
    if isinstance(value, list | tuple | Mapping):
        if not owner.has("array"):
            return f"{_show(value)} is an array; in: takes a single value (add 'array')"
        elements = value.values() if isinstance(value, Mapping) else value
        outside = [e for e in elements if _as_string(e) not in rule.values]
        if outside:
            return f"{_show(outside[0])} in {_show(value)} is not in {listed}"
        return None
    if _as_string(value) not in rule.values:
        return f"{_show(value)} is not in {listed}"
    return None


def _check_not_in(rule: Rule, value: object, owner: FieldRules) -> str | None:
    if isinstance(value, list | tuple | Mapping):
        return f"{_show(value)} is an array; not_in: takes a single value"
    if _as_string(value) in rule.values:
        return f"{_show(value)} is in not_in [{', '.join(rule.values)}]"
    return None


def _is_boolean(value: object) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, int):
        return value in (0, 1)
    return value in ("0", "1")


_TYPES: Final[dict[str, tuple[Callable[[object], bool], str]]] = {
    "numeric": (_is_numeric, "numeric"),
    "integer": (_is_integer, "an integer"),
    "string": (lambda v: isinstance(v, str), "a string"),
    "boolean": (_is_boolean, "a boolean"),
    "array": (lambda v: isinstance(v, list | tuple | Mapping), "an array"),
}


def _check_type(rule: Rule, value: object, owner: FieldRules) -> str | None:
    test, noun = _TYPES[rule.name]
    return None if test(value) else f"{_show(value)} is not {noun}"


def _size(value: object, owner: FieldRules) -> tuple[Decimal, str] | None:
    """Laravel's getSize: (measure, unit) or None when the value cannot be measured."""
    if _is_number(value):
        return Decimal(str(value)), ""
    if isinstance(value, str):
        if (owner.has("numeric") or owner.has("integer")) and _is_numeric(value):
            return Decimal(value.strip(" \t\n\r\v\f")), ""
        return Decimal(len(value)), " characters"
    if isinstance(value, list | tuple | Mapping):
        return Decimal(len(value)), " items"
    return None


def _check_bound(rule: Rule, value: object, owner: FieldRules) -> str | None:
    measured = _size(value, owner)
    if measured is None:
        return f"{_show(value)} cannot be measured for {rule.text}"
    size, unit = measured
    assert rule.number is not None
    too_small = rule.name == "min" and size < rule.number
    too_big = rule.name == "max" and size > rule.number
    if not (too_small or too_big):
        return None
    relation = "less than" if too_small else "more than"
    if unit:
        return f"{_show(value)} has {size}{unit}, {relation} {rule.text}"
    return f"{_show(value)} is {relation} {rule.text}"


def _check_regex(rule: Rule, value: object, owner: FieldRules) -> str | None:
    if not (isinstance(value, str) or _is_number(value)):
        return f"{_show(value)} is not text, so {rule.name} cannot match it"
    assert rule.pattern is not None
    matched = rule.pattern.search(_as_string(value)) is not None
    if rule.name == "regex" and not matched:
        return f"{_show(value)} does not match {rule.text}"
    if rule.name == "not_regex" and matched:
        return f"{_show(value)} matches {rule.text}"
    return None


_CHECKS: Final[dict[str, _Check]] = {
    "in": _check_in,
    "not_in": _check_not_in,
    "min": _check_bound,
    "max": _check_bound,
    "regex": _check_regex,
    "not_regex": _check_regex,
    **dict.fromkeys(_TYPES, _check_type),
}


# --- compiling -------------------------------------------------------------------------


def _split_rules(text: str) -> list[str]:
    """Split on '|' — except that everything after ``regex:``/``not_regex:`` is the pattern."""
    segments: list[str] = []
    index = 0
    while True:
        if text.startswith(("regex:", "not_regex:"), index):
            segments.append(text[index:])
            return segments
        bar = text.find("|", index)
        if bar < 0:
            segments.append(text[index:])
            return segments
        segments.append(text[index:bar])
        index = bar + 1


def _compile_pattern(text: str) -> re.Pattern[str]:
    """A Laravel (PCRE) delimited pattern ``/.../flags`` -> a Python regex."""
    if len(text) < 2 or text[0].isalnum() or text[0] in "\\ ":
        raise ValueError(f"the pattern must be delimited as in Laravel (/^[0-9]+$/), not {text!r}")
    closing = _CLOSING.get(text[0], text[0])
    end = text.rfind(closing)
    if end <= 0:
        raise ValueError(f"the pattern {text!r} has no closing {closing!r}")
    flags = 0
    for letter in text[end + 1 :]:
        if letter == "u":
            continue
        if letter not in _REGEX_FLAGS:
            raise ValueError(f"unsupported pattern flag {letter!r} (use i, m, s, x or u)")
        flags |= _REGEX_FLAGS[letter]
    try:
        return re.compile(text[1:end], flags)
    except re.error as exc:
        raise ValueError(f"the pattern {text!r} is not a valid regular expression: {exc}") from None


def _compile_rule(text: str) -> Rule:
    """One rule segment -> Rule; raises ValueError with what to write instead."""
    name, colon, argument = text.partition(":")
    if name not in RULES:
        raise ValueError(f"unknown rule {name!r}; known rules: {', '.join(RULES)}")
    if name in _NO_ARGUMENT:
        if colon:
            raise ValueError(f"rule {name!r} takes no argument, got {text!r}")
        return Rule(name, text)
    if not argument:
        example = {"in": "in:201", "not_in": "not_in:500", "min": "min:1", "max": "max:255"}
        raise ValueError(
            f"rule {name!r} needs an argument, e.g. {example.get(name, name + ':/^[0-9]+$/')!r}"
        )
    if name in ("in", "not_in"):
        if "\n" in argument or "\r" in argument:
            raise ValueError(f"rule {name!r}: a listed value cannot contain a line break")
        try:
            values = tuple(next(csv.reader([argument], strict=True)))
        except csv.Error as exc:
            raise ValueError(f"rule {name!r}: the list is not a valid CSV line: {exc}") from None
        return Rule(name, text, values=values)
    if name in ("min", "max"):
        if not _NUMERIC_TEXT.fullmatch(argument) or argument != argument.strip():
            raise ValueError(f"rule {name!r} needs a number, got {argument!r}")
        return Rule(name, text, number=Decimal(argument))
    return Rule(name, text, pattern=_compile_pattern(argument))


class AssertRules:
    """Compiled ``asserts``: :meth:`check` lists what an answer fails (empty = it passes)."""

    def __init__(self, fields: tuple[FieldRules, ...]) -> None:
        self.fields = fields

    def check(self, status: int, body: object) -> list[str]:
        """Check an answer: ``status`` is the HTTP status, ``body`` the parsed JSON or None.

        Each failure names the key, the rule and the actual value, e.g.
        ``"status: 200 is not in [201]"`` or ``"OrderNumber: filled but null"``; only the
        first failing rule of a key is reported.
        """
        failures = []
        for rules in self.fields:
            problem = rules.check(status, body)
            if problem is not None:
                failures.append(problem)
        return failures


def compile_asserts(asserts: Mapping[str, str], *, path: str) -> AssertRules:
    """Compile an ``asserts`` object, or raise ConfigErrors naming every bad key.

    Errors are reported at ``<path>.<key>`` (``path`` is e.g.
    ``"flexit.order.response_object.asserts"``).
    """
    errors: list[ConfigError] = []
    compiled: list[FieldRules] = []
    for key, text in asserts.items():
        where = f"{path}.{key}"
        if not isinstance(text, str) or not text:
            errors.append(ConfigError(where, "expected rules joined by '|', e.g. 'present|filled'"))
            continue
        try:
            target = None if key == "status" else parse_body_path(key)
        except ValueError as exc:
            errors.append(ConfigError(where, f"bad path {key!r}: {exc}"))
            continue
        rules: list[Rule] = []
        for segment in _split_rules(text):
            if not segment:
                errors.append(ConfigError(where, f"{text!r} has an empty rule between '|'"))
                continue
            try:
                rules.append(_compile_rule(segment))
            except ValueError as exc:
                errors.append(ConfigError(where, f"{text!r}: {exc}"))
        flags = frozenset(rule.name for rule in rules if rule.name in _FLAGS)
        checked = tuple(rule for rule in rules if rule.name not in _FLAGS)
        compiled.append(FieldRules(key, target, checked, flags))
    if errors:
        raise ConfigErrors(errors)
    return AssertRules(tuple(compiled))


def validate_fields(fields: Mapping[str, str], *, path: str) -> None:
    """Check ``fields`` paths at config load; raise ConfigErrors at ``<path>.<name>``."""
    errors: list[ConfigError] = []
    for name, text in fields.items():
        if not isinstance(text, str) or not text:
            errors.append(ConfigError(f"{path}.{name}", "expected a body path, e.g. 'OrderNumber'"))
            continue
        try:
            parse_body_path(text)
        except ValueError as exc:
            errors.append(ConfigError(f"{path}.{name}", f"bad path {text!r}: {exc}"))
    if errors:
        raise ConfigErrors(errors)


def extract_fields(fields: Mapping[str, str], body: object) -> dict[str, object]:
    """Copy body paths onto names: ``{"externalOrderReference": "OrderNumber"}``.

    A path that is missing (or malformed, or a body that is not JSON) is absent from
    the result; a JSON null is copied as None.
    """
    found: dict[str, object] = {}
    if body is None:
        return found
    for name, text in fields.items():
        try:
            segments = parse_body_path(text)
        except ValueError:
            continue
        value = resolve_path(body, segments)
        if value is not MISSING:
            found[name] = value
    return found
