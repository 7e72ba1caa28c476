from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from irp.errors import ConfigErrors, TemplateError
from irp.template.paths import MISSING, resolve_path
from irp.template.payload import ORDER_CONTEXT_PATHS, compile_template
from irp.template.payload_json import encode_payload
from tests.unit.orders.flexit_example import (
    EXPECTED_FLEXIT_PAYLOAD,
    FLEXIT_ITEM_OBJECT,
    FLEXIT_ORDER_OBJECT,
    example_context,
)

EXPECTED_FLEXIT_BYTES = (
    b'{"customerNumber":218535,"yourReference":"IU-100234","externalDocumentNumber":"5001",'
    b'"currencyCode":"EUR","shipping":{"isBlindShip":true,"contact":{"name":"Jan Jansen",'
    b'"email":"no-reply@iused.nl","phoneNumber":"0612345678"},"address":{"postalCode":"1012 AB",'
    b'"name":"Jan Jansen","countryCode":"NL","city":"Amsterdam","addressLine1":"Damrak 1"}},'
    b'"lines":[{"sku":"FLX-1001","quantity":1,"unitPrice":249.00}]}'
)


def flexit() -> Any:
    return compile_template(FLEXIT_ORDER_OBJECT, FLEXIT_ITEM_OBJECT, path="flexit.order")


def config_messages(order_object: dict[str, str], item_object: dict[str, str] | None) -> list[str]:
    with pytest.raises(ConfigErrors) as caught:
        compile_template(order_object, item_object, path="flexit.order")
    return [str(error) for error in caught.value.errors]


def test_flexit_template_renders_the_payload_flexit_expects() -> None:
    payload = flexit().render(example_context())

    assert payload == EXPECTED_FLEXIT_PAYLOAD
    assert type(payload["customerNumber"]) is int
    assert payload["shipping"]["isBlindShip"] is True
    assert encode_payload(payload) == EXPECTED_FLEXIT_BYTES


def test_flexit_unit_price_is_rounded_half_up_to_cents_on_the_wire() -> None:
    payload = flexit().render(example_context(price=Decimal("12.345")))

    assert payload["lines"][0]["unitPrice"] == Decimal("12.35")
    assert b'"unitPrice":12.35}' in encode_payload(payload)


@pytest.mark.parametrize("country", ["NL", "nl", "NLD", "Netherlands", "netherlands"])
def test_country_name_and_codes_become_alpha2(country: str) -> None:
    payload = flexit().render(example_context(country=country))

    assert payload["shipping"]["address"]["countryCode"] == "NL"


def test_unknown_country_names_output_key_and_path() -> None:
    with pytest.raises(TemplateError) as caught:
        flexit().render(example_context(country="Atlantis"))

    assert str(caught.value) == (
        "shipping.address.countryCode: orderShippingAddress.country 'Atlantis' "
        "is not a known country"
    )


def test_render_reports_every_bad_key_including_item_lines() -> None:
    context = example_context(country="Atlantis")
    del context["order"]["order_number"]
    context["items"][0]["unit_price_tax_excl"] = "12,5"

    with pytest.raises(TemplateError) as caught:
        flexit().render(context)

    assert str(caught.value).split("; ") == [
        "yourReference: order.order_number is missing from the order",
        "shipping.address.countryCode: orderShippingAddress.country 'Atlantis' "
        "is not a known country",
        "lines[0].unitPrice: unit_price_tax_excl '12,5' is not a number: (float) takes "
        "digits with an optional '.' decimal point, e.g. '249.00'",
    ]


def test_failed_cast_names_cast_and_filtered_source() -> None:
    template = compile_template({"n": "(int)orderShippingAddress.zipcode->trim"}, None, path="p")

    with pytest.raises(TemplateError) as caught:
        template.render(example_context())

    assert str(caught.value) == (
        "n: (int)orderShippingAddress.zipcode->trim '1012 AB' is not an integer: "
        "(int) takes digits only, e.g. '12'"
    )


def test_null_value_is_written_as_null_but_refused_by_filters_and_casts() -> None:
    template = compile_template(
        {"raw": "orderShippingAddress.city", "up": "orderShippingAddress.city->upper"},
        None,
        path="p",
    )
    context = example_context()
    context["orderShippingAddress"]["city"] = None

    with pytest.raises(TemplateError) as caught:
        template.render(context)
    assert str(caught.value) == "up: orderShippingAddress.city is null; ->upper needs a value"

    plain = compile_template({"raw": "orderShippingAddress.city"}, None, path="p")
    assert plain.render(context) == {"raw": None}


