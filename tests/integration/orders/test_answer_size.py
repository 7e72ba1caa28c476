"""Outside answers are read up to 10 MB (``irp.http_limits``), through real sockets.

Before, httpx read any body whole into memory: an order, lookup or poll answer of a
gigabyte (or a small gzip that expands to one) would take the service's memory. Now a
larger answer is an error on the attempt, with the state right: an oversized answer to
an order proves nothing about whether it was taken, so the order is looked up, never
resent blindly.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import httpx
import pytest

from irp.errors import AnswerTooLargeError, FatalSupplierError
from irp.http_limits import MAX_ANSWER_BYTES, CappedTransport
from irp.odoo.errors import OdooNoAnswerError
from irp.odoo.transport import HttpSession
from irp.orders.auth import OAuth2ClientCredentialsAuth
from irp.orders.submit import submit_due
from irp.sandbox.order_api import FlexitOrderApi
from irp.shipments.poll import poll_shipments
from irp.store.db import Database
from tests.fixtures.order_api import MakeOrderApi
from tests.integration.answer_server import Answer, AnswerServer
from tests.integration.orders.submit_support import (
    add_order,
    attempt_rows,
    drive,
    flexit_config,
    order_row,
)
from tests.integration.shipments.test_poll import polled_config, submitted

OVER = MAX_ANSWER_BYTES + 1
LIMIT = "IRP reads at most 10 MB of an answer, so what it said is unknown"
LARGER = f"the answer (HTTP 200) is larger: {LIMIT}"
FAST = {"read_timeout": 2, "connect_timeout": 2}


def big_json(size: int) -> bytes:
    """A valid JSON object of exactly ``size`` bytes, with an order number."""
    head, tail = b'{"OrderNumber": "SO-000001", "pad": "', b'"}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


def capped_get(answer: Answer) -> tuple[httpx.Response | Exception, list[str]]:
    """GET through a CappedTransport: the response or the error, and what was asked."""
    with (
        AnswerServer(answer) as server,
        httpx.Client(transport=CappedTransport(httpx.HTTPTransport())) as client,
    ):
        try:
            result: httpx.Response | Exception = client.get(server.url + "/answer")
        except AnswerTooLargeError as exc:
            result = exc
        return result, [seen.headers.get("Accept-Encoding", "") for seen in server.requests]


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (
            Answer(body=big_json(OVER)),
            f"the answer (HTTP 200) declares {OVER} bytes: {LIMIT}",
        ),
        (Answer(body=big_json(OVER), chunked=True), LARGER),
        (  # 11 kB on the wire, 10 MB + 1 expanded
            Answer(
                body=gzip.compress(big_json(OVER)),
                headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
            ),
            LARGER,
        ),
        (
            Answer(body=b"(zstd)", headers={"Content-Encoding": "zstd"}),
            "the answer (HTTP 200) is compressed as 'zstd', although IRP asked for none and "
            "expands only gzip and deflate, so what it said is unknown",
        ),
    ],
    ids=["content_length", "chunked", "gzip_bomb", "zstd"],
)
def test_an_answer_over_the_limit_is_refused_however_it_is_framed(
    answer: Answer, error: str
) -> None:
    result, asked = capped_get(answer)

    assert isinstance(result, AnswerTooLargeError)
    assert str(result) == error
    assert asked == ["identity"]  # uncompressed answers are asked for


@pytest.mark.parametrize("encoding", [None, "gzip", "deflate"])
@pytest.mark.parametrize("chunked", [False, True])
def test_an_answer_of_exactly_the_limit_is_read_whole(encoding: str | None, chunked: bool) -> None:
    body = big_json(MAX_ANSWER_BYTES)
    headers = {"Content-Type": "application/json"}
    sent = body
    if encoding == "gzip":
        sent = gzip.compress(body)
    elif encoding == "deflate":
        import zlib

        sent = zlib.compress(body)
    if encoding:
        headers["Content-Encoding"] = encoding

    result, _ = capped_get(Answer(body=sent, headers=headers, chunked=chunked))

    assert isinstance(result, httpx.Response)
    assert (result.status_code, result.content == body) == (200, True)


def test_an_oversized_answer_to_an_order_makes_it_uncertain_not_resent(
    database: Database, order_api: FlexitOrderApi, tmp_path: Path
) -> None:
    config = flexit_config(tmp_path, order_api, lookup=False, **FAST)
    add_order(database, "5001")
    order_api.inject("raw_body", body=big_json(OVER).decode())

    (first,) = submit_due(database, config)
    again = submit_due(database, config)

    row = order_row(database, "5001")
    assert (first.status, again) == ("uncertain", [])
    assert order_api.created_count("5001") == 1
    assert row["last_error"].startswith(f"the answer (HTTP 201) declares {OVER} bytes: {LIMIT}")
    (attempt,) = attempt_rows(database, "5001")
    assert (attempt["kind"], attempt["outcome"]) == ("submit", "uncertain")


def test_with_the_lookup_an_oversized_answer_ends_submitted_exactly_once(
    database: Database, order_api: FlexitOrderApi, tmp_path: Path
) -> None:
    config = flexit_config(tmp_path, order_api, **FAST)
    add_order(database, "5001")
    order_api.inject("raw_body", body=big_json(OVER).decode())

    row = drive(database, config, "5001")

    assert row["status"] == "submitted"
    assert order_api.created_count("5001") == 1
    assert row["external_reference"] == order_api.orders[0]["order_number"]
    outcomes = [(a["kind"], a["outcome"]) for a in attempt_rows(database, "5001")]
    assert outcomes == [("submit", "uncertain"), ("lookup", "found")]


def test_an_oversized_poll_answer_is_a_failed_poll_and_the_order_stays(
    database: Database, make_order_api: MakeOrderApi, tmp_path: Path
) -> None:
    api = make_order_api()
    with AnswerServer(Answer(body=big_json(OVER), chunked=True)) as server:
        config = polled_config(tmp_path, api, endpoint=server.url + "/shipment/{id}")
        submitted(database, config)

        (result,) = poll_shipments(database, config)

    assert (result.outcome, result.status, result.http_status) == ("failed", "submitted", None)
    assert result.detail == f"could not ask: {LARGER}"
    assert order_row(database, "5001")["status"] == "submitted"


def test_an_oversized_token_answer_stops_before_the_order_is_sent() -> None:
    with AnswerServer(Answer(body=big_json(OVER), chunked=True)) as server:
        auth = OAuth2ClientCredentialsAuth(server.url + "/token", "id", "secret")
        client = httpx.Client(transport=CappedTransport(httpx.HTTPTransport()), auth=auth)
        with client, pytest.raises(FatalSupplierError) as caught:
            client.post(server.url + "/order", content=b"{}")
        paths = [seen.path for seen in server.requests]

    assert str(caught.value) == (
        f"oauth2 token request to {server.url}/token failed: {LARGER}; the order was not "
        "sent; check order.auth.token_url"
    )
    assert paths == ["/token"]


def test_an_oversized_odoo_answer_is_no_answer_settled_by_searching() -> None:
    with AnswerServer(Answer(body=big_json(OVER))) as server:
        session = HttpSession(server.url, secret="odoo-key", connect_timeout=2, read_timeout=2)
        with pytest.raises(OdooNoAnswerError) as caught:
            session.post(server.url + "/json/2/purchase.order/create", b"{}", {}, "create")
        session.close()

    assert str(caught.value) == (
        f"Odoo's answer (create): the answer (HTTP 200) declares {OVER} bytes: {LIMIT}; "
        "Odoo may have acted on it"
    )
