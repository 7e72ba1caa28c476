"""Order events pushed to a real receiver on 127.0.0.1 that fails now and then."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from standardwebhooks import Webhook

from irp.config import Config, load_config
from irp.events.push import push_due_events
from irp.events.read import read_events
from irp.orders.states import OrderStatus, transition
from irp.sandbox.receiver import WebhookReceiver
from irp.store.db import Database
from irp.store.tables import order_events
from tests.integration.orders.submit_support import add_order

S = OrderStatus
SECRET = "whsec_" + base64.b64encode(b"marketplace-events-secret-0123").decode()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


def events_config(tmp_path: Path, url: str, **events: Any) -> Config:
    document = {
        "flexit": {
            "name": "flexit",
            "refurbisher_id": 15,
            "order": {
                "endpoint": "http://127.0.0.1:9/order/api/order",
                "auth": {"type": "bearer", "token": "order-token-1234"},
                "order_object": {"externalDocumentNumber": "(string)id"},
            },
        },
        "platform": {
            "events": {"url": url, "secret": SECRET, "retry_seconds": 0.1, **events},
        },
    }
    path = tmp_path / "irp.json"
    path.write_text(json.dumps(document))
    return load_config(path, "acceptance")


def ship_through(db: Database, order_id: str) -> None:
    """submitted -> shipped -> delivered, each in its own transaction (three events)."""
    steps = [
        (S.PENDING, S.SUBMITTING, {}),
        (S.SUBMITTING, S.SUBMITTED, {"external_reference": f"SO-{order_id}"}),
        (S.SUBMITTED, S.SHIPPED, {"carrier": "PostNL", "tracking_code": f"3S{order_id}"}),
        (S.SHIPPED, S.DELIVERED, {}),
    ]
    for source, target, values in steps:
        with db.write_transaction() as conn:
            assert transition(conn, order_id, [source], target, values=values)


def push_until_done(db: Database, config: Config, *, deadline_seconds: float = 60.0) -> None:
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        push_due_events(db, config, budget_seconds=5)
        with db.connect() as conn:
            left = conn.execute(
                sa.select(sa.func.count())
                .select_from(order_events)
                .where(order_events.c.pushed_at.is_(None))
            ).scalar_one()
        if left == 0:
            return
        time.sleep(0.1)
    raise AssertionError(f"{left} event(s) still not pushed after {deadline_seconds} s")


def test_every_event_reaches_a_flaky_receiver_in_order_per_order_with_stable_ids(
    database: Database, receiver: WebhookReceiver, tmp_path: Path
) -> None:
    config = events_config(tmp_path, receiver.url)
    for order_id in ("5001", "5002", "5003"):
        add_order(database, order_id)
        ship_through(database, order_id)
    receiver.fail(2, status=503)  # the marketplace is down at first
    receiver.fail(1, drop=True)  # then one push lands but its answer is lost
    receiver.fail_every(4)  # and every 4th request fails from then on

    push_until_done(database, config)

    with database.connect() as conn:
        stored = read_events(conn, limit=100).events
    assert [(e["data"]["order_id"], e["type"]) for e in stored] == [
        (order_id, kind)
        for order_id in ("5001", "5002", "5003")
        for kind in ("order.submitted", "order.shipped", "order.delivered")
    ]
    requests = receiver.requests
    # Nothing lost: every event was accepted at least once.
    accepted_ids = [r.headers["webhook-id"] for r in receiver.accepted()]
    assert set(accepted_ids) == {e["id"] for e in stored}
    # Repeats are recognisable: one webhook-id always comes with the same body.
    bodies: dict[str, bytes] = {}
    for request in requests:
        assert bodies.setdefault(request.headers["webhook-id"], request.body) == request.body
    assert len(requests) > len(stored)  # failures forced repeats
    dropped = [r for r in requests if r.answered == 0]
    assert len(dropped) == 1 and dropped[0].headers["webhook-id"] in accepted_ids
    # In order per order: no event is sent before every earlier one of its order was
    # accepted (a dropped answer is not an acceptance: that event is sent again first).
    position = {e["id"]: index for index, e in enumerate(stored)}
    order_of = {e["id"]: e["data"]["order_id"] for e in stored}
    accepted: set[str] = set()
    for request in requests:
        event_id = request.headers["webhook-id"]
        earlier = {
            other
            for other, at in position.items()
            if order_of[other] == order_of[event_id] and at < position[event_id]
        }
        assert earlier <= accepted, f"{event_id} sent before {earlier - accepted}"
        if 200 <= request.answered < 300:
            accepted.add(event_id)


def test_pushed_events_verify_with_the_standardwebhooks_package(
    database: Database, receiver: WebhookReceiver, tmp_path: Path
) -> None:
    config = events_config(tmp_path, receiver.url)
    add_order(database, "5001")
    ship_through(database, "5001")

    push_until_done(database, config)

    oracle = Webhook(SECRET)
    for request in receiver.requests:
        document = oracle.verify(request.body, request.headers)
        assert document["id"] == request.headers["webhook-id"]
    first = receiver.requests[0].json()
    assert first["type"] == "order.submitted"
    assert first["data"] == {
        "order_id": "5001",
        "refurbisher": "flexit",
        "order_number": "IU-5001",
        "status": "submitted",
        "external_reference": "SO-5001",
    }
    shipped = receiver.requests[1].json()
    assert shipped["data"]["shipment"] == {
        "carrier": "PostNL",
        "tracking_code": "3S5001",
        "tracking_url": None,
        "shipped_at": None,
    }


def test_a_failed_push_waits_for_its_backoff_and_records_why(
    database: Database, receiver: WebhookReceiver, tmp_path: Path
) -> None:
    config = events_config(tmp_path, receiver.url, retry_seconds=30)
    add_order(database, "5001")
    ship_through(database, "5001")
    receiver.fail(1, status=500)

    report = push_due_events(database, config, budget_seconds=5)

    assert (report.pushed, report.failed) == (0, 1)
    assert len(receiver.requests) == 1  # the later events of 5001 wait behind the first
    with database.connect() as conn:
        row = (
            conn.execute(sa.select(order_events).order_by(order_events.c.id).limit(1))
            .mappings()
            .one()
        )
    assert (row["push_attempts"], row["pushed_at"]) == (1, None)
    assert row["last_push_error"] == 'HTTP 500: {"ok": false}'
    assert 15 <= (row["next_push_at"] - database.now()).total_seconds() <= 30
    assert push_due_events(database, config, budget_seconds=5).pushed == 0  # not due yet


def test_an_oversized_answer_is_a_failed_push_retried_later(
    database: Database, tmp_path: Path
) -> None:
    from irp.http_limits import MAX_ANSWER_BYTES
    from tests.integration.answer_server import Answer, AnswerServer

    add_order(database, "5001")
    ship_through(database, "5001")
    huge = Answer(body=b"x" * (MAX_ANSWER_BYTES + 1), chunked=True)
    with AnswerServer(huge) as server:
        config = events_config(tmp_path, server.url + "/events", retry_seconds=30)

        report = push_due_events(database, config, budget_seconds=5)

    assert (report.pushed, report.failed) == (0, 1)
    with database.connect() as conn:
        row = (
            conn.execute(sa.select(order_events).order_by(order_events.c.id).limit(1))
            .mappings()
            .one()
        )
    assert (row["push_attempts"], row["pushed_at"]) == (1, None)  # accepted? unknown: again
    assert row["last_push_error"] == (
        "AnswerTooLargeError: the answer (HTTP 200) is larger: IRP reads at most 10 MB of an "
        "answer, so what it said is unknown"
    )
