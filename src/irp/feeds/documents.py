"""Reading JSON and XML feeds: a document holding a list of records.

Both are read with the standard library into one frame of text columns (the mapped
keys or elements), numbered by record (1-based). A supplier's document is not trusted:

- **JSON** numbers are kept as their exact text (never a float), and a number whose
  plain form would be absurdly long (``1e50000000``) is kept as written, so it is a row
  error instead of fifty million digits. ``NaN`` and ``Infinity`` are text, not
  numbers. A document nested deeper than Python can parse, or holding a string that is
  not valid Unicode (a lone surrogate escape), refuses the feed.
- **XML** is parsed by expat, event by event, without building a tree: entity
  declarations (the "billion laughs" and external-entity attacks), references to
  entities IRP does not know, and elements nested more than :data:`MAX_XML_DEPTH` deep
  refuse the feed. Nothing is ever fetched.

Every refusal is a :class:`FeedError`; a value too long for a row is left for
``parse`` to report (``MAX_FIELD_CHARS``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from xml.parsers import expat

import polars as pl

from irp.errors import FeedError
from irp.feeds.format import LINE, MAX_FIELD_CHARS, FeedFormat, quoted_names
from irp.feeds.numbers import locale_numbers

__all__ = ["MAX_XML_DEPTH", "read_json", "read_xml"]

MAX_XML_DEPTH = 100
"""Elements nested deeper than this refuse an XML feed (offer feeds nest a few levels)."""

_MAX_EXPONENT = 100
"""A JSON number is written out in full only when its exponent is within ± this."""


def read_json(text: str, fmt: FeedFormat) -> pl.DataFrame:
    """The records at ``fmt.records_path`` of a JSON document, one row per record."""
    try:
        document = json.loads(
            text, parse_float=_Number, parse_int=_Number, parse_constant=_constant
        )
    except json.JSONDecodeError as exc:
        raise FeedError(f"the feed is not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise FeedError(
            "the JSON feed nests arrays and objects too deeply to read (hundreds of "
            "levels); an offer feed needs a few; ask the supplier"
        ) from exc
    records: Any = document
    for key in (fmt.records_path or "").split(".") if fmt.records_path else []:
        records = records.get(key) if isinstance(records, dict) else None
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        where = fmt.records_path or "the top level"
        raise FeedError(f"the JSON feed has no list of objects at {where}; check records_path")
    return _frame_from_records(records, fmt, "key")


def read_xml(text: str, fmt: FeedFormat) -> pl.DataFrame:
    """The ``fmt.records_path`` elements of an XML document, one row per record: its
    attributes and the text of its child elements."""
    if not fmt.records_path:
        raise FeedError("an XML feed needs offers.records_path (the element name of a record)")
    collector = _XmlRecords(fmt.records_path)
    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartElementHandler = collector.start
    parser.EndElementHandler = collector.end
    parser.CharacterDataHandler = collector.text
    parser.EntityDeclHandler = _refuse_entity_declaration
    parser.SkippedEntityHandler = _refuse_skipped_entity
    parser.ExternalEntityRefHandler = _refuse_external_entity
    try:
        parser.Parse(text, True)
    except expat.ExpatError as exc:
        raise FeedError(f"the feed is not valid XML: {exc}") from exc
    except _XmlRefused as exc:
        line = parser.CurrentLineNumber
        raise FeedError(f"the XML feed {exc} (line {line}); ask the supplier") from None
    return _frame_from_records(collector.records, fmt, "element")


class _Number(str):
    """A JSON number kept as its exact text (never a float)."""


def _constant(text: str) -> str:
    """``NaN``, ``Infinity``, ``-Infinity``: kept as text, so they are not numbers."""
    return text


class _XmlRefused(Exception):
    """Raised inside an expat handler; becomes a FeedError with the line."""


def _refuse_entity_declaration(name: str, *_: object) -> None:
    raise _XmlRefused(f"declares the entity {name!r}; IRP does not expand XML entities")


def _refuse_skipped_entity(name: str, *_: object) -> None:
    raise _XmlRefused(f"refers to the entity &{name}; that IRP does not resolve")


def _refuse_external_entity(*_: object) -> int:
    raise _XmlRefused("refers to an external entity; IRP never fetches one")


@dataclass(slots=True)
class _Open:
    """An element being parsed: its tag, its record (when it is one), and, for a direct
    child of a record, its own text so far (``collecting`` until its first child)."""

    tag: str
    record: dict[str, Any] | None
    parts: list[str] | None
    collecting: bool


class _XmlRecords:
    """Expat handlers that collect records the way ``ElementTree`` would show them: a
    record's attributes, then each child element's own text (before its first child;
    ``None`` when it has none), a later child overriding an earlier one of its name."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.records: list[dict[str, Any]] = []
        self._open: list[_Open] = []

    def start(self, name: str, attributes: dict[str, str]) -> None:
        if len(self._open) >= MAX_XML_DEPTH:
            raise _XmlRefused(f"nests elements more than {MAX_XML_DEPTH} levels deep")
        parent = self._open[-1] if self._open else None
        if parent is not None:
            parent.collecting = False  # a parent's own text ends at its first child
        tag = _tag(name)
        record = None
        if tag == self.tag:
            record = {_tag(k): v for k, v in attributes.items()}
            self.records.append(record)
        child = parent is not None and parent.record is not None
        self._open.append(_Open(tag, record, [] if child else None, child))

    def end(self, name: str) -> None:
        element = self._open.pop()
        if element.parts is not None:
            parent = self._open[-1].record
            assert parent is not None
            parent[element.tag] = "".join(element.parts) if element.parts else None

    def text(self, data: str) -> None:
        if self._open and self._open[-1].collecting:
            parts = self._open[-1].parts
            assert parts is not None
            parts.append(data)


