"""Loading the FlexIT example, environment merging, file formats and the config hash."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from irp.config import ConfigFileError, deep_merge, load_config
from irp.config.offers import SftpAuth
from irp.config.order import ClientIdSecretAuth
from irp.errors import ConfigErrors
from irp.template.payload import PayloadTemplate

from .conftest import EXAMPLE, WriteConfig


def test_flexit_example_loads_with_exact_values(flexit_env: dict[str, str]) -> None:
    config = load_config(EXAMPLE, "acceptance")

    assert config.env == "acceptance"
    assert config.path == EXAMPLE
    assert list(config.refurbishers) == ["flexit"]
    flexit = config.refurbishers["flexit"]
    assert (flexit.key, flexit.name, flexit.refurbisher_id) == ("flexit", "flexit", 15)
    settings = flexit.settings
    assert settings.currency == "EUR"
    assert settings.shipping_costs == Decimal("10.00")
    assert settings.home_copy_tax == Decimal("3.18")
    assert settings.default_margin == Decimal("17")
    assert isinstance(settings.default_margin, Decimal)
    assert settings.margin_mode == "markup"
    assert settings.vat_rate is None
    assert settings.stock_threshold == 1
    assert (settings.supplier_id, settings.odoo_vendor_id) == (10, 21469)
    assert (settings.approved_refurbished, settings.drop_ship) == (True, True)
    monitoring = flexit.monitoring
    assert (monitoring.latest_order_hours, monitoring.offers_stock_hours) == (48, 48)
    assert (monitoring.open_order_days, monitoring.offers_endpoint_status) == (4, 200)
    assert monitoring.stuck_order_hours == 4

    offers = flexit.offers
    assert offers is not None
    assert offers.connection == "sftp"
    assert isinstance(offers.auth, SftpAuth)
    assert offers.auth.host == "sftp.flexitdistribution.com"
    assert offers.auth.port == 22
    assert offers.auth.path == "Outbound/FlexIT_Feed.csv"
    assert offers.auth.username == "xmlorder_218535"
    assert offers.auth.password.get_secret_value() == "sftp-pw-Secret1"
    assert (offers.auth.host_key, offers.auth.known_hosts) == (None, None)
    assert (offers.type, offers.separator, offers.heading) == ("csv", ";", True)
    assert (offers.price_locale, offers.encoding, offers.records_path) == ("nl_NL", "auto", None)
    assert offers.mapping["sku"] == "Flex IT Part Number"
    assert offers.mapping["price_purchase_amount"] == "Sales Price"
    assert (offers.max_unlist_ratio, offers.max_price_change_ratio) == (0.5, 0.5)
    assert (offers.unlist_stale_after_hours, offers.archive_retention_days) == (72, 30)
    assert (offers.settle_seconds, offers.timeout_seconds) == (2.0, 30)

    order = flexit.order
    assert order is not None
    assert order.endpoint == "https://acc-api.example/order/api/order"
    assert (order.connection, order.method) == ("web", "POST")
    assert isinstance(order.auth, ClientIdSecretAuth)
    assert order.auth.client_id.get_secret_value() == "client-id-Secret2"
    assert order.auth.client_secret.get_secret_value() == "client-secret-Secret3"
    assert (order.auth.client_id_header, order.auth.client_secret_header) == (
        "client_id",
        "client_secret",
    )
    assert order.order_object["customerNumber"] == "!(int)218535"
    assert order.response_object.asserts == {"status": "in:201", "OrderNumber": "present|filled"}
    assert order.response_object.fields == {"externalOrderReference": "OrderNumber"}
    assert (order.connect_timeout, order.read_timeout, order.max_attempts) == (10, 30, 8)
    assert (order.resend_on, order.max_concurrency, order.rate_limit_per_second) == ([], 4, None)
    assert order.lease_seconds == 2 * 10 + 2 * 30 + 5  # the longest request + the margin
    assert isinstance(order.template, PayloadTemplate)
    lookup = order.lookup
    assert lookup is not None
    assert lookup.endpoint.endswith("/order/api/order/{externalDocumentNumber}/status")
    assert (lookup.method, lookup.delay_seconds, lookup.not_found_confirmations) == (
        "GET",
        120,
        2,
    )
    assert lookup.not_found.asserts == {"status": "in:404"}
    assert (flexit.shipment_webhook, flexit.shipment_poll) == (None, None)
    assert flexit.secret_expiries == {}
    assert config.secret_values() == {
        "sftp-pw-Secret1",
        "client-id-Secret2",
        "client-secret-Secret3",
    }


def test_production_uses_the_base_endpoint(flexit_env: dict[str, str]) -> None:
    flexit = load_config(EXAMPLE, "production").refurbishers["flexit"]

    assert flexit.order is not None
    assert flexit.order.endpoint == "https://api.flexitdistribution.com/order/api/order"


def test_environment_is_deep_merged_and_dropped(
    flexit_env: dict[str, str], flexit_raw: dict[str, Any], write_config: WriteConfig
) -> None:
    flexit_raw["flexit"]["environments"]["acceptance"] = {
        "offers": {"auth": {"host": "127.0.0.1", "port": 2222}},
        "order": {"resend_on": [500], "lookup": None},
        "settings": {"default_margin": "20"},
    }
    flexit_raw["flexit"]["order"]["resend_on"] = [502, 504]

    acceptance = load_config(write_config(flexit_raw), "acceptance").refurbishers["flexit"]
    production = load_config(write_config(flexit_raw), "production").refurbishers["flexit"]

    assert acceptance.offers is not None and isinstance(acceptance.offers.auth, SftpAuth)
    assert (acceptance.offers.auth.host, acceptance.offers.auth.port) == ("127.0.0.1", 2222)
    assert acceptance.offers.auth.username == "xmlorder_218535"
    assert acceptance.settings.default_margin == Decimal("20")
    assert acceptance.settings.shipping_costs == Decimal("10.00")
    assert acceptance.order is not None
    assert acceptance.order.resend_on == [500]
    assert acceptance.order.lookup is None
    assert production.order is not None and production.order.lookup is not None
    assert production.order.resend_on == [502, 504]
    assert production.settings.default_margin == Decimal("17")


def test_deep_merge_merges_objects_and_replaces_everything_else() -> None:
    base = {"a": {"b": 1, "c": [1, 2]}, "d": "x"}
    merged = deep_merge(base, {"a": {"c": [3], "e": None}, "d": {"f": 1}})

    assert merged == {"a": {"b": 1, "c": [3], "e": None}, "d": {"f": 1}}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": "x"}


def test_environment_known_to_no_refurbisher_is_refused(flexit_env: dict[str, str]) -> None:
    with pytest.raises(ConfigErrors) as caught:
        load_config(EXAMPLE, "prodution")

    assert [(e.path, e.message) for e in caught.value.errors] == [
        (
            "",
            "environment 'prodution' is not defined by any refurbisher; "
            "known: acceptance, production",
        )
    ]


def test_environment_declared_by_another_refurbisher_means_no_overrides(
    flexit_env: dict[str, str], flexit_raw: dict[str, Any], write_config: WriteConfig
) -> None:
    other = {
        "name": "other",
        "refurbisher_id": 16,
        "environments": {"staging": {"refurbisher_id": 17}},
    }
    config = load_config(write_config({**flexit_raw, "other": other}), "staging")

    flexit = config.refurbishers["flexit"]
    assert flexit.order is not None
    assert flexit.order.endpoint == "https://api.flexitdistribution.com/order/api/order"
    assert config.refurbishers["other"].refurbisher_id == 17
    assert config.refurbishers["other"].settings.default_margin == Decimal("0")


def test_json_fractions_become_exact_decimals(
    flexit_env: dict[str, str], flexit_raw: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "irp.json"
    text = EXAMPLE.read_text().replace('"shipping_costs": "10.00"', '"shipping_costs": 10.1')
    path.write_text(text.replace('"default_margin": "17"', '"default_margin": 17.35'))

    settings = load_config(path, "acceptance").refurbishers["flexit"].settings

    assert settings.shipping_costs == Decimal("10.1")
    assert str(settings.shipping_costs) == "10.1"
    assert str(settings.default_margin) == "17.35"


def test_yaml_config_is_accepted_with_exact_decimals(
    flexit_env: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "irp.yaml"
    path.write_text(
        "shop:\n"
        "  name: Shop\n"
        "  refurbisher_id: 3\n"
        "  settings:\n"
        "    shipping_costs: 10.1\n"
        "    default_margin: 17\n"
        "    vat_rate: 0.21\n"
        "  monitoring: {stuck_order_hours: 2}\n"
    )

    shop = load_config(path, "acceptance").refurbishers["shop"]

    assert str(shop.settings.shipping_costs) == "10.1"
    assert shop.settings.default_margin == Decimal("17")
    assert str(shop.settings.vat_rate) == "0.21"
    assert shop.monitoring.stuck_order_hours == 2
    assert shop.offers is None and shop.order is None


def test_missing_file_is_one_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.json"
    with pytest.raises(ConfigFileError) as caught:
        load_config(path, "acceptance")

    assert str(caught.value) == f"{path}: file not found; pass --config PATH or set IRP_CONFIG"
    assert [e.path for e in caught.value.errors] == [str(path)]


def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "irp.json"
    path.write_text('{"flexit": {\n  "name": "flexit",,\n}}')

    with pytest.raises(ConfigFileError) as caught:
        load_config(path, "acceptance")

    assert str(caught.value) == (
        f"{path}: not valid JSON at line 2, column 20: Expecting property name enclosed in "
        "double quotes"
    )


def test_invalid_yaml_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "irp.yml"
    path.write_text("flexit:\n  name: [flexit\n  refurbisher_id: 15\n")

    with pytest.raises(ConfigFileError) as caught:
        load_config(path, "acceptance")

    assert str(caught.value).startswith(f"{path}: not valid YAML at line 3, column 17: ")


def test_hash_covers_settings_but_not_secret_values(
    flexit_env: dict[str, str],
    flexit_raw: dict[str, Any],
    write_config: WriteConfig,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = load_config(write_config(flexit_raw), "acceptance").hash
    monkeypatch.setenv("FLEXIT_CLIENT_SECRET", "another-secret")
    after_rotation = load_config(write_config(flexit_raw), "acceptance").hash
    flexit_raw["flexit"]["settings"]["default_margin"] = "18"
    after_margin = load_config(write_config(flexit_raw), "acceptance").hash

    assert len(first) == 64 and int(first, 16) >= 0
    assert after_rotation == first
    assert after_margin != first
    assert load_config(EXAMPLE, "production").hash != load_config(EXAMPLE, "acceptance").hash


def test_hash_masks_literal_secrets(
    flexit_env: dict[str, str], flexit_raw: dict[str, Any], write_config: WriteConfig
) -> None:
    flexit_raw["flexit"]["order"]["auth"]["client_secret"] = "literal-one"
    first = load_config(write_config(flexit_raw), "acceptance")
    flexit_raw["flexit"]["order"]["auth"]["client_secret"] = "literal-two"
    second = load_config(write_config(flexit_raw), "acceptance")

    assert first.hash == second.hash
    assert "literal-one" in first.secret_values()
