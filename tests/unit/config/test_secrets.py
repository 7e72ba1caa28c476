"""Secret references: ${ENV}, op://, placeholders, expiry dates — and no secret leaks."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from irp.config import check_config, load_config
from irp.config.offers import HttpAuth
from irp.config.order import ClientIdSecretAuth, HeaderAuth
from irp.errors import ConfigErrors

from .conftest import EXAMPLE, SECRETS, WriteConfig


def _errors(path: Path, env: str = "acceptance") -> list[tuple[str, str]]:
    return [(e.path, e.message) for e in check_config(path, env)]


def test_placeholder_secret_is_refused(
    flexit_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLEXIT_CLIENT_SECRET", "XXXXXXXXXXXXXXX")

    assert _errors(EXAMPLE) == [
        (
            "flexit.order.auth.client_secret",
            "${FLEXIT_CLIENT_SECRET} is still the placeholder XXXX…; set it with the real "
            "secret or op://vault/item/field",
        )
    ]


def test_placeholder_written_in_the_file_is_refused(
    flexit_env: dict[str, str], flexit_raw: dict[str, Any], write_config: WriteConfig
) -> None:
    flexit_raw["flexit"]["offers"]["auth"]["password"] = "XXXXXXXX"
    flexit_raw["flexit"]["offers"]["auth"]["username"] = "XXXXXXXX"  # not a secret field

    assert _errors(write_config(flexit_raw)) == [
        (
            "flexit.offers.auth.password",
            "still the placeholder XXXX…; set it with ${FLEXIT_PASSWORD} or op://vault/item/field",
        )
    ]


def test_unset_variable_is_named(
    flexit_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FLEXIT_CLIENT_SECRET")

    with pytest.raises(ConfigErrors) as caught:
        load_config(EXAMPLE, "acceptance").refurbisher("flexit")

    assert [str(e) for e in caught.value.errors] == [
        "flexit.order.auth.client_secret: ${FLEXIT_CLIENT_SECRET} is not set"
    ]


def test_embedded_variables_are_substituted_everywhere(
    flexit_env: dict[str, str],
    flexit_raw: dict[str, Any],
    write_config: WriteConfig,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SFTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SFTP_PORT", "2222")
    monkeypatch.setenv("FEED_KEY", "k-123")
    flexit = flexit_raw["flexit"]
    flexit["offers"]["auth"].update(host="${SFTP_HOST}", port="${SFTP_PORT}")
    flexit["order"]["auth"] = {"type": "header", "header": "X-Key", "value": "key ${FEED_KEY}!"}
    second = {
        "name": "second",
        "refurbisher_id": 2,
        "settings": {"default_margin": "10"},
        "offers": {
            "connection": "http",
            "auth": {"url": "http://${SFTP_HOST}/feed", "headers": {"X-Api": "${FEED_KEY}"}},
            "mapping": {"sku": "a", "stock_available": "b", "price_purchase_amount": "c"},
        },
    }

    config = load_config(write_config({**flexit_raw, "second": second}), "acceptance")

    offers = config.refurbishers["flexit"].offers
    assert offers is not None
    assert (offers.auth.host, offers.auth.port) == ("127.0.0.1", 2222)  # type: ignore[union-attr]
    order = config.refurbishers["flexit"].order
    assert order is not None and isinstance(order.auth, HeaderAuth)
    assert order.auth.value.get_secret_value() == "key k-123!"
    http = config.refurbishers["second"].offers
    assert http is not None and isinstance(http.auth, HttpAuth)
    assert http.auth.url == "http://127.0.0.1/feed"
    assert http.auth.headers["X-Api"].get_secret_value() == "k-123"
    assert config.secret_values() == {
        SECRETS["FLEXIT_SFTP_PASSWORD"],
        "key k-123!",
        "k-123",
    }


def test_unset_variable_in_a_plain_field_is_reported_once(
    flexit_env: dict[str, str], flexit_raw: dict[str, Any], write_config: WriteConfig
) -> None:
    flexit_raw["flexit"]["offers"]["auth"]["port"] = "${NO_SUCH_PORT_VAR}"

    assert _errors(write_config(flexit_raw)) == [
        ("flexit.offers.auth.port", "${NO_SUCH_PORT_VAR} is not set")
    ]


def test_secret_expiry_is_recorded(
    flexit_env: dict[str, str], flexit_raw: dict[str, Any], write_config: WriteConfig
) -> None:
    auth = flexit_raw["flexit"]["order"]["auth"]
    auth["client_secret"] = {"value": "${FLEXIT_CLIENT_SECRET}", "expires": "2027-03-01"}

    flexit = load_config(write_config(flexit_raw), "acceptance").refurbishers["flexit"]

    assert flexit.secret_expiries == {"flexit.order.auth.client_secret": date(2027, 3, 1)}
    assert flexit.order is not None and isinstance(flexit.order.auth, ClientIdSecretAuth)
    assert flexit.order.auth.client_secret.get_secret_value() == "client-secret-Secret3"


def test_bad_expiry_date_is_reported(
    flexit_env: dict[str, str], flexit_raw: dict[str, Any], write_config: WriteConfig
) -> None:
    auth = flexit_raw["flexit"]["order"]["auth"]
    auth["client_secret"] = {"value": "${FLEXIT_CLIENT_SECRET}", "expires": "01-03-2027"}

    assert _errors(write_config(flexit_raw)) == [
        (
            "flexit.order.auth.client_secret.expires",
            "expected a date YYYY-MM-DD, got '01-03-2027'",
        )
    ]


def test_secrets_never_appear_in_errors_or_reprs(
    flexit_env: dict[str, str], flexit_raw: dict[str, Any], write_config: WriteConfig
) -> None:
    config = load_config(EXAMPLE, "acceptance")
    shown = repr(config) + str(config) + repr(config.refurbishers["flexit"].model_dump())
    flexit = flexit_raw["flexit"]
    flexit["refurbisher_id"] = "${FLEXIT_CLIENT_SECRET}"  # a secret where a number goes
    flexit["order"]["auth"]["client_id"] = 12345  # a secret of the wrong type
    flexit["offers"]["auth"]["password"] = ["${FLEXIT_SFTP_PASSWORD}"]

    with pytest.raises(ConfigErrors) as caught:
        load_config(write_config(flexit_raw), "acceptance").refurbisher("flexit")

    message = str(caught.value)
    assert message == (
        "refurbisher flexit is disabled by 3 configuration error(s) of its own:\n"
        "  - flexit.refurbisher_id: expected an integer\n"
        "  - flexit.offers.auth.password: expected a string\n"
        "  - flexit.order.auth.client_id: expected a string"
    )
    for secret in SECRETS.values():
        assert secret not in shown
        assert secret not in message


def test_resolve_secrets_false_keeps_references_without_reading_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in SECRETS:
        monkeypatch.delenv(name, raising=False)

    config = load_config(EXAMPLE, "acceptance", resolve_secrets=False)

    order = config.refurbishers["flexit"].order
    assert order is not None and isinstance(order.auth, ClientIdSecretAuth)
    assert order.auth.client_secret.get_secret_value() == "${FLEXIT_CLIENT_SECRET}"
    assert config.secret_values() == set()
    assert config.hash == load_config_hash_with_secrets(monkeypatch)


def load_config_hash_with_secrets(monkeypatch: pytest.MonkeyPatch) -> str:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    return load_config(EXAMPLE, "acceptance").hash


@pytest.fixture
def fake_op(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in for the 1Password CLI, first on PATH; logs each call."""
    folder = tmp_path / "bin"
    folder.mkdir()
    log = tmp_path / "op-calls.log"
    script = folder / "op"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> "{log}"\n'
        'if [ "$1" = read ] && [ "$2" = "op://Suppliers/FlexIT/client_secret" ]; then\n'
        "  printf 'op-Secret-4\\n'; exit 0\n"
        "fi\n"
        "echo \"[ERROR] could not read secret '$2': item not found\" >&2\n"
        "exit 1\n"
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return log


