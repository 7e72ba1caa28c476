"""Dotted-path lookup into nested JSON-like data, shared by templates and asserts.

A path is a tuple of segments. A segment selects a key of a mapping, or — when it is
a list index — an element of a list. A list index is written as Laravel (PHP arrays)
reads one: ASCII digits without a leading zero (``0``, ``7``, ``12``). Anything else
(``00``, ``07``, ``²``, ``٣``, ``-1``) is a key, so on a list it leads nowhere. Nothing
else is traversed: a string is a leaf, and attributes of Python objects are never read,
so a template cannot reach past the data it was given.

Body paths in the config (``data.lines.0.sku``, ``meta.order\\.id``) are split by
:func:`parse_body_path`, which refuses at config load what could never match at run
time; :func:`resolve_path` never raises.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Final

_LIST_INDEX: Final = re.compile(r"0|[1-9][0-9]*")


class _Missing:
    """The type of :data:`MISSING`: a path that leads nowhere (distinct from null)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()


def list_index(segment: str) -> int | None:
    """The list index a segment names, or None when it is a key only.

    ``list_index("12") == 12``; ``list_index("012")``, ``list_index("²")`` and
    ``list_index("٣")`` are None (PHP keeps such array keys as strings).
    """
    if _LIST_INDEX.fullmatch(segment) is None:
        return None
    return int(segment)


def resolve_path(data: object, segments: Sequence[str]) -> object:
    """Return the value at ``segments`` inside ``data``, or :data:`MISSING`.

    ``None`` is a value (a JSON null that is present); ``MISSING`` means some segment
    does not exist. Example: ``resolve_path({"a": [{"b": 1}]}, ["a", "0", "b"]) == 1``.
    Never raises, whatever the data and segments.
    """
    current = data
    for segment in segments:
        if isinstance(current, Mapping):
            if segment not in current:
                return MISSING
            current = current[segment]
        elif isinstance(current, list | tuple):
            index = list_index(segment)
            if index is None or index >= len(current):
                return MISSING
            current = current[index]
        else:
            return MISSING
    return current


def parse_body_path(text: str) -> tuple[str, ...]:
    """Split a body path on unescaped dots; ``body`` / ``body.`` prefix is the body root.

    ``parse_body_path("body.status") == ("status",)``;
    ``parse_body_path("a\\\\.b.c") == ("a.b", "c")``. Raises ValueError, saying what to
    write instead, when the path is malformed: an empty part, a stray backslash, a
    ``*`` wildcard (Laravel's, which IRP does not expand), or a part made only of digits
    that is not a list index (``01``, ``²``): such a part never matches a list element,
    so it is refused here rather than failing every answer.
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
    for segment in segments:
        _check_segment(segment)
    return tuple(segments)


def _check_segment(segment: str) -> None:
    if not segment:
        raise ValueError("the path has an empty part (two dots in a row, or a dot at an end)")
    if "*" in segment:
        raise ValueError(
            f"{segment!r}: '*' wildcards are not supported; name each list index "
            "(lines.0.sku, lines.1.sku)"
        )
    if segment.isdigit() and list_index(segment) is None:
        if segment.isascii():
            hint = f"write {str(int(segment))!r} without leading zeros"
        else:
            hint = "write it with the ASCII digits 0-9"
        raise ValueError(f"{segment!r} is not a list index: {hint}")
