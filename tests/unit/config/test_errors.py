"""Every config error names its dotted JSON path and what was expected — all at once."""

from __future__ import annotations

from typing import Any

import pytest

from irp.config import check_config, load_config
from irp.config.settings import LevyTable
from irp.errors import ConfigErrors

from .conftest import WriteConfig


def _errors(path_and_messages: list[Any]) -> list[tuple[str, str]]:
    return [(e.path, e.message) for e in path_and_messages]


@pytest.fixture
def check(flexit_env: dict[str, str], write_config: WriteConfig) -> Any:
    def run(data: dict[str, Any], env: str = "acceptance") -> list[tuple[str, str]]:
        return _errors(check_config(write_config(data), env))

    return run


def test_bad_decimal_names_path_expectation_and_value(
    check: Any, flexit_raw: dict[str, Any]
) -> None:
    flexit_raw["flexit"]["settings"]["default_margin"] = "abc"

    assert check(flexit_raw) == [
        ("flexit.settings.default_margin", "expected a decimal number, got 'abc'")
    ]


def test_typo_in_key_lists_the_allowed_keys(check: Any, flexit_raw: dict[str, Any]) -> None:
    settings = flexit_raw["flexit"]["settings"]
    settings["defualt_margin"] = settings.pop("default_margin")

    assert check(flexit_raw) == [
        ("flexit.settings.default_margin", "required key is missing"),
        (
            "flexit.settings.defualt_margin",
            "unknown key 'defualt_margin' — did you mean 'default_margin'? allowed: "
            "allow_margin_below_1, approved_refurbished, currency, "
            "default_margin, drop_ship, home_copy_tax, margin_mode, odoo_vendor_id, "
            "shipping_costs, stock_threshold, supplier_id, vat_rate",
        ),
    ]


def test_unknown_auth_key_lists_the_keys_of_that_connection_or_type(
    check: Any, flexit_raw: dict[str, Any]
) -> None:
    flexit_raw["flexit"]["offers"]["auth"]["hostkey"] = "ssh-ed25519 AAAA"
    flexit_raw["flexit"]["order"]["auth"]["clientsecret_header"] = "x"

    assert check(flexit_raw) == [
        (
            "flexit.offers.auth.hostkey",
            "unknown key 'hostkey' — did you mean 'host_key'? allowed: host, host_key, "
            "known_hosts, password, path, port, username",
        ),
        (
            "flexit.order.auth.clientsecret_header",
            "unknown key 'clientsecret_header' — did you mean 'client_secret_header'? "
            "allowed: client_id, client_id_header, client_secret, client_secret_header, type",
        ),
    ]


def test_every_error_is_reported_at_once(check: Any, flexit_raw: dict[str, Any]) -> None:
    flexit = flexit_raw["flexit"]
    del flexit["refurbisher_id"]
    flexit["settings"]["currency"] = "euro"
    flexit["offers"]["type"] = "tsv"
    flexit["offers"]["auth"]["port"] = "twenty-two"
    del flexit["offers"]["mapping"]["sku"]
    flexit["order"]["auth"]["type"] = "oauth"
    flexit["order"]["resend_on"] = [500, "x"]
    flexit["order"]["order_object"]["customerNumber"] = "(integer)id"
    flexit["monitoring"]["stuck_order_hours"] = 0

    assert check(flexit_raw) == [
        ("flexit.refurbisher_id", "required key is missing"),
        (
            "flexit.settings.currency",
            "expected a 3-letter ISO 4217 currency code like EUR, got 'euro'",
        ),
        ("flexit.monitoring.stuck_order_hours", "expected a number > 0, got 0"),
        ("flexit.offers.auth.port", "expected an integer, got 'twenty-two'"),
        ("flexit.offers.type", "expected one of 'csv', 'json' or 'xml', got 'tsv'"),
        (
            "flexit.offers.mapping",
            "missing required field(s) sku; map each of sku, stock_available, "
            "price_purchase_amount to a feed column",
        ),
        (
            "flexit.order.auth.type",
            "expected one of 'client_id_secret', 'oauth2_client_credentials', 'basic', "
            "'bearer', 'header', got 'oauth'",
        ),
        ("flexit.order.resend_on[1]", "expected an integer, got 'x'"),
        (
            "flexit.order.order_object.customerNumber",
            "'(integer)id': unknown cast (integer); known casts: (int), (float), (string), (bool)",
        ),
    ]


