"""``irp orders preview``: the payload an order would be sent with — nothing sent or stored.

The order is validated exactly as intake does (refurbisher, currency, country, stored
offers) except for idempotency, then rendered through the refurbisher's compiled
template and encoded by :func:`irp.template.payload_json.encode_payload` — the very bytes
the submitter would put on the wire. :func:`pretty_json` indents those bytes for a
human without touching a digit (``249.00`` stays ``249.00``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from irp.errors import OrderError, TemplateError
from irp.orders.context import build_context
from irp.orders.intake import order_id_of, validate_order
from irp.template.payload_json import encode_payload

if TYPE_CHECKING:
    from irp.config import Config
    from irp.store.db import Database


@dataclass(frozen=True)
class Preview:
    """One order's rendered request, or why it cannot be rendered."""

    id: str | None
    ok: bool
    method: str | None
    endpoint: str | None
    payload: bytes | None
    message: str


def preview_orders(
    db: Database, config: Config, name: str, raws: Iterable[object]
) -> list[Preview]:
    """Render each order of ``raws`` with refurbisher ``name``'s template.

    Raises ConfigError for an unknown refurbisher (a usage error, as in every command)
    and OrderError when it has no order section.
    """
    refurbisher = config.refurbisher(name)
    if refurbisher.order is None:
        raise OrderError(f"refurbisher {name!r} has no order section in the config")
    order_config = refurbisher.order
    previews = []
    with db.connect() as conn:
        for index, raw in enumerate(raws):
            try:
                order = validate_order(conn, config, raw, index)
                if order.refurbisher != name:
                    raise OrderError(
                        f"{order.id}: the order is for {order.refurbisher}, not {name}"
                    )
                context = build_context(order.context_row(), order.line_rows())
                payload = encode_payload(order_config.template.render(context))
            except (OrderError, TemplateError) as exc:
                message = str(exc)
                order_id = order_id_of(raw)
                if isinstance(exc, TemplateError):
                    message = f"{order_id or f'order #{index + 1}'}: cannot render: {message}"
                previews.append(Preview(order_id, False, None, None, None, message))
                continue
            previews.append(
                Preview(
                    order.id,
                    True,
                    order_config.method,
                    order_config.endpoint,
                    payload,
                    f"{order.id}: {order_config.method} {order_config.endpoint} (not sent)",
                )
            )
    return previews


def pretty_json(data: bytes) -> str:
    """``data`` (JSON) indented by two spaces, every number written with its own digits."""
    return format_json(parse_exact(data))


def parse_exact(data: bytes) -> Any:
    """JSON with every non-integer number as the ``Decimal`` of its digits."""
    return json.loads(data, parse_float=Decimal)


def format_json(value: Any) -> str:
    """``value`` as indented JSON; a ``Decimal`` is written as a number with its digits."""
    lines: list[str] = []
    _pretty(value, 0, lines, "")
    return "".join(lines)


def _pretty(value: Any, depth: int, out: list[str], lead: str) -> None:
    pad, inner = "  " * depth, "  " * (depth + 1)
    if isinstance(value, dict) and value:
        out.append(lead + "{\n")
        for index, (key, item) in enumerate(value.items()):
            _pretty(item, depth + 1, out, f"{inner}{json.dumps(key)}: ")
            out.append(",\n" if index < len(value) - 1 else "\n")
        out.append(pad + "}")
    elif isinstance(value, list) and value:
        out.append(lead + "[\n")
        for index, item in enumerate(value):
            _pretty(item, depth + 1, out, inner)
            out.append(",\n" if index < len(value) - 1 else "\n")
        out.append(pad + "]")
    else:
        out.append(lead + encode_payload(value).decode("utf-8"))
