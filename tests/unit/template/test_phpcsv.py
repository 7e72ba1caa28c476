"""in: lists are split as PHP's str_getcsv splits them (checked against PHP itself in
test_laravel_differential.py; these name the behaviours)."""

from __future__ import annotations

import pytest

from irp.template.phpcsv import str_getcsv


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("a,b", ["a", "b"]),
        ("201", ["201"]),
        ('"a,b",c', ["a,b", "c"]),
        ('"a\\",b"', ['a\\",b']),  # the backslash keeps the quote open and stays
        ('a\\",b', ['a\\"', "b"]),  # outside quotes a backslash is text
        ('"a""b"', ['a"b']),
        ('"a"b,c', ["ab", "c"]),  # text after the closing quote is kept
        (' "a" ,b', ["a ", "b"]),  # spaces before a quote go, after it they stay
        (" a , b ", [" a ", " b "]),
        ("a,b,", ["a", "b", ""]),
        ("a\n", ["a"]),
        ("a\r,b", ["a", "b"]),
        ("", [None]),
        ("\r\n", [None]),
    ],
)
def test_str_getcsv_reads_as_php_does(text: str, fields: list[str | None]) -> None:
    assert str_getcsv(text) == fields


@pytest.mark.parametrize(("text", "column"), [('"a', 1), ('a,"b', 3), ('"', 1), ('"a\\"', 1)])
def test_a_quote_that_is_never_closed_is_refused(text: str, column: int) -> None:
    with pytest.raises(ValueError) as caught:
        str_getcsv(text)
    assert str(caught.value) == f"the quote at column {column} is never closed"
