from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from irp.errors import TemplateError
from irp.template.casts import to_bool, to_decimal, to_int, to_string
from irp.template.payload_json import encode_payload


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (12, 12),
        ("12", 12),
        ("-3", -3),
        ("+7", 7),
        ("007", 7),
        (Decimal("12"), 12),
        (Decimal("12.0"), 12),
        (12.0, 12),
    ],
)
def test_int_accepts_whole_numbers(value: object, expected: int) -> None:
    assert to_int(value) == expected
    assert type(to_int(value)) is int


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("12,5", "'12,5' is not an integer: (int) takes digits only, e.g. '12'"),
        ("12.5", "'12.5' is not an integer: (int) takes digits only, e.g. '12'"),
        ("12.0", "'12.0' is not an integer: (int) takes digits only, e.g. '12'"),
        ("abc", "'abc' is not an integer: (int) takes digits only, e.g. '12'"),
        ("", "'' is not an integer: (int) takes digits only, e.g. '12'"),
        (" 12", "' 12' is not an integer: (int) takes digits only, e.g. '12'"),
        (Decimal("12.5"), "12.5 is not a whole number; (int) never rounds"),
        (True, "true is a boolean, not an integer"),
        (None, "null cannot be cast to int"),
        (float("nan"), "nan is not a finite number"),
    ],
)
def test_int_refuses_anything_it_would_have_to_guess(value: object, message: str) -> None:
    with pytest.raises(TemplateError) as caught:
        to_int(value)
    assert str(caught.value) == message


@given(st.integers())
def test_int_round_trips_digit_strings(number: int) -> None:
    assert to_int(str(number)) == number


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        (1, True),
        (0, False),
        ("true", True),
        ("FALSE", False),
        ("Yes", True),
        ("no", False),
        ("1", True),
        ("0", False),
        (Decimal("1"), True),
    ],
)
def test_bool_accepts_the_documented_set(value: object, expected: bool) -> None:
    assert to_bool(value) is expected


_BOOL_WORDS = {"true", "false", "1", "0", "yes", "no"}


@given(st.one_of(st.text(max_size=6), st.integers(), st.none(), st.lists(st.integers())))
def test_bool_refuses_everything_outside_the_set(value: object) -> None:
    accepted = (isinstance(value, str) and value.lower() in _BOOL_WORDS) or (
        isinstance(value, int) and value in (0, 1)
    )
    if accepted:
        assert to_bool(value) is (str(value).lower() in {"true", "1", "yes"})
    else:
        with pytest.raises(TemplateError, match="is not a boolean"):
            to_bool(value)


def test_bool_of_the_string_false_is_false() -> None:
    assert to_bool("false") is False


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("249.00", "249.00"),
        ("249", "249"),
        (Decimal("0.10"), "0.10"),
        (5, "5"),
        (0.1, "0.1"),
        ("-1.5", "-1.5"),
    ],
)
def test_float_gives_an_exact_decimal(value: object, expected: str) -> None:
    result = to_decimal(value)
    assert isinstance(result, Decimal)
    assert str(result) == expected


@pytest.mark.parametrize("value", ["12,5", "1.234,56", "abc", "", "1e3", ".5", True, None])
def test_float_refuses_non_numbers(value: object) -> None:
    with pytest.raises(TemplateError):
        to_decimal(value)


_money = st.decimals(
    allow_nan=False, allow_infinity=False, places=2, min_value=-(10**9), max_value=10**9
)


@given(st.one_of(_money, st.decimals(allow_nan=False, allow_infinity=False)))
def test_float_keeps_decimal_digits_exactly_on_the_wire(amount: Decimal) -> None:
    encoded = encode_payload({"p": to_decimal(amount)})
    decoded = json.loads(encoded, parse_float=Decimal)["p"]
    assert decoded == amount
    assert encoded == b'{"p":' + str(amount).encode() + b"}"


@given(_money)
def test_float_of_money_text_writes_the_same_digits(amount: Decimal) -> None:
    text = format(amount, "f")
    assert encode_payload(to_decimal(text)) == text.encode()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("x", "x"),
        (Decimal("249.00"), "249.00"),
        (Decimal("1E+3"), "1000"),
        (True, "true"),
        (False, "false"),
        (5001, "5001"),
        (0.5, "0.5"),
    ],
)
def test_string_cast(value: object, expected: str) -> None:
    assert to_string(value) == expected


@pytest.mark.parametrize("value", [None, [1], {"a": 1}])
def test_string_refuses_null_and_containers(value: object) -> None:
    with pytest.raises(TemplateError, match="cannot be cast to string"):
        to_string(value)