def _tag(name: str) -> str:
    """Expat's ``uri}local`` as ElementTree writes it: ``{uri}local``."""
    return "{" + name if "}" in name else name


def _frame_from_records(records: list[dict[str, Any]], fmt: FeedFormat, kind: str) -> pl.DataFrame:
    sources = list(dict.fromkeys(fmt.mapping.values()))
    missing = [s for s in sources if not any(s in r for r in records)]
    if records and missing:
        raise FeedError(
            f"no record has the mapped {kind}(s) {quoted_names(missing)}; "
            f"fix offers.mapping or ask the supplier"
        )
    decimal = locale_numbers(fmt.price_locale).decimal
    columns: dict[str, list[str | None]] = {s: [] for s in sources}
    for number, record in enumerate(records, start=1):
        for source in sources:
            value = _text(record.get(source), decimal)
            if value is not None and not value.isascii():
                _require_unicode(value, number, kind, source)
            columns[source].append(value)
    frame = pl.DataFrame(columns, schema=dict.fromkeys(sources, pl.String))
    return frame.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(LINE))


def _text(value: Any, decimal: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, _Number):  # a JSON number: write it the way the locale does
        if len(value) > MAX_FIELD_CHARS:
            return str(value)  # too long for a row either way; parse reports it
        number = Decimal(value)
        if abs(number.adjusted()) > _MAX_EXPONENT:
            return str(value)  # as written: "1e50000000" is no price, and stays short
        return format(number, "f").replace(".", decimal)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value)
    except RecursionError as exc:
        raise FeedError(
            "the JSON feed nests arrays and objects too deeply to read (hundreds of "
            "levels); an offer feed needs a few; ask the supplier"
        ) from exc


def _require_unicode(value: str, record: int, kind: str, source: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = value[exc.start]
        raise FeedError(
            f"record {record}, {kind} {source!r}: the text is not valid Unicode (a lone "
            f"surrogate \\u{ord(bad):04x}); the supplier's JSON writer is broken"
        ) from None