def test_item_object_can_read_order_fields() -> None:
    template = compile_template(
        {"lines": "%ITEMS%"},
        {"ref": "order.order_number", "ean": "productVariant.refurbisherOffer.ean"},
        path="p",
    )

    assert template.render(example_context()) == {
        "lines": [{"ref": "IU-100234", "ean": "8712345678906"}]
    }


def test_items_render_once_per_line_in_order() -> None:
    context = example_context()
    second = json.loads(json.dumps(context["items"][0], default=str))
    second["productVariant"]["refurbisherOffer"]["sku"] = "FLX-2002"
    second["quantity"] = 3
    context["items"].append(second)

    payload = flexit().render(context)

    assert [(line["sku"], line["quantity"]) for line in payload["lines"]] == [
        ("FLX-1001", 1),
        ("FLX-2002", 3),
    ]


def test_literal_constants_are_verbatim_and_cast_at_compile_time() -> None:
    template = compile_template(
        {
            "a": "!no-reply@iused.nl",
            "b": "!(int)-7",
            "c": "!(bool)FALSE",
            "d": "!(float)249.00",
            "e": "!(020) 555 1234",
            "f": "!(string)(x) y",
            "g": "! spaced ",
            "h": "!",
        },
        None,
        path="p",
    )

    assert template.render({}) == {
        "a": "no-reply@iused.nl",
        "b": -7,
        "c": False,
        "d": Decimal("249.00"),
        "e": "(020) 555 1234",
        "f": "(x) y",
        "g": " spaced ",
        "h": "",
    }


def test_every_compile_error_is_reported_with_its_key_path() -> None:
    messages = config_messages(
        {
            "a": "(integer)id",
            "b": "id->foo",
            "c": "EUR",
            "d": "(int)",
            "e": "->upper",
            "f": "order..order_number",
            "g": "!(foo)x",
            "h": "!(int)12,5",
            "i": "",
            "j": "%LINES%",
            "k": "id @",
        },
        None,
    )

    assert messages == [
        "flexit.order.order_object.a: '(integer)id': unknown cast (integer); "
        "known casts: (int), (float), (string), (bool)",
        "flexit.order.order_object.b: 'id->foo': unknown filter 'foo'; known filters: "
        "getIsoAlpha2, getIsoAlpha3, formatByDecimal, upper, lower, trim, digits, removeSpaces",
        "flexit.order.order_object.c: 'EUR': 'EUR' is not in the order context; known paths: "
        "id, order.order_number, orderShippingAddress.full_name, "
        "orderShippingAddress.full_address, orderShippingAddress.zipcode, "
        "orderShippingAddress.city, orderShippingAddress.country. For a constant, write '!EUR'",
        "flexit.order.order_object.d: '(int)': empty path: the cast (int) has no path after it",
        "flexit.order.order_object.e: '->upper': empty path: expected a context path at "
        "column 1, found '->'",
        "flexit.order.order_object.f: 'order..order_number': empty path segment after '.' "
        "at column 6",
        "flexit.order.order_object.g: '!(foo)x': unknown cast (foo) in a constant; known casts: "
        "(int), (float), (string), (bool). For a constant that starts with '(', "
        "write '!(string)(foo)x'",
        "flexit.order.order_object.h: '!(int)12,5': (int) '12,5' is not an integer: "
        "(int) takes digits only, e.g. '12'",
        "flexit.order.order_object.i: '': empty expression: write a context path, "
        "!constant or %ITEMS%",
        "flexit.order.order_object.j: '%LINES%': unknown placeholder; the only one is %ITEMS%",
        "flexit.order.order_object.k: 'id @': unexpected character '@' at column 4",
    ]


def test_items_placeholder_rules_are_enforced_at_compile_time() -> None:
    assert config_messages({"lines": "%ITEMS%"}, None) == [
        "flexit.order.order_object.lines: '%ITEMS%': %ITEMS% needs an item_object; none is set"
    ]
    assert config_messages({"lines": "%ITEMS%"}, {"sub": "%ITEMS%"}) == [
        "flexit.order.item_object.sub: '%ITEMS%': %ITEMS% cannot be used inside item_object"
    ]
    assert config_messages({"id": "id"}, {"sku": "productVariant.refurbisherOffer.sku"}) == [
        "flexit.order.item_object: item_object is set but no order_object value is %ITEMS%; "
        'add e.g. "lines": "%ITEMS%"'
    ]