def test_a_refurbisher_with_errors_is_refused_with_all_of_them_together(
    flexit_env: dict[str, str], flexit_raw: dict[str, Any], write_config: WriteConfig
) -> None:
    flexit_raw["flexit"]["settings"]["default_margin"] = "abc"
    flexit_raw["flexit"]["order"]["lookup"]["endpoint"] = "ftp://nope"
    config = load_config(write_config(flexit_raw), "production")

    with pytest.raises(ConfigErrors) as caught:
        config.refurbisher("flexit")

    assert str(caught.value) == (
        "refurbisher flexit is disabled by 2 configuration error(s) of its own:\n"
        "  - flexit.settings.default_margin: expected a decimal number, got 'abc'\n"
        "  - flexit.order.lookup.endpoint: expected an http(s) URL, got 'ftp://nope'"
    )


def test_bad_template_expression_in_environment_override_is_reported_with_its_key(
    check: Any, flexit_raw: dict[str, Any]
) -> None:
    flexit_raw["flexit"]["environments"]["production"] = {
        "order": {"item_object": {"quantity": "(integer)quantity"}}
    }

    assert check(flexit_raw, "acceptance") == []
    assert check(flexit_raw, "production") == [
        (
            "flexit.order.item_object.quantity",
            "'(integer)quantity': unknown cast (integer); known casts: (int), (float), "
            "(string), (bool)",
        )
    ]


def test_levy_table_must_use_a_mapped_field(
    flexit_env: dict[str, str], flexit_raw: dict[str, Any], write_config: WriteConfig
) -> None:
    levy = {"field": "product_group", "values": {"Laptops": "5.00"}, "default": "3.18"}
    flexit_raw["flexit"]["settings"]["home_copy_tax"] = levy

    assert _errors(check_config(write_config(flexit_raw), "acceptance")) == [
        (
            "flexit.settings.home_copy_tax.field",
            "expected a field of offers.mapping (ean, name, price_consumer_amount, "
            "price_purchase_amount, sku, stock_available), got 'product_group'",
        )
    ]
    flexit_raw["flexit"]["offers"]["mapping"]["product_group"] = "Product Group"
    settings = load_config(write_config(flexit_raw), "acceptance").refurbishers["flexit"].settings
    assert settings.home_copy_tax == LevyTable.model_validate(levy)
    assert isinstance(settings.home_copy_tax, LevyTable)
    assert str(settings.home_copy_tax.values["Laptops"]) == "5.00"


def test_levy_table_errors_name_their_keys(check: Any, flexit_raw: dict[str, Any]) -> None:
    flexit_raw["flexit"]["settings"]["home_copy_tax"] = {"field": "ean", "valeus": {}}

    assert check(flexit_raw) == [
        ("flexit.settings.home_copy_tax.values", "required key is missing"),
        ("flexit.settings.home_copy_tax.default", "required key is missing"),
        (
            "flexit.settings.home_copy_tax.valeus",
            "unknown key 'valeus' — did you mean 'values'? allowed: default, field, values",
        ),
    ]


def test_mapping_accepts_any_identifier_but_not_other_names(
    check: Any, flexit_raw: dict[str, Any]
) -> None:
    flexit_raw["flexit"]["offers"]["mapping"]["product_group"] = "Product Group"
    assert check(flexit_raw) == []

    flexit_raw["flexit"]["offers"]["mapping"]["product group"] = "Product Group"
    assert check(flexit_raw) == [
        (
            "flexit.offers.mapping",
            "canonical field names must be identifiers, got ['product group']",
        )
    ]


def test_refurbisher_without_offers_needs_no_settings_but_offers_do(check: Any) -> None:
    orders_only = {"name": "Shop", "refurbisher_id": 1}
    feed = {
        "connection": "file",
        "auth": {"path": "feed.csv"},
        "mapping": {"sku": "a", "stock_available": "b", "price_purchase_amount": "c"},
    }

    assert check({"shop": orders_only}) == []
    assert check({"shop": {**orders_only, "offers": feed}}) == [
        ("shop.settings", "required key is missing")
    ]


