"""A JSON encoder that writes :class:`~decimal.Decimal` as a number with exactly its digits.

The standard library can only write a Decimal as a string or via binary float, and
binary float turns 249.00 into 249.0 at best and 249.00000001 at worst. Money must go
on the wire as the digits the order carries, so the payload is encoded here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from decimal import Decimal

from irp.errors import TemplateError


def encode_payload(payload: object) -> bytes:
    """Encode ``payload`` as compact UTF-8 JSON, keys in insertion order.

    Decimal -> JSON number with the same digits (``Decimal("249.00")`` -> ``249.00``);
    strings are escaped as :func:`json.dumps` does (non-ASCII as ``\\uXXXX``).
    Example: ``encode_payload({"p": Decimal("1.50")}) == b'{"p":1.50}'``.
    """
    parts: list[str] = []
    _encode(payload, parts, "$")
    return "".join(parts).encode("utf-8")


def _encode(value: object, out: list[str], where: str) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(json.dumps(value))
    elif isinstance(value, int):
        out.append(str(int(value)))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise TemplateError(f"{where}: {value} cannot be written as a JSON number")
        # str() of a finite Decimal is always a valid JSON number and keeps every digit.
        out.append(str(value))
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise TemplateError(f"{where}: {value} cannot be written as a JSON number")
        out.append(repr(value))
    elif isinstance(value, Mapping):
        out.append("{")
        for index, (key, item) in enumerate(value.items()):
            if not isinstance(key, str):
                raise TemplateError(f"{where}: object key {key!r} is not a string")
            if index:
                out.append(",")
            out.append(json.dumps(key))
            out.append(":")
            _encode(item, out, f"{where}.{key}")
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _encode(item, out, f"{where}[{index}]")
        out.append("]")
    else:
        raise TemplateError(f"{where}: a {type(value).__name__} cannot be written as JSON")
