"""PHP's ``str_getcsv``, reproduced: how Laravel splits the list of ``in:a,b``.

Laravel reads a rule's argument with ``str_getcsv($argument)`` (delimiter ``,``,
enclosure ``"``, escape ``\\``), whose rules differ from RFC 4180 and from Python's
:mod:`csv` in ways an operator can hit: a backslash before a quote keeps the quote
from closing the field *and stays in the value* (``"a\\",b"`` is the one value
``a\\",b``); text after a closing quote is kept (``"a"b`` is ``ab``); spaces before an
opening quote are dropped. ``in:`` must list what Laravel lists, so this module
follows PHP's parser (``php_fgetcsv`` in ``ext/standard/file.c``) step for step;
``tests/unit/template`` checks it against the real ``str_getcsv``.

One form is refused instead: a quote that is never closed. PHP reads it to the end
of the text (and PHP 8.2 appends a stray byte when the quote is the last character,
a bug fixed in 8.3), which hides a typo rather than listing what the operator meant.

PHP walks bytes; every character it treats specially is ASCII, and a UTF-8 byte of a
multi-byte character never equals one, so walking characters gives the same fields.
"""

from __future__ import annotations

from typing import Final

_DELIMITER: Final = ","
_ENCLOSURE: Final = '"'
_ESCAPE: Final = "\\"
_C_SPACE: Final = " \t\n\v\f\r"  # isspace() in the C locale PHP runs in


def _line_end(text: str, end: int) -> int:
    """Where a trailing ``\\r\\n``, ``\\n`` or ``\\r`` starts (``end`` when there is none)."""
    if text.endswith("\r\n", 0, end):
        return end - 2
    if end > 0 and text[end - 1] in "\r\n":
        return end - 1
    return end


def str_getcsv(text: str) -> list[str | None]:
    """Split ``text`` exactly as PHP's ``str_getcsv($text)`` does.

    ``str_getcsv('a,"b,c"') == ["a", "b,c"]``; ``str_getcsv('"a\\\\",b"') == ['a\\\\",b']``;
    an empty text (or only a line end) gives ``[None]``, as PHP gives ``[null]``.
    Raises ValueError, naming the column, for a quote that is never closed.
    """
    limit = _line_end(text, len(text))
    fields: list[str | None] = []
    position = 0
    while True:
        if position < limit:
            # Whitespace before an opening quote is dropped (PHP scans past the limit,
            # but only line-end characters lie there, never a quote).
            scan = position
            while scan < len(text) and text[scan] != _DELIMITER and text[scan] in _C_SPACE:
                scan += 1
            if scan < len(text) and text[scan] == _ENCLOSURE:
                position = scan
        if not fields and position == limit:
            return [None]
        if position < limit and text[position] == _ENCLOSURE:
            field, position, more = _enclosed(text, position + 1, limit)
        else:
            field, position, more = _plain(text, position, limit)
        fields.append(field)
        if not more:
            return fields


def _enclosed(text: str, start: int, limit: int) -> tuple[str, int, bool]:
    """A field that opened with a quote: ``(value, next position, another field follows)``."""
    parts: list[str] = []
    hunk = start
    position = start
    state = "plain"  # "escaped": after a backslash; "quote": after a quote
    while True:
        if position >= limit:
            if state != "quote":
                raise ValueError(f"the quote at column {start} is never closed")
            parts.append(text[hunk : position - 1])
            return "".join(parts), position, False
        char = text[position]
        if state == "escaped":
            position += 1
            state = "plain"
        elif state == "quote":
            if char != _ENCLOSURE:
                parts.append(text[hunk : position - 1])
                break
            parts.append(text[hunk:position])  # a doubled quote is one quote
            position += 1
            hunk = position
            state = "plain"
        else:
            if char == _ENCLOSURE:
                state = "quote"
            elif char == _ESCAPE:
                state = "escaped"
            position += 1
    # After the closing quote, everything up to the next delimiter is kept as it is.
    hunk = position
    while position < limit and text[position] != _DELIMITER:
        position += 1
    parts.append(text[hunk:position])
    return "".join(parts), position + 1, position < limit


def _plain(text: str, start: int, limit: int) -> tuple[str, int, bool]:
    """A field without quotes: up to the next delimiter, a trailing line end dropped."""
    position = start
    while position < limit and text[position] != _DELIMITER:
        position += 1
    field = text[start:position]
    field = field[: _line_end(field, len(field))]
    return field, position + 1, position < limit
