from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from irp.errors import TemplateError
from irp.template.payload_json import encode_payload


def test_decimal_is_written_with_its_exact_digits() -> None:
    payload = {"a": Decimal("249.00"), "b": Decimal("0.10"), "c": Decimal("-0"), "d": 1.5}
    assert encode_payload(payload) == b'{"a":249.00,"b":0.10,"c":-0,"d":1.5}'


def test_keys_keep_insertion_order_and_strings_are_escaped() -> None:
    payload = {"z": 'a"b\\c\n', "a": [None, True, False, 3], "é": "€"}
    assert (
        encode_payload(payload)
        == b'{"z":"a\\"b\\\\c\\n","a":[null,true,false,3],"\\u00e9":"\\u20ac"}'
    )


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"a": Decimal("NaN")}, "$.a: NaN cannot be written as a JSON number"),
        ({"a": [float("inf")]}, "$.a[0]: inf cannot be written as a JSON number"),
        ({1: "x"}, "$: object key 1 is not a string"),
        ({"a": {1, 2}}, "$.a: a set cannot be written as JSON"),
    ],
)
def test_unencodable_values_are_errors(payload: object, message: str) -> None:
    with pytest.raises(TemplateError) as caught:
        encode_payload(payload)
    assert str(caught.value) == message


_json = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.text(),
        st.decimals(allow_nan=False, allow_infinity=False),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(_json)
def test_encoded_payload_parses_back_to_the_same_value(value: object) -> None:
    assert json.loads(encode_payload(value), parse_float=Decimal) == value