def test_op_reference_is_read_with_op_read_once(
    fake_op: Path, flexit_env: dict[str, str], flexit_raw: dict[str, Any], write_config: WriteConfig
) -> None:
    flexit_raw["flexit"]["order"]["auth"]["client_secret"] = "op://Suppliers/FlexIT/client_secret"
    flexit_raw["flexit"]["shipment_webhook"] = {
        "auth": {"type": "hmac_sha256", "secret": "op://Suppliers/FlexIT/client_secret"},
        "fields": {"external_reference": "OrderNumber"},
    }

    config = load_config(write_config(flexit_raw), "acceptance")

    flexit = config.refurbishers["flexit"]
    assert flexit.order is not None and isinstance(flexit.order.auth, ClientIdSecretAuth)
    assert flexit.order.auth.client_secret.get_secret_value() == "op-Secret-4"
    assert flexit.shipment_webhook is not None
    assert flexit.shipment_webhook.auth.secret.get_secret_value() == "op-Secret-4"  # type: ignore[union-attr]
    assert flexit.shipment_webhook.auth.header == "X-Signature"
    assert "op-Secret-4" in config.secret_values()
    assert fake_op.read_text() == "read op://Suppliers/FlexIT/client_secret\n"


def test_failing_op_read_names_the_path_and_reason(
    fake_op: Path, flexit_env: dict[str, str], flexit_raw: dict[str, Any], write_config: WriteConfig
) -> None:
    flexit_raw["flexit"]["offers"]["auth"]["password"] = "op://Suppliers/FlexIT/sftp"

    assert _errors(write_config(flexit_raw)) == [
        (
            "flexit.offers.auth.password",
            "op://Suppliers/FlexIT/sftp cannot be read with `op read`: [ERROR] could not read "
            "secret 'op://Suppliers/FlexIT/sftp': item not found (is `op` signed in, and does "
            "the item exist?)",
        )
    ]


def test_missing_op_cli_is_reported(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    flexit_env: dict[str, str],
    flexit_raw: dict[str, Any],
    write_config: WriteConfig,
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    flexit_raw["flexit"]["order"]["auth"]["client_id"] = "op://Suppliers/FlexIT/client_id"

    assert _errors(write_config(flexit_raw)) == [
        (
            "flexit.order.auth.client_id",
            "op://Suppliers/FlexIT/client_id cannot be read: the 1Password CLI `op` is not on "
            "PATH; install it and sign in, or use ${ENV_VAR}",
        )
    ]
