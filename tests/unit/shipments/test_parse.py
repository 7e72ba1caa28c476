"""Reading shipments through ``fields``, ``status_map`` and ``items_path``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from irp.config.shipments import ShipmentWebhook
from irp.errors import ShipmentPayloadError
from irp.shipments.parse import read_shipments


def webhook(**changes: Any) -> ShipmentWebhook:
    data: dict[str, Any] = {
        "auth": {"type": "token", "token": "tok-12345"},
        "fields": {
            "external_reference": "ref",
            "carrier": "carrier.name",
            "tracking_code": "track",
            "shipped_at": "at",
            "status": "state",
        },
        "status_map": {"Shipped": "shipped", "Delivered": "delivered"},
    }
    data.update(changes)
    return ShipmentWebhook.model_validate(data)


def reading_error(config: ShipmentWebhook, document: Any) -> str:
    with pytest.raises(ShipmentPayloadError) as caught:
        read_shipments(config, document, require_order=True)
    return str(caught.value)


def test_one_shipment_with_mapped_status_and_typed_values() -> None:
    document = {
        "ref": 4711,
        "carrier": {"name": "DHL"},
        "track": "JV123",
        "at": 1764331200,
        "state": "Delivered",
    }

    (facts,) = read_shipments(webhook(), document, require_order=True).shipments

    assert (facts.external_reference, facts.carrier, facts.tracking_code) == (
        "4711",
        "DHL",
        "JV123",
    )
    assert facts.shipped_at == datetime(2025, 11, 28, 12, 0, tzinfo=UTC)
    assert (facts.status, facts.order_id, facts.raw) == ("delivered", None, document)
    assert facts.key == "t:JV123"


def test_times_in_iso_8601_with_or_without_an_offset() -> None:
    config = webhook()
    zulu = {"ref": "A", "state": "Shipped", "at": "2026-11-28T09:15:00Z"}
    offset = {"ref": "A", "state": "Shipped", "at": "2026-11-28T10:15:00+01:00"}
    naive = {"ref": "A", "state": "Shipped", "at": "2026-11-28 09:15:00"}

    found = [
        read_shipments(config, d, require_order=True).shipments[0] for d in (zulu, offset, naive)
    ]

    assert {f.shipped_at for f in found} == {datetime(2026, 11, 28, 9, 15, tzinfo=UTC)}
    assert reading_error(config, {"ref": "A", "state": "Shipped", "at": "28/11/2026"}) == (
        "the shipment: shipped_at (at) should be an ISO 8601 time or Unix seconds, got '28/11/2026'"
    )


def test_several_shipments_at_items_path() -> None:
    config = webhook(items_path="data.parcels")
    document = {
        "data": {
            "parcels": [
                {"ref": "SO-1", "track": "A", "state": "Shipped"},
                {"ref": "SO-1", "track": "B", "state": "Label printed"},
                {"ref": "SO-2", "state": "Delivered"},
            ]
        }
    }

    read = read_shipments(config, document, require_order=True)

    assert [(f.external_reference, f.tracking_code, f.status) for f in read.shipments] == [
        ("SO-1", "A", "shipped"),
        ("SO-2", None, "delivered"),
    ]
    assert read.skipped == [
        "shipment 2: status 'Label printed' is not in status_map (Delivered, Shipped); not acted on"
    ]
    assert read.shipments[1].key.startswith("h:")


def test_items_path_problems_name_the_path() -> None:
    config = webhook(items_path="data.parcels")

    assert reading_error(config, {"data": {}}) == "items_path 'data.parcels' is not in the payload"
    assert reading_error(config, {"data": {"parcels": {}}}) == (
        "items_path 'data.parcels' is not a list"
    )
    assert reading_error(config, {"data": {"parcels": [{"ref": "x"}, 3, "y"]}}) == (
        "items_path 'data.parcels': item(s) 2, 3 are not objects"
    )


def test_a_shipment_must_name_its_order_and_fields_must_have_the_right_type() -> None:
    config = webhook()

    assert reading_error(config, [1, 2]) == "expected a JSON object (one shipment)"
    assert reading_error(config, {"ref": "", "state": "Shipped"}) == (
        "the shipment: external_reference (ref) is missing or empty; which order is it?"
    )
    assert reading_error(config, {"ref": "A", "track": ["x"], "state": "Shipped"}) == (
        "the shipment: tracking_code (track) should be text, got list"
    )


def test_without_a_status_field_delivered_at_decides() -> None:
    config = webhook(fields={"order_id": "id", "delivered_at": "arrived"}, status_map={})

    shipped = read_shipments(config, {"id": "5001"}, require_order=True).shipments[0]
    arrived = read_shipments(
        config, {"id": "5001", "arrived": "2026-11-29T08:00:00Z"}, require_order=True
    ).shipments[0]

    assert (shipped.status, arrived.status) == ("shipped", "delivered")
    assert arrived.delivered_at == datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
