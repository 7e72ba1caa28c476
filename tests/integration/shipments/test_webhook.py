"""The shipment webhook service (SPEC §4) for each auth scheme, on a real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from irp.orders.intake import accept_orders
from irp.orders.states import OrderStatus as S
from irp.orders.states import transition
from irp.shipments.webhook import WebhookAnswer, receive_shipment_webhook
from irp.store.db import Database
from irp.store.tables import order_events, order_lines, shipments, webhook_deliveries
from tests.integration.orders.intake_support import spec_order, store_offers
from tests.integration.orders.submit_support import add_order, order_row
from tests.integration.shipments.support import (
    WHSEC,
    body_of,
    parcel,
    signed,
    submitted_order,
    webhook_config,
)

SCHEMES = ["hmac_sha256", "standard_webhooks", "token"]
TIMED = ["hmac_sha256", "standard_webhooks"]


def post(
    db: Database,
    config: Any,
    body: bytes,
    headers: dict[str, str],
    key: str = "flexit",
    now: datetime | None = None,
) -> WebhookAnswer:
    return receive_shipment_webhook(db, config, key, body, headers, now=now)


def events(db: Database, order_id: str) -> list[str]:
    with db.connect() as conn:
        return list(
            conn.execute(
                sa.select(order_events.c.type)
                .where(order_events.c.order_id == order_id)
                .order_by(order_events.c.id)
            ).scalars()
        )


def deliveries(db: Database) -> list[tuple[str, int, str | None]]:
    with db.connect() as conn:
        rows = conn.execute(
            sa.select(
                webhook_deliveries.c.outcome,
                webhook_deliveries.c.http_status,
                webhook_deliveries.c.detail,
            ).order_by(webhook_deliveries.c.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def shipment_rows(db: Database) -> list[dict[str, Any]]:
    with db.connect() as conn:
        query = sa.select(shipments).order_by(shipments.c.id)
        return [dict(row) for row in conn.execute(query).mappings()]


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_good_signature_ships_the_order(database: Database, tmp_path: Path, scheme: str) -> None:
    config = webhook_config(tmp_path, scheme)
    submitted_order(database, "5001", "SO-000001")
    body = body_of(parcel("SO-000001"))

    answer = post(database, config, body, signed(scheme, body))

    assert answer == WebhookAnswer(200, {"matched": True, "order_id": "5001", "status": "shipped"})
    row = order_row(database, "5001")
    assert (row["status"], row["carrier"], row["tracking_code"]) == (
        "shipped",
        "PostNL",
        "3SABCD000000001",
    )
    assert row["tracking_url"] == "https://jouw.postnl.nl/track-and-trace/3SABCD000000001"
    assert row["shipped_at"] == datetime(2026, 11, 28, 9, 15, tzinfo=UTC)
    assert events(database, "5001") == ["order.submitted", "order.shipped"]
    assert deliveries(database) == [("matched", 200, None)]
    (stored,) = shipment_rows(database)
    assert (stored["order_id"], stored["external_reference"], stored["source"]) == (
        "5001",
        "SO-000001",
        "webhook",
    )
    assert stored["raw"] == parcel("SO-000001")


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_bad_signature_is_refused_and_changes_nothing(
    database: Database, tmp_path: Path, scheme: str
) -> None:
    config = webhook_config(tmp_path, scheme)
    submitted_order(database, "5001", "SO-000001")
    body = body_of(parcel("SO-000001"))
    headers = signed(scheme, body)
    forged = {
        "hmac_sha256": {**headers, "X-Signature": "0" * 64},
        "standard_webhooks": {**headers, "webhook-signature": "v1," + "A" * 44},
        "token": {"X-Webhook-Token": "guessed-token"},
    }[scheme]
    tampered = body.replace(b"3SABCD000000001", b"3SABCD999999999")

    answers = [post(database, config, body, forged), post(database, config, tampered, headers)]

    reason = {
        "hmac_sha256": "header X-Signature does not match the HMAC-SHA256 of the body",
        "standard_webhooks": "webhook-signature does not match (no valid v1 signature)",
        "token": "header X-Webhook-Token does not hold the shared token",
    }[scheme]
    assert answers[0] == WebhookAnswer(401, {"detail": reason})
    # A token does not cover the body: the tampered body with the right token is taken.
    expected_second = 200 if scheme == "token" else 401
    assert answers[1].status_code == expected_second
    if scheme != "token":
        assert order_row(database, "5001")["status"] == "submitted"
        assert shipment_rows(database) == []
        assert deliveries(database) == [("unauthorized", 401, reason)] * 2


@pytest.mark.parametrize("scheme", TIMED)
def test_a_replayed_delivery_outside_the_tolerance_is_refused(
    database: Database, tmp_path: Path, scheme: str
) -> None:
    config = webhook_config(tmp_path, scheme)
    submitted_order(database, "5001", "SO-000001")
    body = body_of(parcel("SO-000001"))
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    old = signed(scheme, body, at=now - timedelta(seconds=301))
    early = signed(scheme, body, at=now + timedelta(seconds=301))
    edge = signed(scheme, body, at=now - timedelta(seconds=300))

    answers = [post(database, config, body, h, now=now) for h in (old, early)]

    header = "webhook-timestamp" if scheme == "standard_webhooks" else "X-Timestamp"
    assert (
        answers
        == [
            WebhookAnswer(
                401,
                {
                    "detail": f"header {header} is 301 s away from now, more than the 300 s "
                    "tolerance: refused as a replay"
                },
            )
        ]
        * 2
    )
    assert order_row(database, "5001")["status"] == "submitted"
    assert shipment_rows(database) == []
    assert post(database, config, body, edge, now=now).status_code == 200  # just in time


def test_a_replayed_token_delivery_changes_nothing_the_second_time(
    database: Database, tmp_path: Path
) -> None:
    # A shared token has no timestamp: a captured delivery sent again is a repeat.
    config = webhook_config(tmp_path, "token")
    submitted_order(database, "5001", "SO-000001")
    body = body_of(parcel("SO-000001"))

    first = post(database, config, body, signed("token", body))
    again = post(database, config, body, signed("token", body))

    assert (
        first
        == again
        == WebhookAnswer(200, {"matched": True, "order_id": "5001", "status": "shipped"})
    )
    assert [outcome for outcome, _, _ in deliveries(database)] == ["matched", "duplicate"]
    assert events(database, "5001") == ["order.submitted", "order.shipped"]


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_missing_header_is_refused(database: Database, tmp_path: Path, scheme: str) -> None:
    config = webhook_config(tmp_path, scheme)
    submitted_order(database, "5001", "SO-000001")
    body = body_of(parcel("SO-000001"))
    headers = signed(scheme, body)

    answers = {
        name: post(database, config, body, {k: v for k, v in headers.items() if k != name})
        for name in headers
    }

    assert {name: answer.status_code for name, answer in answers.items()} == {
        name: 401 for name in headers
    }
    assert {name: answer.body["detail"] for name, answer in answers.items()} == {
        name: f"missing header {name}" for name in headers
    }
    assert order_row(database, "5001")["status"] == "submitted"


@pytest.mark.parametrize("scheme", SCHEMES)
def test_an_unknown_order_is_stored_unmatched_and_matched_when_its_reference_appears(
    database: Database, tmp_path: Path, scheme: str
) -> None:
    config = webhook_config(tmp_path, scheme)
    body = body_of(parcel("SO-000007"))

    answer = post(database, config, body, signed(scheme, body))

    assert answer == WebhookAnswer(202, {"matched": False})
    (waiting,) = shipment_rows(database)
    assert (waiting["order_id"], waiting["external_reference"]) == (None, "SO-000007")
    assert deliveries(database) == [("unmatched", 202, None)]

    submitted_order(database, "5007", "SO-000007")  # the lookup found it, say

    row = order_row(database, "5007")
    assert (row["status"], row["tracking_code"]) == ("shipped", "3SABCD000000001")
    assert shipment_rows(database)[0]["order_id"] == "5007"
    assert events(database, "5007") == ["order.submitted", "order.shipped"]


def test_a_shipment_naming_our_order_id_is_linked_at_intake_and_applied_once_submitted(
    database: Database, tmp_path: Path
) -> None:
    config = webhook_config(tmp_path, "standard_webhooks")
    body = body_of(parcel(None, order_id="5008"))
    assert post(database, config, body, signed("standard_webhooks", body)).status_code == 202
    store_offers(database)

    (accepted,) = accept_orders(database, config, [spec_order(id="5008")])

    assert accepted.result == "accepted"
    assert shipment_rows(database)[0]["order_id"] == "5008"
    assert order_row(database, "5008")["status"] == "pending"  # not sent yet: not moved
    with database.write_transaction() as conn:
        assert transition(conn, "5008", [S.PENDING], S.SUBMITTING)
        assert transition(conn, "5008", [S.SUBMITTING], S.SUBMITTED)
    assert order_row(database, "5008")["status"] == "shipped"
    assert events(database, "5008") == [
        "order.accepted",
        "order.submitted",
        "order.shipped",
    ]


def test_a_shipment_moves_an_uncertain_order_and_keeps_its_reference(
    database: Database, tmp_path: Path
) -> None:
    config = webhook_config(tmp_path, "standard_webhooks")
    add_order(database, "5009")
    with database.write_transaction() as conn:
        assert transition(conn, "5009", [S.PENDING], S.SUBMITTING)
        assert transition(conn, "5009", [S.SUBMITTING], S.UNCERTAIN, values={"last_error": "x"})
    body = body_of(parcel("SO-000042", order_id="5009"))

    answer = post(database, config, body, signed("standard_webhooks", body))

    assert answer == WebhookAnswer(200, {"matched": True, "order_id": "5009", "status": "shipped"})
    row = order_row(database, "5009")
    assert (row["status"], row["external_reference"], row["last_error"]) == (
        "shipped",
        "SO-000042",
        None,
    )


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_redelivered_event_changes_nothing_the_second_time(
    database: Database, tmp_path: Path, scheme: str
) -> None:
    config = webhook_config(tmp_path, scheme)
    submitted_order(database, "5001", "SO-000001")
    body = body_of(parcel("SO-000001"))
    first = post(database, config, body, signed(scheme, body, webhook_id="msg_A"))
    with database.connect() as conn:
        before = conn.execute(sa.select(shipments.c.updated_at)).scalar_one()

    again = post(database, config, body, signed(scheme, body, webhook_id="msg_A"))

    assert again == first
    assert [outcome for outcome, _, _ in deliveries(database)] == ["matched", "duplicate"]
    assert events(database, "5001") == ["order.submitted", "order.shipped"]
    with database.connect() as conn:
        assert conn.execute(sa.select(shipments.c.updated_at)).scalar_one() == before


def test_the_same_webhook_id_with_another_body_changes_nothing(
    database: Database, tmp_path: Path
) -> None:
    config = webhook_config(tmp_path, "standard_webhooks")
    submitted_order(database, "5001", "SO-000001")
    first = body_of(parcel("SO-000001"))
    second = body_of(parcel("SO-000001", state="delivered"))
    post(database, config, first, signed("standard_webhooks", first, webhook_id="msg_B"))

    answer = post(database, config, second, signed("standard_webhooks", second, webhook_id="msg_B"))

    assert answer == WebhookAnswer(200, {"matched": True, "order_id": "5001", "status": "shipped"})
    assert order_row(database, "5001")["status"] == "shipped"


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_partial_shipment_ships_and_the_order_is_delivered_when_every_parcel_is(
    database: Database, tmp_path: Path, scheme: str
) -> None:
    config = webhook_config(tmp_path, scheme)
    submitted_order(database, "5001", "SO-000001")
    with database.begin() as conn:
        conn.execute(sa.update(order_lines).values(quantity=2))
    one = [{"sku": "FLX-1001", "quantity": 1}]

    def send(code: str, state: str) -> WebhookAnswer:
        body = body_of(parcel("SO-000001", code=code, state=state, lines=one))
        return post(database, config, body, signed(scheme, body, webhook_id=f"{code}-{state}"))

    states = [
        send(code, state).body["status"]
        for code, state in [
            ("3SA", "in_transit"),
            ("3SB", "in_transit"),
            ("3SA", "delivered"),
            ("3SB", "delivered"),
        ]
    ]

    assert states == ["shipped", "shipped", "shipped", "delivered"]
    assert events(database, "5001") == [
        "order.submitted",
        "order.shipped",
        "order.shipment",
        "order.delivered",
    ]
    assert [(s["tracking_code"], s["status"]) for s in shipment_rows(database)] == [
        ("3SA", "delivered"),
        ("3SB", "delivered"),
    ]
    assert order_row(database, "5001")["tracking_code"] == "3SA"


def test_a_payload_with_several_shipments_answers_for_each(
    database: Database, tmp_path: Path
) -> None:
    config = webhook_config(tmp_path, "standard_webhooks", items_path="shipments")
    submitted_order(database, "5001", "SO-000001")
    body = body_of({"shipments": [parcel("SO-000001"), parcel("SO-000404", code="3SX")]})

    answer = post(database, config, body, signed("standard_webhooks", body))

    assert answer == WebhookAnswer(
        202,
        {
            "matched": False,
            "shipments": [
                {"matched": True, "order_id": "5001", "status": "shipped"},
                {"matched": False, "order_id": None, "status": None},
            ],
        },
    )


def test_malformed_bodies_are_422_and_an_unknown_refurbisher_404(
    database: Database, tmp_path: Path
) -> None:
    config = webhook_config(tmp_path, "standard_webhooks")
    not_json = b"{not json"
    no_order = body_of({"state": "in_transit", "parcel": {"code": "3S1"}})
    unmapped = body_of({**parcel("SO-000001"), "state": "label_printed"})

    answers = [
        post(database, config, body, signed("standard_webhooks", body))
        for body in (not_json, no_order, unmapped)
    ]
    unknown = post(database, config, no_order, {}, key="nobody")

    assert answers[0].status_code == 422
    assert answers[0].body["detail"].startswith("not JSON: Expecting property name")
    assert answers[1] == WebhookAnswer(
        422,
        {
            "detail": "the shipment: order_id (order.id) or external_reference "
            "(order.reference) is missing or empty; which order is it?"
        },
    )
    assert answers[2] == WebhookAnswer(202, {"matched": False})
    assert deliveries(database)[2] == (
        "unmatched",
        202,
        "the shipment: status 'label_printed' is not in status_map (delivered, in_transit); "
        "not acted on",
    )
    assert unknown == WebhookAnswer(404, {"detail": "refurbisher 'nobody' is not configured"})
    assert shipment_rows(database) == []
    assert WHSEC not in str(deliveries(database))


def test_two_deliveries_of_one_parcel_at_the_same_moment_store_it_once(
    database: Database, tmp_path: Path
) -> None:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    config = webhook_config(tmp_path, "standard_webhooks")
    submitted_order(database, "5001", "SO-000001")
    body = body_of(parcel("SO-000001"))
    start = threading.Barrier(2)

    def deliver(webhook_id: str) -> WebhookAnswer:
        headers = signed("standard_webhooks", body, webhook_id=webhook_id)
        start.wait(timeout=30)
        return post(database, config, body, headers)

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(deliver, ["msg_one", "msg_two"]))

    shipped = WebhookAnswer(200, {"matched": True, "order_id": "5001", "status": "shipped"})
    assert answers == [shipped, shipped]
    assert len(shipment_rows(database)) == 1
    assert events(database, "5001") == ["order.submitted", "order.shipped"]
