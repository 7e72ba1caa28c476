"""Pydantic's validation errors, rewritten as ConfigErrors an operator can act on.

Each message says what was expected and, unless the value is a secret, what was
found: ``flexit.settings.default_margin: expected a decimal number, got 'abc'``.
Unknown keys name the closest allowed key (``defualt_margin`` — did you mean
``default_margin``?) and list the allowed ones.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from irp.config.base import ConfigModel, dotted, is_secret_path
from irp.errors import ConfigError

Loc = tuple[str | int, ...]

_EXPECTED: dict[str, str] = {
    "decimal_parsing": "a decimal number",
    "decimal_type": "a decimal number",
    "finite_number": "a finite number",
    "int_parsing": "an integer",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_parsing": "a number",
    "float_type": "a number",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "string_type": "a string",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "list_type": "a list",
    "date_from_datetime_parsing": "a date YYYY-MM-DD",
    "date_parsing": "a date YYYY-MM-DD",
    "date_type": "a date YYYY-MM-DD",
    "path_type": "a file path",
}

_BOUNDS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "greater_than": lambda c: f"a number > {_number(c['gt'])}",
    "greater_than_equal": lambda c: f"a number >= {_number(c['ge'])}",
    "less_than": lambda c: f"a number < {_number(c['lt'])}",
    "less_than_equal": lambda c: f"a number <= {_number(c['le'])}",
    "string_too_short": lambda c: f"at least {c['min_length']} character(s)",
    "string_too_long": lambda c: f"at most {c['max_length']} character(s)",
    "literal_error": lambda c: f"one of {c['expected']}",
    "string_pattern_mismatch": lambda c: _pattern_hint(str(c["pattern"])),
}


def _number(value: Any) -> str:
    """``60.0`` -> ``60``: bounds read as the operator would write them."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _pattern_hint(pattern: str) -> str:
    hints = {
        r"^https?://\S+$": "an http(s) URL",
        r"^https?://": "an http(s) URL",
        r"^[A-Z]{3}$": "a 3-letter ISO 4217 currency code like EUR",
    }
    return hints.get(pattern, f"text matching {pattern}")


def config_errors(
    exc: ValidationError,
    model: type[BaseModel],
    data: Any,
    root: Loc,
    secrets: set[str],
) -> list[ConfigError]:
    """One ConfigError per pydantic error, located at ``root`` + the error's location."""
    return [_one(error, model, data, root, secrets) for error in exc.errors()]


def _one(
    error: ErrorDetails, model: type[BaseModel], data: Any, root: Loc, secrets: set[str]
) -> ConfigError:
    loc: Loc = tuple(error["loc"])
    path = dotted(root + loc)
    kind = error["type"]
    ctx = error.get("ctx") or {}
    value = error.get("input")
    if kind == "missing":
        return ConfigError(path, "required key is missing")
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model, data, loc[:-1])
        return ConfigError(path, unknown_key_message(str(loc[-1]), allowed))
    if kind == "value_error":
        return ConfigError(path, str(ctx.get("error", error["msg"])))
    if kind in _BOUNDS:
        expected = _BOUNDS[kind](ctx)
    elif kind in _EXPECTED:
        expected = _EXPECTED[kind]
    else:  # custom errors carry their full message; others keep pydantic's words
        message = error["msg"]
        return ConfigError(path, message[0].lower() + message[1:])
    if is_secret_path(root + loc) or (isinstance(value, str) and value in secrets):
        return ConfigError(path, f"expected {expected}")
    return ConfigError(path, f"expected {expected}, got {_show(value)}")


def unknown_key_message(key: str, allowed: list[str]) -> str:
    """``unknown key 'defualt_margin' — did you mean 'default_margin'? allowed: ...``."""
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.75)
    guess = f" — did you mean {close[0]!r}?" if close else ""
    listing = f"{';' if not close else ''} allowed: {', '.join(allowed)}" if allowed else ""
    return f"unknown key {key!r}{guess}{listing}"


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    text = repr(str(value)) if not isinstance(value, bool | int | float) else repr(value)
    if value is None:
        text = "null"
    return text if len(text) <= 60 else text[:57] + "..."


def _allowed_keys(model: type[BaseModel], data: Any, loc: Loc) -> list[str]:
    """The keys accepted by the object at ``loc``, walking the models along the data."""
    current: Any = model
    for part in loc:
        if current is None:
            return []
        current, data = _step(current, part, data)
    target = _as_model(current)
    return target.allowed_keys() if target is not None else []


def _step(annotation: Any, part: str | int, data: Any) -> tuple[Any, Any]:
    child = data.get(part) if isinstance(data, dict) else None
    if isinstance(data, list) and isinstance(part, int) and part < len(data):
        child = data[part]
    model = _as_model(annotation)
    if model is not None:
        if not isinstance(part, str):
            return None, None
        info = model.model_fields.get(part)
        if info is None:
            return None, None
        variant = model.variant(part, data) if isinstance(data, dict) else None
        return (variant or info.annotation), child
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is dict and len(args) == 2:
        return args[1], child
    if origin is list and args:
        return args[0], child
    return None, None


def _as_model(annotation: Any) -> type[ConfigModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, ConfigModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        models = [a for a in typing.get_args(annotation) if _as_model(a)]
        if len(models) == 1:
            return _as_model(models[0])
    if typing.get_origin(annotation) is typing.Annotated:
        return _as_model(typing.get_args(annotation)[0])
    return None
