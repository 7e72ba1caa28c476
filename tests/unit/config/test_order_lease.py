"""The lease must outlast the request: too short a lease or a zero lookup delay is refused."""

from __future__ import annotations

from typing import Any

import pytest

from irp.config import check_config, load_config
from tests.unit.config.conftest import WriteConfig

OAUTH2 = {
    "type": "oauth2_client_credentials",
    "token_url": "https://acc-api.example/oauth/token",
    "client_id": "${FLEXIT_CLIENT_ID}",
    "client_secret": "${FLEXIT_CLIENT_SECRET}",
}


def errors(write_config: WriteConfig, raw: dict[str, Any]) -> list[str]:
    return [str(error) for error in check_config(write_config(raw), "acceptance")]


@pytest.mark.parametrize(
    ("changes", "lease"),
    [
        ({}, 2 * 10 + 2 * 30 + 5),
        ({"connect_timeout": 2, "read_timeout": 5}, 2 * 2 + 2 * 5 + 5),
        # A token fetch before the order, and after a 401 a second one and the order again.
        ({"auth": OAUTH2}, 4 * (2 * 10 + 2 * 30) + 5),
        ({"lease_seconds": 600}, 600),
    ],
    ids=["default", "short_timeouts", "oauth2", "explicit"],
)
def test_default_lease_covers_the_longest_request(
    flexit_env: dict[str, str],
    flexit_raw: dict[str, Any],
    write_config: WriteConfig,
    changes: dict[str, Any],
    lease: float,
) -> None:
    flexit_raw["flexit"]["order"].update(changes)
    order = load_config(write_config(flexit_raw), "acceptance").refurbishers["flexit"].order
    assert order is not None
    assert order.lease_seconds == lease


def test_a_lease_shorter_than_the_request_is_refused(
    flexit_env: dict[str, str], flexit_raw: dict[str, Any], write_config: WriteConfig
) -> None:
    flexit_raw["flexit"]["order"]["lease_seconds"] = 60  # the old default: read_timeout + 30
    assert errors(write_config, flexit_raw) == [
        "flexit.order.lease_seconds: 60 s is shorter than the longest request these timeouts "
        "allow plus a 5 s margin (85 s); a lease that runs out mid-request could send an order "
        "twice. Raise it to at least 85, lower connect_timeout/read_timeout, or leave it out "
        "(the default is exactly that)"
    ]


def test_an_oauth2_lease_must_cover_the_token_requests_too(
    flexit_env: dict[str, str], flexit_raw: dict[str, Any], write_config: WriteConfig
) -> None:
    flexit_raw["flexit"]["order"].update({"auth": OAUTH2, "lease_seconds": 100})
    assert errors(write_config, flexit_raw) == [
        "flexit.order.lease_seconds: 100 s is shorter than the longest request these timeouts "
        "allow plus a 5 s margin (325 s); a lease that runs out mid-request could send an "
        "order twice. Raise it to at least 325, lower connect_timeout/read_timeout, or leave "
        "it out (the default is exactly that)"
    ]


def test_a_zero_lookup_delay_is_refused(
    flexit_env: dict[str, str], flexit_raw: dict[str, Any], write_config: WriteConfig
) -> None:
    flexit_raw["flexit"]["order"]["lookup"]["delay_seconds"] = 0
    assert errors(write_config, flexit_raw) == [
        "flexit.order.lookup.delay_seconds: expected a number > 0, got 0"
    ]
