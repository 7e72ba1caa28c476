"""Reading JSON from outside: depth bounded, NaN and Infinity refused, exact numbers kept."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from irp.strictjson import MAX_DEPTH, JsonRefused, loads


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": NaN}', "NaN is not a JSON number"),
        ("[Infinity]", "Infinity is not a JSON number"),
        ("-Infinity", "-Infinity is not a JSON number"),
        ("1e400", "the number 1e400 is too large"),
        ("[" * 100_000 + "]" * 100_000, f"nested more than {MAX_DEPTH} levels deep"),
        (
            "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
            f"nested more than {MAX_DEPTH} levels deep",
        ),
        ("1" * 5000, "a number has more than 4300 digits"),
    ],
    ids=["nan", "infinity", "minus_infinity", "overflow", "recursion", "depth", "digits"],
)
def test_refused_json_says_why(text: str, message: str) -> None:
    with pytest.raises(JsonRefused) as refused:
        loads(text)
    assert str(refused.value) == message
    assert isinstance(refused.value, ValueError)  # callers catching "not JSON" still do


def test_depth_at_the_limit_is_read() -> None:
    text = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert loads(text) == json.loads(text)


def test_numbers_can_stay_exact() -> None:
    assert loads('{"p": 249.10, "big": 1e400}', parse_float=Decimal) == {
        "p": Decimal("249.10"),
        "big": Decimal("1e400"),
    }


def test_syntax_errors_keep_their_line_and_column() -> None:
    with pytest.raises(json.JSONDecodeError) as broken:
        loads('{"a":\n }')
    assert (broken.value.lineno, broken.value.colno) == (2, 2)


@given(st.text(max_size=200) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_anything_is_read_or_refused_with_a_value_error(text: str) -> None:
    try:
        value = loads(text)
    except ValueError:  # JSONDecodeError or JsonRefused; never RecursionError or others
        return
    assert loads(json.dumps(value)) == value
