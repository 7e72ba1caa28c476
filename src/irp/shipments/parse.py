"""Reading shipments out of a refurbisher's JSON through the configured ``fields``.

Webhooks and polls read the same way (SPEC §4): ``items_path`` picks the list of
shipments when a payload carries several (``"body"`` is the document itself), each
shipment's facts come from dotted paths resolved with the template language's
:func:`~irp.template.paths.resolve_path`, and ``status_map`` turns the refurbisher's
status words into ``shipped`` / ``delivered``. A shipment whose status is not in
``status_map`` says nothing IRP acts on ("not shipped yet") and is skipped.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from irp.config.shipments import ShipmentFields, ShipmentPoll, ShipmentWebhook
from irp.errors import ShipmentPayloadError
from irp.template.paths import MISSING, parse_body_path, resolve_path

__all__ = ["Reading", "ShipmentFacts", "read_shipments"]

Reading = ShipmentWebhook | ShipmentPoll


@dataclass(frozen=True)
class ShipmentFacts:
    """One shipment as the refurbisher described it (values typed, nothing matched yet)."""

    order_id: str | None
    external_reference: str | None
    status: str  # shipped | delivered
    carrier: str | None
    tracking_code: str | None
    tracking_url: str | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    lines: list[Any] | None
    raw: Any

    @property
    def key(self) -> str:
        """Stored once under this key: the tracking code, else a hash of the facts."""
        if self.tracking_code:
            return f"t:{self.tracking_code}"[:200]
        facts = [
            self.order_id,
            self.external_reference,
            self.carrier,
            self.tracking_url,
            self.shipped_at.isoformat() if self.shipped_at else None,
            self.lines,
        ]
        text = json.dumps(facts, sort_keys=True, default=str)
        return "h:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ReadResult:
    """The shipments found, and the ones skipped with why (unmapped status)."""

    shipments: list[ShipmentFacts]
    skipped: list[str]


def read_shipments(reading: Reading, document: Any, *, require_order: bool) -> ReadResult:
    """Every shipment in ``document`` (parsed JSON).

    ``require_order``: each shipment must name its order (webhooks); a poll already
    knows which order it asked about. Raises ShipmentPayloadError saying which field
    at which path is wrong.
    """
    items = _items(reading, document)
    found: list[ShipmentFacts] = []
    skipped: list[str] = []
    for index, item in enumerate(items):
        where = f"shipment {index + 1}" if reading.items_path else "the shipment"
        facts = _facts(reading, item, where, require_order)
        if isinstance(facts, str):
            skipped.append(facts)
        else:
            found.append(facts)
    return ReadResult(found, skipped)


def _items(reading: Reading, document: Any) -> list[Any]:
    if reading.items_path is None:
        if not isinstance(document, Mapping):
            raise ShipmentPayloadError("expected a JSON object (one shipment)")
        return [document]
    value = resolve_path(document, parse_body_path(reading.items_path))
    if value is MISSING:
        raise ShipmentPayloadError(f"items_path {reading.items_path!r} is not in the payload")
    if not isinstance(value, list):
        raise ShipmentPayloadError(f"items_path {reading.items_path!r} is not a list")
    bad = [i + 1 for i, item in enumerate(value) if not isinstance(item, Mapping)]
    if bad:
        raise ShipmentPayloadError(
            f"items_path {reading.items_path!r}: item(s) {', '.join(map(str, bad))} are not objects"
        )
    return value


def _value(fields: ShipmentFields, name: str, item: Any) -> Any:
    path = getattr(fields, name)
    if path is None:
        return None
    value = resolve_path(item, parse_body_path(path))
    return None if value is MISSING else value


def _text(fields: ShipmentFields, name: str, item: Any, where: str) -> str | None:
    value = _value(fields, name, item)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ShipmentPayloadError(
            f"{where}: {name} ({getattr(fields, name)}) should be text, got {type(value).__name__}"
        )
    text = str(value).strip()
    return text or None


def _moment(fields: ShipmentFields, name: str, item: Any, where: str) -> datetime | None:
    value = _value(fields, name, item)
    if value is None or value == "":
        return None
    try:
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            return datetime.fromtimestamp(float(value), UTC)
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        pass
    raise ShipmentPayloadError(
        f"{where}: {name} ({getattr(fields, name)}) should be an ISO 8601 time or Unix "
        f"seconds, got {str(value)[:60]!r}"
    )


def _facts(reading: Reading, item: Any, where: str, require_order: bool) -> ShipmentFacts | str:
    fields = reading.fields
    order_id = _text(fields, "order_id", item, where)
    reference = _text(fields, "external_reference", item, where)
    if require_order and order_id is None and reference is None:
        named = " or ".join(
            f"{name} ({getattr(fields, name)})"
            for name in ("order_id", "external_reference")
            if getattr(fields, name) is not None
        )
        raise ShipmentPayloadError(f"{where}: {named} is missing or empty; which order is it?")
    delivered_at = _moment(fields, "delivered_at", item, where)
    status = "delivered" if delivered_at is not None else "shipped"
    if fields.status is not None:
        given = _value(fields, "status", item)
        mapped = reading.status_map.get(str(given)) if given is not None else None
        if mapped is None:
            known = ", ".join(sorted(reading.status_map))
            return f"{where}: status {given!r} is not in status_map ({known}); not acted on"
        status = mapped
    lines = _value(fields, "lines", item)
    if lines is not None and not isinstance(lines, list):
        raise ShipmentPayloadError(f"{where}: lines ({fields.lines}) should be a list")
    return ShipmentFacts(
        order_id=order_id,
        external_reference=reference,
        status=status,
        carrier=_text(fields, "carrier", item, where),
        tracking_code=_text(fields, "tracking_code", item, where),
        tracking_url=_text(fields, "tracking_url", item, where),
        shipped_at=_moment(fields, "shipped_at", item, where),
        delivered_at=delivered_at,
        lines=lines,
        raw=item,
    )
