"""Dotted-path lookup into nested JSON-like data, shared by templates and asserts.

A path is a tuple of segments. A segment selects a key of a mapping, or — when it is
all digits — an index of a list. Nothing else is traversed: a string is a leaf, and
attributes of Python objects are never read, so a template cannot reach past the data
it was given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final


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


def resolve_path(data: object, segments: Sequence[str]) -> object:
    """Return the value at ``segments`` inside ``data``, or :data:`MISSING`.

    ``None`` is a value (a JSON null that is present); ``MISSING`` means some segment
    does not exist. Example: ``resolve_path({"a": [{"b": 1}]}, ["a", "0", "b"]) == 1``.
    """
    current = data
    for segment in segments:
        if isinstance(current, Mapping):
            if segment not in current:
                return MISSING
            current = current[segment]
        elif isinstance(current, list | tuple) and segment.isdigit():
            index = int(segment)
            if index >= len(current):
                return MISSING
            current = current[index]
        else:
            return MISSING
    return current
