"""How a run of the delivery engine behaves: bugs, stopping, workers, late lookups."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from irp.orders import auth
from irp.orders import submit as submit_module
from irp.orders.cycle import submit_pass
from irp.orders.leases import expire_leases
from irp.orders.mock import MockSender
from irp.orders.sender import HttpSender, Request
from irp.orders.submit import submit_due
from irp.sandbox.order_api import FlexitOrderApi
from irp.store.db import Database
from irp.store.tables import orders
from tests.integration.orders.submit_support import (
    FakeEndpoints,
    add_order,
    attempt_rows,
    flexit_config,
    order_row,
)


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    """(message, traceback) of each record logged with one (the redaction filter, once
    installed by an earlier test, has already turned exc_info into exc_text)."""
    found = []
    for record in caplog.records:
        text = record.exc_text
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
        if text:
            found.append((record.getMessage(), text.rstrip().splitlines()[-1]))
    return found


def created(request: Request) -> httpx.Response:
    return httpx.Response(201, json={"OrderNumber": "SO-1"})


def test_a_bug_in_irp_keeps_the_lease_logs_a_traceback_and_the_pass_goes_on(
    database: Database,
    order_api: FlexitOrderApi,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = flexit_config(tmp_path, order_api, max_concurrency=1)
    add_order(database, "5001")
    add_order(database, "5002")
    original = auth.ClientIdSecretAuth.auth_flow

    def buggy_flow(self: auth.ClientIdSecretAuth, request: httpx.Request) -> auth.AuthFlow:
        if b'"5001"' in request.content:
            raise TypeError("a bug in IRP")  # e.g. a wrong argument deep in the auth code
        return original(self, request)

    monkeypatch.setattr(auth.ClientIdSecretAuth, "auth_flow", buggy_flow)
    caplog.set_level(logging.ERROR, logger="irp.orders.engine")

    results = {r.order_id: r for r in submit_due(database, config, now=database.now())}

    # Before, send() caught every Exception and the bug made 5001 an uncertain order.
    bug, fine = results["5001"], results["5002"]
    row = order_row(database, "5001")
    assert (bug.status, bug.internal_error, bug.needs_operator) == ("submitting", True, True)
    assert (row["status"], row["lease_owner"] is not None) == ("submitting", True)
    until = row["lease_until"].isoformat(timespec="seconds")
    assert bug.error == (
        "IRP failed while sending it (TypeError: a bug in IRP); this is a bug in IRP, logged "
        "with its traceback. The refurbisher may have the order: it stays submitting until its "
        f"lease runs out at {until}, then it becomes uncertain and is looked up, never resent "
        "blindly"
    )
    assert (fine.status, fine.external_reference) == ("submitted", "SO-000001")
    assert order_api.created_count("5001") == 0
    assert tracebacks(caplog) == [
        (
            "submit 5001: IRP failed while handling it (a bug, not the refurbisher's doing); "
            "it keeps its lease and the run goes on",
            "TypeError: a bug in IRP",
        )
    ]

    assert expire_leases(database, config, now=row["lease_until"] + timedelta(seconds=1)) == [
        "5001"
    ]
    assert order_row(database, "5001")["status"] == "uncertain"


def test_only_transport_errors_come_back_as_answers(
    order_api: FlexitOrderApi, tmp_path: Path
) -> None:
    config = flexit_config(tmp_path, order_api)
    order = config.refurbishers["flexit"].order
    assert order is not None
    with HttpSender(order) as sender:
        refused = sender.send(Request("GET", "http://127.0.0.1:1/order"))
        assert (refused.response, refused.request_sent) == (None, False)
        assert isinstance(refused.error, httpx.ConnectError)
        with pytest.raises(httpx.InvalidURL):  # not the network's doing: it propagates
            sender.send(Request("GET", "http://[::1/order"))


@pytest.fixture
def three_orders(database: Database) -> Iterator[list[str]]:
    ids = ["6001", "6002", "6003"]
    for order_id in ids:
        add_order(database, order_id)
    yield ids


def test_a_set_stop_claims_nothing(
    database: Database, tmp_path: Path, three_orders: list[str]
) -> None:
    config = flexit_config(tmp_path, FakeEndpoints(), max_concurrency=2)
    sender = MockSender(created)
    stop = threading.Event()
    stop.set()

    assert submit_pass(database, config, None, stop=stop, open_sender=lambda o: sender) == []
    assert sender.requests == []
    assert {order_row(database, i)["status"] for i in three_orders} == {"pending"}


def test_stop_during_a_run_lets_the_request_in_flight_finish(
    database: Database, tmp_path: Path, three_orders: list[str]
) -> None:
    config = flexit_config(tmp_path, FakeEndpoints(), max_concurrency=1)
    stop = threading.Event()

    def answer_then_stop(request: Request) -> httpx.Response:
        stop.set()  # SIGTERM arrives while this request is in flight
        return created(request)

    sender = MockSender(answer_then_stop)
    results = submit_pass(database, config, None, stop=stop, open_sender=lambda o: sender)

    assert [(r.order_id, r.status) for r in results] == [("6001", "submitted")]
    assert [order_row(database, i)["status"] for i in three_orders] == [
        "submitted",
        "pending",
        "pending",
    ]
    assert len(sender.requests) == 1


def test_an_uncertain_order_is_looked_up_once_its_refurbisher_gains_a_lookup(
    database: Database, order_api: FlexitOrderApi, tmp_path: Path
) -> None:
    without = flexit_config(tmp_path, order_api, lookup=False)
    add_order(database, "5001")
    order_api.inject("reset_after_create")  # created, the answer lost
    (first,) = submit_pass(database, without, None)
    assert first.status == "uncertain"
    assert submit_pass(database, without, None) == []  # nobody can ask: left to an operator

    with_lookup = flexit_config(tmp_path, order_api)  # the operator adds order.lookup
    (settled,) = submit_pass(database, with_lookup, None)

    # Before, lookup_next_at stayed null and the new lookup never asked about 5001.
    assert (settled.status, settled.external_reference) == ("submitted", "SO-000001")
    assert [(a["kind"], a["outcome"]) for a in attempt_rows(database, "5001")] == [
        ("submit", "uncertain"),
        ("lookup", "found"),
    ]
    assert order_api.created_count("5001") == 1


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_workers_on_postgresql_skip_an_order_another_worker_is_claiming(
    database: Database, tmp_path: Path, three_orders: list[str]
) -> None:
    config = flexit_config(tmp_path, FakeEndpoints(), max_concurrency=1)
    sender = MockSender(created)
    with database.engine.connect() as holder, holder.begin():
        # Another worker is in the middle of claiming 6001: its row is locked.
        holder.execute(sa.select(orders.c.id).where(orders.c.id == "6001").with_for_update())
        outcome: list[list[str]] = []
        worker = threading.Thread(
            target=lambda: outcome.append(
                [r.order_id for r in submit_due(database, config, open_sender=lambda o: sender)]
            )
        )
        worker.start()
        worker.join(timeout=60)
        # Before, the claim waited on 6001's lock until the other worker committed.
        assert not worker.is_alive()
    assert outcome == [["6002", "6003"]]
    assert [order_row(database, i)["status"] for i in three_orders] == [
        "pending",
        "submitted",
        "submitted",
    ]


def set_country(database: Database, order_id: str, country: str) -> None:
    """Damage a stored order's country (intake would have refused it)."""
    content = order_row(database, order_id)["content"]
    content["shipping_address"]["country"] = country
    with database.begin() as conn:
        conn.execute(sa.update(orders).where(orders.c.id == order_id).values(content=content))


