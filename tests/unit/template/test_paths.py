"""Dotted paths: list indexes as PHP reads them, config-time refusals, and fuzzing."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from irp.errors import ConfigErrors, TemplateError
from irp.template.asserts import compile_asserts, extract_fields, validate_fields
from irp.template.parser import parse_expression
from irp.template.paths import MISSING, list_index, parse_body_path, resolve_path


@pytest.mark.parametrize(
    ("segment", "index"),
    [("0", 0), ("7", 7), ("12", 12), ("00", None), ("07", None), ("²", None), ("٣", None),
     ("-1", None), ("+1", None), (" 1", None), ("1 ", None), ("", None), ("1e2", None)],
)  # fmt: skip
def test_a_list_index_is_ascii_digits_without_a_leading_zero(
    segment: str, index: int | None
) -> None:
    assert list_index(segment) == index


@pytest.mark.parametrize("segment", ["²", "٣", "00", "01", "-1", "1.0"])
def test_a_segment_that_is_not_a_list_index_misses_on_a_list_and_never_raises(
    segment: str,
) -> None:
    """`l.²` used to raise ValueError on every answer; `l.٣` read element 3, `l.00`
    element 0. Laravel treats all of them as missing keys of the list."""
    data = {"l": ["a", "b", "c", "d"]}
    assert resolve_path(data, ("l", segment)) is MISSING


def test_such_a_segment_is_still_a_key_of_an_object() -> None:
    data = {"o": {"00": "zero-zero", "٣": "three", "0": "zero"}}
    assert resolve_path(data, ("o", "00")) == "zero-zero"
    assert resolve_path(data, ("o", "٣")) == "three"
    assert resolve_path(data, ("o", "0")) == "zero"


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("l.²", "'²' is not a list index: write it with the ASCII digits 0-9"),
        ("l.٣", "'٣' is not a list index: write it with the ASCII digits 0-9"),
        ("l.00", "'00' is not a list index: write '0' without leading zeros"),
        ("lines.01.sku", "'01' is not a list index: write '1' without leading zeros"),
        (
            "lines.*.sku",
            "'*': '*' wildcards are not supported; name each list index (lines.0.sku, lines.1.sku)",
        ),
    ],
)
def test_config_load_refuses_a_path_part_that_could_never_index_a_list(
    key: str, problem: str
) -> None:
    with pytest.raises(ConfigErrors) as caught:
        compile_asserts({key: "present"}, path="f.asserts")
    assert [str(e) for e in caught.value.errors] == [
        f"f.asserts.{key}: bad path {key!r}: {problem}"
    ]
    with pytest.raises(ConfigErrors) as caught:
        validate_fields({"ref": key}, path="f.fields")
    assert [str(e) for e in caught.value.errors] == [f"f.fields.ref: bad path {key!r}: {problem}"]


def test_parse_body_path_splits_escapes_and_strips_the_body_prefix() -> None:
    assert parse_body_path("body") == ()
    assert parse_body_path("body.status") == ("status",)
    assert parse_body_path("data.lines.10.sku") == ("data", "lines", "10", "sku")
    assert parse_body_path("meta.order\\.id") == ("meta", "order.id")
    assert parse_body_path("a\\\\.b") == ("a\\", "b")


# --- fuzzing: nothing but the documented error, whatever the input -----------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=10,
)
_digits = st.sampled_from(["0", "1", "2", "00", "01", "²", "٣", "-1", "10", "९"])
_segment = st.one_of(_digits, st.text(max_size=4))


@settings(max_examples=300)
@given(_json, st.lists(_segment, max_size=5))
def test_resolve_path_never_raises(data: object, segments: list[str]) -> None:
    found = resolve_path(data, segments)
    if segments == []:
        assert found is data


@settings(max_examples=300)
@given(st.lists(st.text(min_size=1, max_size=3), min_size=1, max_size=4), st.data())
def test_an_index_path_reaches_the_element_it_names(items: list[str], data: st.DataObject) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(items) - 1))
    assert resolve_path({"l": items}, ("l", str(index))) == items[index]
    assert resolve_path({"l": items}, ("l", f"0{index}")) is MISSING
    assert resolve_path({"l": items}, ("l", str(len(items)))) is MISSING


@settings(max_examples=500)
@given(st.text(alphabet=st.sampled_from("ab.\\*0²٣ -"), max_size=12) | st.text(max_size=12))
def test_body_paths_parse_or_raise_value_error_only(text: str) -> None:
    try:
        segments = parse_body_path(text)
    except ValueError:
        return
    for segment in segments:
        assert segment
        if segment.isdigit():
            assert list_index(segment) is not None


@settings(max_examples=300)
@given(st.text(max_size=12), st.text(max_size=20), _json)
def test_asserts_compile_or_raise_config_errors_and_check_never_raises(
    key: str, rules: str, body: object
) -> None:
    try:
        compiled = compile_asserts({key: rules}, path="fuzz")
    except ConfigErrors:
        return
    assert isinstance(compiled.check(201, body), list)
    assert isinstance(extract_fields({"x": key}, body), dict)


@settings(max_examples=500)
@given(st.text(alphabet=st.sampled_from("()!.->%aI1²٣ _"), max_size=16) | st.text(max_size=16))
def test_template_expressions_parse_or_raise_template_error_only(expression: str) -> None:
    with contextlib.suppress(TemplateError):
        parse_expression(expression)
