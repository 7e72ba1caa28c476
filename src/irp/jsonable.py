"""The JSON IRP writes for machines: ``--json`` output and the HTTP API, one encoding.

Decimals are written as strings (``"249.00"``: money never passes through binary
floating point) and datetimes as ISO 8601, so ``GET /api/orders/{id}`` and
``irp orders show ID --json`` print the same document.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def json_default(value: Any) -> Any:
    """``json.dumps(default=...)``: Decimal -> its digits, date/datetime -> ISO 8601."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(data: Any, *, indent: int | None = None) -> str:
    """``data`` as JSON text with :func:`json_default` (UTF-8 kept, not escaped)."""
    separators = None if indent is not None else (",", ":")
    return json.dumps(
        data, default=json_default, ensure_ascii=False, indent=indent, separators=separators
    )