def test_an_order_that_cannot_render_fails_unsent_and_the_run_goes_on(
    database: Database,
    tmp_path: Path,
    three_orders: list[str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = flexit_config(tmp_path, FakeEndpoints(), max_concurrency=1)
    set_country(database, "6001", "Atlantis")  # the template's getIsoAlpha2 refuses it
    original = submit_module.build_context

    def buggy_context(row: Any, lines: Any) -> Any:
        if row["id"] == "6002":
            raise KeyError("a bug in IRP")
        return original(row, lines)

    monkeypatch.setattr(submit_module, "build_context", buggy_context)
    sender = MockSender(created)

    results = submit_due(database, config, open_sender=lambda o: sender)

    assert [(r.order_id, r.status) for r in results] == [
        ("6001", "failed"),
        ("6002", "failed"),
        ("6003", "submitted"),
    ]
    assert [json.loads(r.body or b"{}")["externalDocumentNumber"] for r in sender.requests] == [
        "6003"
    ]
    bug = order_row(database, "6002")["last_error"]
    assert bug == (
        "the payload cannot be rendered: KeyError: 'a bug in IRP' (a bug in IRP, logged with "
        "its traceback); nothing was sent. Fix flexit.order.order_object/item_object (or the "
        "order), then `irp orders retry 6002`"
    )
    assert order_row(database, "6001")["last_error"].startswith("the payload cannot be rendered: ")
    assert [(a["outcome"], a["request_payload"]) for a in attempt_rows(database, "6001")] == [
        ("invalid_payload", None)
    ]
    assert tracebacks(caplog) == [
        ("order 6002: rendering its payload failed (a bug in IRP)", "KeyError: 'a bug in IRP'")
    ]
