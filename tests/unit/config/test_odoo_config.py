"""``platform.odoo`` (SPEC §9, §10): defaults, the key as a secret, errors at their path."""

from __future__ import annotations

from typing import Any

import pytest

from irp.config import load_config
from irp.errors import ConfigErrors

from .conftest import WriteConfig

KEY = "odoo-key-Secret4-0123456789"


def _odoo(**changes: Any) -> dict[str, Any]:
    block: dict[str, Any] = {
        "url": "https://odoo.example.com/",
        "database": "marketplace",
        "api_key": "${ODOO_API_KEY}",
    }
    block.update(changes)
    return block


def _errors(raw: dict[str, Any], write_config: WriteConfig) -> list[str]:
    with pytest.raises(ConfigErrors) as raised:
        load_config(write_config(raw), "acceptance")
    return [str(error) for error in raised.value.errors]


def test_odoo_defaults_to_json2_with_confirm_and_its_key_is_a_secret(
    flexit_env: dict[str, str],
    flexit_raw: dict[str, Any],
    write_config: WriteConfig,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ODOO_API_KEY", KEY)
    flexit_raw["platform"] = {"odoo": _odoo()}

    config = load_config(write_config(flexit_raw), "acceptance")

    odoo = config.platform.odoo
    assert odoo is not None
    assert (odoo.url, odoo.database, odoo.api, odoo.login) == (
        "https://odoo.example.com",
        "marketplace",
        "json2",
        None,
    )
    assert (odoo.confirm, odoo.company_id, odoo.picking_type) == (True, None, None)
    assert (odoo.connect_timeout, odoo.read_timeout, odoo.push_every_seconds) == (10.0, 30.0, 60.0)
    assert odoo.api_key.get_secret_value() == KEY
    assert KEY not in repr(odoo)
    assert KEY in config.secret_values()


def test_jsonrpc_needs_the_login_the_key_belongs_to(
    flexit_env: dict[str, str],
    flexit_raw: dict[str, Any],
    write_config: WriteConfig,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ODOO_API_KEY", KEY)
    flexit_raw["platform"] = {"odoo": _odoo(api="jsonrpc")}

    assert _errors(flexit_raw, write_config) == [
        "platform.odoo.login: required with api 'jsonrpc': the login of the Odoo user the "
        "API key belongs to (execute_kw authenticates with login and key)"
    ]


def test_odoo_key_follows_the_secret_rules(
    flexit_env: dict[str, str],
    flexit_raw: dict[str, Any],
    write_config: WriteConfig,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ODOO_API_KEY", raising=False)
    flexit_raw["platform"] = {"odoo": _odoo()}
    assert _errors(flexit_raw, write_config) == [
        "platform.odoo.api_key: ${ODOO_API_KEY} is not set"
    ]

    flexit_raw["platform"] = {"odoo": _odoo(api_key="XXXXXXXXXXXXXXX")}
    assert _errors(flexit_raw, write_config) == [
        "platform.odoo.api_key: still the placeholder XXXX…; set it with ${ODOO_API_KEY} "
        "or op://vault/item/field"
    ]


def test_odoo_settings_are_checked_at_their_path(
    flexit_env: dict[str, str],
    flexit_raw: dict[str, Any],
    write_config: WriteConfig,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ODOO_API_KEY", KEY)
    flexit_raw["platform"] = {
        "odoo": _odoo(url="odoo.example.com", api="xmlrpc", picking_type=0, confirm="maybe")
    }

    paths = sorted(e.split(":")[0] for e in _errors(flexit_raw, write_config))

    assert paths == [
        "platform.odoo.api",
        "platform.odoo.confirm",
        "platform.odoo.picking_type",
        "platform.odoo.url",
    ]
