"""Which text encoding a feed is in: UTF-8 (with or without BOM) or Windows-1252.

``auto`` picks UTF-8 when the file starts with a BOM or is valid UTF-8, else
Windows-1252. An explicit encoding the bytes do not fit is a ``FeedError`` that names
the byte offset, the line and the setting to change.
"""

from __future__ import annotations

from irp.errors import FeedError

__all__ = ["BOM", "ENCODINGS", "decode_feed", "encoding_error", "strip_bom"]

BOM = b"\xef\xbb\xbf"
ENCODINGS = ("auto", "utf-8", "windows-1252")


def strip_bom(data: bytes) -> tuple[memoryview, bool]:
    """The bytes after a UTF-8 BOM (without copying), and whether there was one."""
    if data.startswith(BOM):
        return memoryview(data)[len(BOM) :], True
    return memoryview(data), False


def decode_feed(data: bytes, encoding: str) -> tuple[str, str]:
    """Decode a whole feed to text; returns ``(text, encoding used)``."""
    if encoding not in ENCODINGS:
        raise FeedError(f"unknown offers.encoding {encoding!r}; use one of {', '.join(ENCODINGS)}")
    body, bom = strip_bom(data)
    if encoding == "windows-1252" and bom:
        raise FeedError(
            "the feed starts with a UTF-8 byte order mark but offers.encoding is "
            "windows-1252; set offers.encoding to utf-8 (or auto)"
        )
    if encoding in ("auto", "utf-8"):
        try:
            return str(body, "utf-8"), "utf-8"
        except UnicodeDecodeError as exc:
            if encoding == "utf-8" or bom:
                raise encoding_error(data, exc, "utf-8", "windows-1252", bom) from exc
    try:
        return str(body, "windows-1252"), "windows-1252"
    except UnicodeDecodeError as exc:
        raise encoding_error(data, exc, "windows-1252", "utf-8", bom) from exc


def encoding_error(
    data: bytes, exc: UnicodeDecodeError, used: str, fix: str, bom: bool
) -> FeedError:
    """A FeedError pointing at the first byte (offset in the whole file) not fitting ``used``."""
    offset = exc.start + (len(BOM) if bom else 0)
    line = data.count(b"\n", 0, offset) + 1
    return FeedError(
        f"the feed is not valid {used}: byte 0x{data[offset]:02x} at offset {offset} "
        f"(line {line}); set offers.encoding to {fix}"
    )
