"""The vectorized GTIN check equals python-stdnum's."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import ean

from irp.feeds.ean import ean_problem, is_valid_ean


def valid(values: list[str]) -> list[bool]:
    return pl.DataFrame({"e": values}).select(is_valid_ean(pl.col("e")))["e"].to_list()


def test_known_examples() -> None:
    assert valid(
        [
            "8712345678906",
            "00012345600012",
            "12345670",
            "036000291452",
            "123",
            "8712345678907",
            "87123456789O6",
        ]
    ) == [
        True,
        True,
        True,
        True,
        False,
        False,
        False,
    ]


def test_problems_say_why() -> None:
    frame = pl.DataFrame({"e": ["8712345678906", "8712345678907", "12 34", None]})
    assert frame.select(ean_problem(pl.col("e")).alias("p"))["p"].to_list() == [
        None,
        "invalid EAN/GTIN (wrong check digit)",
        "invalid EAN/GTIN (must be 8, 12, 13 or 14 digits)",
        None,
    ]


digit_strings = st.text(alphabet="0123456789", min_size=0, max_size=16)


@settings(max_examples=500, deadline=None)
@given(
    values=st.lists(
        digit_strings | st.text(alphabet="0123456789x+", max_size=14), min_size=1, max_size=50
    )
)
def test_equals_stdnum(values: list[str]) -> None:
    assert valid(values) == [ean.is_valid(v) for v in values]


@settings(max_examples=200, deadline=None)
@given(body=st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_every_correct_check_digit_is_accepted(body: str) -> None:
    number = body + ean.calc_check_digit(body)
    assert valid([number]) == [True]
