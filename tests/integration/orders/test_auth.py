"""Order-API auth types against the FlexIT simulator, over real HTTP."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from irp.errors import FatalSupplierError, RetriableSupplierError
from irp.orders.auth import (
    BasicAuth,
    BearerAuth,
    ClientIdSecretAuth,
    HeaderAuth,
    OAuth2ClientCredentialsAuth,
    create_auth,
    secret_header_names,
)
from irp.sandbox.flexit_schema import example_order
from irp.sandbox.order_api import FlexitOrderApi
from tests.fixtures.order_api import FLEXIT_CLIENT_ID, FLEXIT_CLIENT_SECRET, MakeOrderApi

ID = FLEXIT_CLIENT_ID
SECRET = FLEXIT_CLIENT_SECRET


def _auth_config(**fields: Any) -> SimpleNamespace:
    """An ``order.auth`` object as the config package builds it (secrets as SecretStr)."""
    secret_fields = {"client_id", "client_secret", "password", "token", "value"}
    return SimpleNamespace(
        **{k: SecretStr(v) if k in secret_fields else v for k, v in fields.items()}
    )


def _send(api: FlexitOrderApi, auth: httpx.Auth, number: str = "5001") -> httpx.Response:
    with httpx.Client(auth=auth, timeout=5) as client:
        return client.post(api.endpoint, json=example_order(number))


# (simulator options, right config, wrong config)
CASES: dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = {
    "client_id_secret": (
        {},
        {"type": "client_id_secret", "client_id": ID, "client_secret": SECRET},
        {"type": "client_id_secret", "client_id": ID, "client_secret": "nope"},
    ),
    "client_id_secret-renamed-headers": (
        {"client_id_header": "X-Client-Id", "client_secret_header": "X-Client-Secret"},
        {
            "type": "client_id_secret",
            "client_id": ID,
            "client_secret": SECRET,
            "client_id_header": "X-Client-Id",
            "client_secret_header": "X-Client-Secret",
        },
        {"type": "client_id_secret", "client_id": ID, "client_secret": SECRET},
    ),
    "basic": (
        {"auth_mode": "basic"},
        {"type": "basic", "username": ID, "password": SECRET},
        {"type": "basic", "username": ID, "password": "nope"},
    ),
    "bearer": (
        {"auth_mode": "bearer"},
        {"type": "bearer", "token": SECRET},
        {"type": "bearer", "token": "nope"},
    ),
    "header": (
        {"auth_mode": "header", "auth_header": "X-Api-Key"},
        {"type": "header", "header": "X-Api-Key", "value": SECRET},
        {"type": "header", "header": "X-Api-Key", "value": "nope"},
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_auth_type_is_accepted_with_the_right_credentials(
    make_order_api: MakeOrderApi, case: str
) -> None:
    options, right, _ = CASES[case]
    api = make_order_api(**options)

    answer = _send(api, create_auth(_auth_config(**right)))

    assert answer.status_code == 201
    assert answer.json()["OrderNumber"] == "SO-000001"


@pytest.mark.parametrize("case", list(CASES))
def test_auth_type_is_refused_with_wrong_credentials(
    make_order_api: MakeOrderApi, case: str
) -> None:
    options, _, wrong = CASES[case]
    api = make_order_api(**options)

    answer = _send(api, create_auth(_auth_config(**wrong)))

    assert (answer.status_code, answer.json()) == (401, {"error": "invalid client"})
    assert api.orders == []


def _oauth2_config(api: FlexitOrderApi, secret: str = SECRET, **extra: Any) -> SimpleNamespace:
    fields: dict[str, Any] = {"scope": None, "audience": None, **extra}
    return _auth_config(
        type="oauth2_client_credentials",
        token_url=api.token_url,
        client_id=ID,
        client_secret=secret,
        **fields,
    )


def test_oauth2_token_is_fetched_once_and_reused(make_order_api: MakeOrderApi) -> None:
    api = make_order_api(auth_mode="oauth2")
    auth = create_auth(_oauth2_config(api, scope="orders:write", audience="flexit"))

    statuses = [_send(api, auth, str(n)).status_code for n in range(3)]

    assert statuses == [201, 201, 201]
    assert api.token_requests == 1
    token_request = next(r for r in api.requests if r.path == "/oauth/token")
    assert (
        token_request.body == "grant_type=client_credentials&scope=orders%3Awrite&audience=flexit"
    )
    assert token_request.headers["authorization"] == "***"


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_oauth2_token_is_fetched_again_after_it_expires(make_order_api: MakeOrderApi) -> None:
    api = make_order_api(auth_mode="oauth2", token_expires_in=600)
    clock = Clock()
    auth = OAuth2ClientCredentialsAuth(api.token_url, ID, SECRET, clock=clock)

    first = _send(api, auth, "5001")
    clock.now += 569  # a token is renewed 10% of its life (at most 30 s) before it expires
    second = _send(api, auth, "5002")
    assert api.token_requests == 1
    clock.now += 1
    third = _send(api, auth, "5003")

    assert (first.status_code, second.status_code, third.status_code) == (201, 201, 201)
    assert api.token_requests == 2
    assert [r.path for r in api.requests if r.method == "POST"] == [
        "/oauth/token",
        "/order/api/order",
        "/order/api/order",
        "/oauth/token",
        "/order/api/order",
    ]


def test_oauth2_revoked_token_is_refreshed_once_and_the_order_goes_through(
    make_order_api: MakeOrderApi,
) -> None:
    api = make_order_api(auth_mode="oauth2")
    auth = create_auth(_oauth2_config(api))
    _send(api, auth, "5001")
    api.revoke_tokens()

    answer = _send(api, auth, "5002")

    assert answer.status_code == 201
    assert api.token_requests == 2
    assert [r.path for r in api.requests] == [
        "/oauth/token",
        "/order/api/order",
        "/order/api/order",  # the revoked token: 401
        "/oauth/token",
        "/order/api/order",
    ]
    assert api.created_count("5002") == 1


def test_oauth2_second_401_after_a_refresh_is_returned_to_the_caller(
    make_order_api: MakeOrderApi,
) -> None:
    api = make_order_api(auth_mode="oauth2")
    api.inject("401", times=2)

    answer = _send(api, create_auth(_oauth2_config(api)))

    assert answer.status_code == 401
    assert api.token_requests == 2
    assert api.orders == []


def test_oauth2_refused_client_is_a_fatal_error_without_the_secret(
    make_order_api: MakeOrderApi,
) -> None:
    api = make_order_api(auth_mode="oauth2")
    wrong_secret = "wrong-secret-1234"

    with pytest.raises(FatalSupplierError) as caught:
        _send(api, create_auth(_oauth2_config(api, secret=wrong_secret)))

    assert str(caught.value) == (
        f"oauth2 token request to {api.token_url} failed: 401; "
        "check order.auth.token_url, client_id and client_secret"
    )
    assert wrong_secret not in repr(caught.value)
    assert api.orders == []


def test_oauth2_unavailable_token_endpoint_is_retriable(make_order_api: MakeOrderApi) -> None:
    api = make_order_api(auth_mode="oauth2")
    api.inject("429", on="token", retry_after=3)

    with pytest.raises(RetriableSupplierError) as caught:
        _send(api, create_auth(_oauth2_config(api)))

    assert str(caught.value) == (
        f"oauth2 token request to {api.token_url} failed: 429; "
        "the order was not sent, it will be tried again"
    )
    assert caught.value.retry_after == 3.0
    assert [r.path for r in api.requests] == ["/oauth/token"]


@pytest.mark.parametrize(
    ("header", "retry_after"),
    [("3", 3.0), ("²", None), ("999999999999", 86400.0)],
    ids=["seconds", "superscript_two", "a_trillion_seconds"],
)
def test_token_endpoint_retry_after_is_read_strictly(
    make_order_api: MakeOrderApi, header: str, retry_after: float | None
) -> None:
    api = make_order_api(auth_mode="oauth2")
    api.inject("503", on="token")
    api.inject("429", on="token", retry_after=header)

    for expected in (None, retry_after):  # the 503 without a Retry-After, then the 429
        with pytest.raises(RetriableSupplierError) as caught:
            _send(api, create_auth(_oauth2_config(api)))
        # Before, "²".isdigit() passed and float("²") raised ValueError from the auth flow.
        assert caught.value.retry_after == expected
    assert api.orders == []


def test_oauth2_token_is_shared_by_concurrent_threads(make_order_api: MakeOrderApi) -> None:
    api = make_order_api(auth_mode="oauth2")
    auth = create_auth(_oauth2_config(api))
    statuses: list[int] = []

    def send(n: int) -> None:
        statuses.append(_send(api, auth, str(n)).status_code)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert [thread.is_alive() for thread in threads] == [False] * 8
    assert statuses == [201] * 8
    assert api.token_requests == 1


def test_lookup_uses_the_same_auth(make_order_api: MakeOrderApi) -> None:
    api = make_order_api(auth_mode="oauth2")
    auth = create_auth(_oauth2_config(api))
    _send(api, auth, "5001")

    with httpx.Client(auth=auth, timeout=5) as client:
        found = client.get(api.lookup_endpoint.format(externalDocumentNumber="5001"))

    assert (found.status_code, found.json()["OrderNumber"]) == (200, "SO-000001")
    assert api.token_requests == 1


def test_no_auth_object_shows_a_secret() -> None:
    auths = [
        ClientIdSecretAuth(SecretStr(ID), SecretStr(SECRET)),
        BasicAuth(ID, SecretStr(SECRET)),
        BearerAuth(SecretStr(SECRET)),
        HeaderAuth("X-Api-Key", SecretStr(SECRET)),
        OAuth2ClientCredentialsAuth("http://127.0.0.1:1/oauth/token", ID, SECRET),
    ]

    shown = [repr(a) for a in auths] + [str(a) for a in auths]

    assert [s for s in shown if SECRET in s] == []
    assert repr(auths[0]) == (
        "ClientIdSecretAuth(client_id_header='client_id', client_secret_header='client_secret')"
    )
    assert repr(auths[3]) == "HeaderAuth(header='X-Api-Key')"


@pytest.mark.parametrize(
    ("fields", "names"),
    [
        (
            {"type": "client_id_secret", "client_id": ID, "client_secret": SECRET},
            {"client_id", "client_secret"},
        ),
        (
            {
                "type": "client_id_secret",
                "client_id": ID,
                "client_secret": SECRET,
                "client_id_header": "X-Client-Id",
                "client_secret_header": "X-Client-Secret",
            },
            {"x-client-id", "x-client-secret"},
        ),
        ({"type": "basic", "username": ID, "password": SECRET}, {"authorization"}),
        ({"type": "bearer", "token": SECRET}, {"authorization"}),
        ({"type": "oauth2_client_credentials", "token_url": "http://x/t"}, {"authorization"}),
        ({"type": "header", "header": "X-Api-Key", "value": SECRET}, {"x-api-key"}),
    ],
)
def test_secret_header_names_cover_every_auth_type(fields: dict[str, Any], names: set[str]) -> None:
    assert secret_header_names(_auth_config(**fields)) == names


def test_unknown_auth_type_is_refused() -> None:
    with pytest.raises(FatalSupplierError) as caught:
        create_auth(_auth_config(type="digest"))

    assert str(caught.value) == (
        "order.auth.type 'digest' is not known; use client_id_secret, "
        "oauth2_client_credentials, basic, bearer or header"
    )
