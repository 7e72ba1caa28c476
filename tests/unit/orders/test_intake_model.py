"""The inbound order model: shapes, countries, exact money, document parsing."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from irp.errors import OrderError
from irp.orders.intake import content_hash, load_order_document, parse_inbound
from irp.sandbox.flexit import example_inbound_order


def _order(**changes: Any) -> dict[str, Any]:
    return example_inbound_order(**changes)


def _with_country(country: object) -> dict[str, Any]:
    order = _order()
    order["shipping_address"] = {**order["shipping_address"], "country": country}
    return order


def _with_item(**item: Any) -> dict[str, Any]:
    return _order(items=[{"sku": "FLX-1001", "quantity": 1, "unit_price_tax_excl": "1", **item}])


@pytest.mark.parametrize("country", ["NL", "nl", "NLD", "Netherlands", " Netherlands "])
def test_country_as_name_alpha2_or_alpha3_is_stored_as_alpha2(country: str) -> None:
    assert parse_inbound(_with_country(country)).shipping_address.country == "NL"


def test_unknown_country_is_refused_naming_the_value() -> None:
    with pytest.raises(OrderError) as caught:
        parse_inbound(_with_country("Narnia"))
    assert str(caught.value) == (
        "5001: shipping_address.country: 'Narnia' is not a known country; give a name, "
        "alpha-2 or alpha-3 code (e.g. Netherlands, NL, NLD)"
    )


def test_quantity_zero_is_refused() -> None:
    with pytest.raises(OrderError) as caught:
        parse_inbound(_with_item(quantity=0))
    assert str(caught.value) == "5001: items[0].quantity: Input should be greater than 0"


def test_quantity_as_string_is_refused() -> None:
    with pytest.raises(OrderError, match=r"^5001: items\[0\]\.quantity: Input should be a valid"):
        parse_inbound(_with_item(quantity="1"))


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("249.10", "249.10"),
        ("249.1", "249.10"),
        (Decimal("249.10"), "249.10"),
        (249, "249.00"),
        ("0.125", "0.125"),
        ("0.1250", "0.125"),
        ("1234567.89", "1234567.89"),
    ],
)
def test_money_is_parsed_exactly(given: object, kept: str) -> None:
    amount = parse_inbound(_with_item(unit_price_tax_excl=given)).items[0].unit_price_tax_excl
    assert isinstance(amount, Decimal)
    assert str(amount) == kept


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        (249.1, '249.1 is a binary float; send the amount as a string such as "249.00"'),
        ("12,50", "'12,50' is not a decimal amount such as \"249.00\""),
        ("-1", "-1 is negative"),
        ("1.00001", "1.00001 has more than 4 decimals"),
        ("NaN", "'NaN' is not a decimal amount such as \"249.00\""),
        (True, 'expected a decimal amount such as "249.00", got True'),
    ],
)
def test_bad_money_is_refused(given: object, problem: str) -> None:
    with pytest.raises(OrderError) as caught:
        parse_inbound(_with_item(unit_price_tax_excl=given))
    assert str(caught.value) == f"5001: items[0].unit_price_tax_excl: {problem}"


def test_integer_id_becomes_a_string_and_hashes_like_the_string() -> None:
    as_int = parse_inbound(_order(id=5001))
    assert as_int.id == "5001"
    assert content_hash(as_int.normalised("EUR")) == content_hash(
        parse_inbound(_order()).normalised("EUR")
    )


def test_unknown_and_missing_keys_are_refused_together() -> None:
    order = _order(note="leave at door")
    del order["order_number"]
    with pytest.raises(OrderError) as caught:
        parse_inbound(order)
    assert str(caught.value) == (
        "5001: order_number: Field required; note: unknown key (not part of an inbound order)"
    )


def test_order_without_id_is_labelled_by_position() -> None:
    order = _order()
    del order["id"]
    with pytest.raises(OrderError) as caught:
        parse_inbound(order, index=2)
    assert str(caught.value) == "order #3: id: Field required"


def test_order_without_items_is_refused() -> None:
    with pytest.raises(OrderError) as caught:
        parse_inbound(_order(items=[]))
    assert str(caught.value) == (
        "5001: items: List should have at least 1 item after validation, not 0"
    )


def test_document_keeps_decimal_digits_and_takes_object_or_list() -> None:
    single = load_order_document(b'{"id": "1", "p": 249.10}', source="o.json")
    assert single == [{"id": "1", "p": Decimal("249.10")}]
    assert str(single[0]["p"]) == "249.10"  # type: ignore[index]
    assert load_order_document(b"\xef\xbb\xbf[{}, {}]", source="o.json") == [{}, {}]


def test_document_that_is_not_json_names_file_line_and_column() -> None:
    with pytest.raises(OrderError) as caught:
        load_order_document(b'[\n  {"id": "1",}\n]', source="orders.json")
    assert str(caught.value) == (
        "orders.json line 2, column 14: not valid JSON: Expecting property name enclosed "
        "in double quotes"
    )


def test_document_of_a_scalar_is_refused() -> None:
    with pytest.raises(OrderError) as caught:
        load_order_document(b"42", source="orders.json")
    assert str(caught.value) == "orders.json: expected an order object or a list of orders"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b'{"id": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested more than 64 levels deep"),
        (b'{"id": "5001", "items": [{"quantity": NaN}]}', "NaN is not a JSON number"),
        (b'[{"id": Infinity}]', "Infinity is not a JSON number"),
        (b'{"id": ' + b"9" * 5000 + b"}", "a number has more than 4300 digits"),
    ],
    ids=["deep", "nan", "infinity", "digits"],
)
def test_document_json_no_order_needs_is_refused_saying_why(data: bytes, problem: str) -> None:
    # Before, the deep document raised RecursionError out of `irp orders add`.
    with pytest.raises(OrderError) as caught:
        load_order_document(data, source="orders.json")
    assert str(caught.value) == f"orders.json: not an order document: {problem}"


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and Infinity included: json.dumps writes them
    | st.decimals(allow_nan=False).map(str)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=15,
)
PATHS = [
    (),
    ("id",),
    ("refurbisher",),
    ("order_number",),
    ("currency",),
    ("shipping_address",),
    ("shipping_address", "country"),
    ("shipping_address", "zipcode"),
    ("items",),
    ("items", 0),
    ("items", 0, "sku"),
    ("items", 0, "quantity"),
    ("items", 0, "unit_price_tax_excl"),
    ("unknown",),
]


def _damaged(path: tuple[str | int, ...], value: object) -> object:
    if not path:
        return value
    order: Any = _order()
    target = order
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return order


@given(
    document=st.one_of(
        st.builds(_damaged, st.sampled_from(PATHS), JSON_VALUES).map(
            lambda doc: json.dumps(doc).encode()
        ),
        st.binary(max_size=200),
        st.integers(min_value=1, max_value=5000).map(lambda n: b"[" * n + b"]" * n),
    )
)
def test_any_document_is_read_or_refused_with_an_order_error(document: bytes) -> None:
    try:
        raws = load_order_document(document, source="orders.json")
    except OrderError as exc:
        assert str(exc).startswith("orders.json")
        return
    for index, raw in enumerate(raws):
        try:
            parse_inbound(raw, index)
        except OrderError as exc:
            assert str(exc)