def test_item_paths_are_unknown_in_order_object() -> None:
    messages = config_messages({"q": "quantity"}, None)

    assert len(messages) == 1
    assert messages[0].startswith(
        "flexit.order.order_object.q: 'quantity': 'quantity' is not in the order context"
    )


def test_key_that_is_both_value_and_parent_names_both_keys() -> None:
    assert config_messages({"a": "id", "a.b": "id"}, None) == [
        "flexit.order.order_object.a.b: output keys 'a' and 'a.b' conflict: 'a' cannot be "
        "both a value and an object; rename one of them"
    ]
    assert config_messages({"a.b.c": "id", "a.b": "id"}, None) == [
        "flexit.order.order_object.a.b: output keys 'a.b.c' and 'a.b' conflict: 'a.b' cannot "
        "be both a value and an object; rename one of them"
    ]
    assert config_messages({"a..b": "id"}, None) == [
        "flexit.order.order_object.a..b: output key 'a..b' has an empty part between dots"
    ]


def test_whitespace_between_tokens_is_allowed() -> None:
    template = compile_template(
        {"c": " ( string ) orderShippingAddress . country -> getIsoAlpha3 -> lower "},
        None,
        path="p",
    )

    assert template.render(example_context()) == {"c": "nld"}


# --- properties --------------------------------------------------------------------------

_segment = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)
_key_paths = st.lists(st.lists(_segment, min_size=1, max_size=4), min_size=1, max_size=8)


def _is_prefix(short: list[str], long: list[str]) -> bool:
    return len(short) < len(long) and long[: len(short)] == short


@given(_key_paths)
def test_dotted_keys_nest_or_conflict(paths: list[list[str]]) -> None:
    """Dotted output keys become nested objects; a value/parent clash is always caught."""
    keys = list(dict.fromkeys(".".join(p) for p in paths))
    unique = [k.split(".") for k in keys]
    clash = any(_is_prefix(a, b) for a in unique for b in unique)
    spec = {key: f"!{key}" for key in keys}

    if clash:
        with pytest.raises(ConfigErrors) as caught:
            compile_template(spec, None, path="p")
        assert all("conflict" in e.message for e in caught.value.errors)
        return

    payload = compile_template(spec, None, path="p").render({})
    for key in keys:
        node: Any = payload
        for part in key.split("."):
            node = node[part]
        assert node == key


_leaf = st.one_of(st.text(max_size=5), st.integers(), st.none(), st.booleans())
_nested = st.recursive(
    st.dictionaries(_segment, _leaf, max_size=3),
    lambda inner: st.dictionaries(_segment, inner, min_size=1, max_size=3),
    max_leaves=12,
)


def _leaf_paths(data: Any, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    found = []
    for key, value in data.items():
        if isinstance(value, dict):
            found.extend(_leaf_paths(value, (*prefix, key)))
        else:
            found.append(((*prefix, key), value))
    return found


@given(_nested, st.data())
def test_paths_resolve_to_their_value_and_missing_paths_are_missing(
    data_tree: dict[str, Any], data: st.DataObject
) -> None:
    """Any leaf of random nested data is reached by its dotted path; one more step is not."""
    leaves = _leaf_paths(data_tree)
    for path, value in leaves:
        assert resolve_path(data_tree, path) == value
    if leaves:
        path, value = data.draw(st.sampled_from(leaves))
        assert resolve_path(data_tree, (*path, "zz")) is MISSING
    assert resolve_path(data_tree, ("not_a_key_" * 3,)) is MISSING


@given(
    st.fixed_dictionaries({path: st.text(max_size=6) for path in ORDER_CONTEXT_PATHS}),
    st.sampled_from(ORDER_CONTEXT_PATHS),
)
def test_every_context_path_renders_its_value_or_names_itself_when_missing(
    values: dict[str, str], missing: str
) -> None:
    context: dict[str, Any] = {}
    for path, value in values.items():
        *parents, leaf = path.split(".")
        node = context
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = value
    spec = {f"out.{n}": path for n, path in enumerate(ORDER_CONTEXT_PATHS)}
    template = compile_template(spec, None, path="p")

    rendered = template.render(context)
    assert rendered == {"out": {str(n): values[p] for n, p in enumerate(ORDER_CONTEXT_PATHS)}}

    *parents, leaf = missing.split(".")
    node = context
    for parent in parents:
        node = node[parent]
    del node[leaf]
    with pytest.raises(TemplateError) as caught:
        template.render(context)
    position = ORDER_CONTEXT_PATHS.index(missing)
    assert str(caught.value) == f"out.{position}: {missing} is missing from the order"