def test_margin_mode_margin_refuses_100_percent(check: Any, flexit_raw: dict[str, Any]) -> None:
    flexit_raw["flexit"]["settings"].update(margin_mode="margin", default_margin="100")

    assert check(flexit_raw) == [
        (
            "flexit.settings",
            "default_margin must be below 100 with margin_mode 'margin' "
            "(selling = cost / (1 - margin/100))",
        )
    ]


def test_check_config_can_restrict_to_one_refurbisher(
    check: Any, flexit_env: dict[str, str], flexit_raw: dict[str, Any], write_config: WriteConfig
) -> None:
    broken = {"name": "Broken", "refurbisher_id": "x"}
    path = write_config({**flexit_raw, "broken": broken})

    assert _errors(check_config(path, "acceptance", "flexit")) == []
    assert _errors(check_config(path, "acceptance", "broken")) == [
        ("broken.refurbisher_id", "expected an integer, got 'x'")
    ]
    assert _errors(check_config(path, "acceptance", "flexi")) == [
        ("flexi", f"no refurbisher 'flexi' in {path}; known: flexit, broken")
    ]


def test_top_level_must_be_an_object(check: Any, write_config: WriteConfig) -> None:
    path = write_config([])  # type: ignore[arg-type]

    assert _errors(check_config(path, "acceptance")) == [
        ("", "expected an object mapping refurbisher key -> refurbisher object")
    ]


def test_shipment_sections_validate(check: Any, flexit_raw: dict[str, Any]) -> None:
    flexit_raw["flexit"]["shipment_webhook"] = {
        "auth": {"type": "hmac_sha256", "secret": "${FLEXIT_CLIENT_SECRET}"},
        "fields": {"carrier": "carrier"},
    }
    flexit_raw["flexit"]["shipment_poll"] = {
        "endpoint": "https://api.flexitdistribution.com/order/api/shipment/{externalOrderReference}",
        "interval_seconds": 10,
        "fields": {"external_reference": "OrderNumber", "tracking_code": "TrackTrace"},
    }

    assert check(flexit_raw) == [
        (
            "flexit.shipment_webhook",
            "fields needs external_reference or order_id to find the order",
        ),
        ("flexit.shipment_poll.interval_seconds", "expected a number >= 60, got 10"),
    ]


def test_bad_assert_rules_are_reported_with_their_key(
    check: Any, flexit_raw: dict[str, Any]
) -> None:
    order = flexit_raw["flexit"]["order"]
    order["response_object"]["asserts"]["status"] = "inn:201"
    order["lookup"]["not_found"]["asserts"]["status"] = "in:404|bogus"

    errors = check(flexit_raw)

    assert [path for path, _ in errors] == [
        "flexit.order.response_object.asserts.status",
        "flexit.order.lookup.not_found.asserts.status",
    ]
    assert errors[0][1].startswith("'inn:201': unknown rule 'inn'; known rules: present, ")
    assert errors[1][1].startswith("'in:404|bogus': unknown rule 'bogus'; known rules: ")


def test_compiled_asserts_hang_on_the_order(flexit_env: dict[str, str]) -> None:
    from .conftest import EXAMPLE

    order = load_config(EXAMPLE, "acceptance").refurbishers["flexit"].order
    assert order is not None and order.lookup is not None

    assert order.asserts.check(201, {"OrderNumber": "SO-1"}) == []
    assert order.asserts.check(201, {"OrderNumber": ""}) != []
    assert order.lookup.found_asserts.check(200, {"OrderNumber": "SO-1"}) == []
    assert order.lookup.not_found_asserts.check(404, {}) == []
    assert order.lookup.not_found_asserts.check(200, {}) != []


def test_bad_response_field_path_is_a_config_error_at_load(
    flexit_env: dict[str, str], flexit_raw: dict[str, Any], write_config: WriteConfig
) -> None:
    flexit_raw["flexit"]["order"]["response_object"]["fields"]["externalOrderReference"] = ""

    with pytest.raises(ConfigErrors) as caught:
        load_config(write_config(flexit_raw), "acceptance").refurbisher("flexit")

    assert [(e.path, e.message) for e in caught.value.errors] == [
        (
            "flexit.order.response_object.fields.externalOrderReference",
            "expected a body path, e.g. 'OrderNumber'",
        )
    ]
