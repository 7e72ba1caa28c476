"""Response checks: Laravel-style validation rules over an order API's answer.

``response_object.asserts`` maps ``status`` (the HTTP status) or a dotted path into the
JSON body to rules joined by ``|`` (``"OrderNumber": "present|filled"``). The rules
mean what Laravel's validator means by them (``tests/unit/template`` checks this
against Laravel itself), with deliberate differences that ``docs/templates.md`` lists —
the first: a rule that Laravel would *skip* for a missing or blank value fails here, as
a check that silently passes would mark an order ``submitted`` that the refurbisher
never took. This module compiles the rules and decides which run (presence, null,
blank); :mod:`irp.template.rules` says what each one means.

Paths (:mod:`irp.template.paths`): ``status`` is the HTTP status; ``body`` is the whole
body; ``body.<path>`` and any other key are dotted paths into the body (``lines.0.sku``:
ASCII digits without a leading zero index lists). A key containing a dot is written
with ``\\.`` (``meta.order\\.id``); ``\\\\`` is a backslash.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from irp.errors import ConfigError, ConfigErrors
from irp.template.paths import MISSING, parse_body_path, resolve_path
from irp.template.pcre import compile_php_pattern
from irp.template.phpcsv import str_getcsv
from irp.template.rules import CHECKS, MEASURED_BY, Rule, is_blank, show

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
_BOUND_TEXT: Final = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")


@dataclass(frozen=True)
class FieldRules:
    """The rules of one assert key, in the order written."""

    key: str
    path: tuple[str, ...] | None  # None = the HTTP status
    rules: tuple[Rule, ...]
    flags: frozenset[str] = field(default_factory=frozenset)

    @property
    def names(self) -> frozenset[str]:
        """Every rule name on the key, flags included (``in:`` asks whether ``array`` is)."""
        return self.flags | {rule.name for rule in self.rules}

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
        names = self.names
        for rule in self.rules:
            problem = self._check_rule(rule, present, value, names)
            if problem is not None:
                return f"{self.key}: {problem}"
        return None

    def _check_rule(
        self, rule: Rule, present: bool, value: object, names: frozenset[str]
    ) -> str | None:
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
        if is_blank(value):
            return f"{rule.text} but blank ({show(value)})"
        return CHECKS[rule.name](rule, value, names)


def _required_problem(name: str, present: bool, value: object) -> str | None:
    if not present:
        return f"{name} but missing"
    if value is None:
        return f"{name} but null"
    if is_blank(value):
        return f"{name} but blank ({show(value)})"
    if isinstance(value, list | tuple | Mapping) and len(value) == 0:
        return f"{name} but empty ({show(value)})"
    return None


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


def _compile_rule(text: str) -> Rule:
    """One rule segment -> Rule; raises ValueError with what to write instead."""
    name, colon, argument = text.partition(":")
    if name not in RULES:
        raise ValueError(f"unknown rule {name!r}; known rules: {', '.join(RULES)}")
    if name in _NO_ARGUMENT:
        if colon:
            raise ValueError(f"rule {name!r} takes no argument, got {text!r}")
        return Rule(name, text)
    example = {"in": "in:201", "not_in": "not_in:500", "min": "min:1", "max": "max:255"}
    missing = f"rule {name!r} needs an argument, e.g. {example.get(name, name + ':/^[0-9]+$/')!r}"
    if not argument:
        raise ValueError(missing)
    if name in ("in", "not_in"):
        try:
            values = str_getcsv(argument)
        except ValueError as exc:
            raise ValueError(f"rule {name!r}: {exc}") from None
        if values == [None]:
            raise ValueError(missing)
        return Rule(name, text, values=tuple(str(value) for value in values))
    if name in ("min", "max"):
        if not _BOUND_TEXT.fullmatch(argument):
            raise ValueError(f"rule {name!r} needs a number, got {argument!r}")
        return Rule(name, text, number=Decimal(argument))
    return Rule(name, text, pattern=compile_php_pattern(argument))


def _bound_problem(rules: list[Rule]) -> str | None:
    """``min``/``max`` need to know what they measure: a number, text or a list."""
    names = {rule.name for rule in rules}
    bound = next((rule for rule in rules if rule.name in ("min", "max")), None)
    if bound is None or names.intersection(MEASURED_BY):
        return None
    return (
        f"{bound.text} needs a rule that says what it measures: numeric or integer (the "
        "number), string (its characters) or array (its items); Laravel would count the "
        "digits of a number"
    )


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
        problem = _bound_problem(rules)
        if problem is not None:
            errors.append(ConfigError(where, f"{text!r}: {problem}"))
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
