"""``default_margin`` is a percentage: a fraction like "0.20" is caught (issue 11 item 3)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from irp.config import check_config, load_config

from .conftest import WriteConfig


@pytest.mark.parametrize(
    ("written", "shown", "meant"),
    [("0.20", "0.20", "20"), (Decimal("0.175"), "0.175", "17.5"), ("0.05", "0.05", "5")],
)
def test_a_margin_below_1_is_an_error_that_suggests_the_percentage(
    flexit_env: dict[str, str],
    flexit_raw: dict[str, Any],
    write_config: WriteConfig,
    written: object,
    shown: str,
    meant: str,
) -> None:
    flexit_raw["flexit"]["settings"]["default_margin"] = written

    errors = check_config(write_config(flexit_raw), "acceptance")

    assert [(e.path, e.message) for e in errors] == [
        (
            "flexit.settings.default_margin",
            f"default_margin is a percentage: 17 means 17%; got {shown} — did you mean "
            f"{meant}? (if {shown}% is meant, set allow_margin_below_1: true)",
        )
    ]


def test_allow_margin_below_1_keeps_a_small_margin(
    flexit_env: dict[str, str], flexit_raw: dict[str, Any], write_config: WriteConfig
) -> None:
    settings = flexit_raw["flexit"]["settings"]
    settings["default_margin"] = "0.20"
    settings["allow_margin_below_1"] = True

    config = load_config(write_config(flexit_raw), "acceptance")

    assert config.broken == {}
    assert config.refurbisher("flexit").settings.default_margin == Decimal("0.20")


@pytest.mark.parametrize("margin", ["0", "1", "17", "99.5"])
def test_zero_and_margins_of_1_or_more_are_accepted(
    flexit_env: dict[str, str], flexit_raw: dict[str, Any], write_config: WriteConfig, margin: str
) -> None:
    flexit_raw["flexit"]["settings"]["default_margin"] = margin

    assert check_config(write_config(flexit_raw), "acceptance") == []
