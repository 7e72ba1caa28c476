"""Opaque page cursors: the keyset position of a page's last row, base64url JSON.

A client passes ``next_cursor`` back unchanged; anything else is a 400 that says to
start again without it. A cursor reveals nothing the page did not show already.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any

from fastapi import HTTPException

__all__ = ["as_utc", "decode_cursor", "encode_cursor"]

BAD_CURSOR = "cursor: not one this API gave out; start again without it"


def encode_cursor(position: dict[str, Any]) -> str:
    """``position`` (JSON-safe) as a URL-safe token."""
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, keys: tuple[str, ...]) -> dict[str, Any]:
    """The position in ``cursor``, which must hold exactly ``keys``; else HTTP 400."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position = json.loads(raw)
    except (binascii.Error, ValueError):
        raise HTTPException(400, BAD_CURSOR) from None
    if not isinstance(position, dict) or set(position) != set(keys):
        raise HTTPException(400, BAD_CURSOR)
    return position


def as_utc(moment: datetime | None) -> datetime | None:
    """A ``changed_since`` given without an offset is taken as UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
