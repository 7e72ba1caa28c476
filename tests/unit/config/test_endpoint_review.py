"""Outside production, order endpoints must be chosen for the environment (SPEC §1).

A refurbisher without an ``environments.<env>`` block sends to its only endpoint,
production's; unless ``"environment_endpoints_reviewed": true`` says that is right,
its orders are refused (``order_endpoint_refusal``) and ``config check`` warns.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from typer.testing import CliRunner

from irp.cli.app import app
from irp.config import load_config

from .conftest import WriteConfig

REFUSAL = (
    "flexit has no environments.acceptance block, so in acceptance its orders would go to "
    "the endpoint it uses in production (api.flexitdistribution.com); add "
    "environments.acceptance with flexit's acceptance endpoints (order.endpoint, "
    'order.lookup.endpoint), or set "environment_endpoints_reviewed": true on flexit if '
    "its endpoints are right for acceptance"
)


@pytest.fixture
def without_blocks(flexit_raw: dict[str, Any]) -> dict[str, Any]:
    del flexit_raw["flexit"]["environments"]
    return flexit_raw


def test_no_block_for_the_environment_refuses_its_orders(
    flexit_env: dict[str, str], without_blocks: dict[str, Any], write_config: WriteConfig
) -> None:
    config = load_config(write_config(without_blocks), "acceptance")

    assert config.refurbisher("flexit").order_endpoint_refusal == REFUSAL
    assert list(config.for_sending().refurbishers) == []
    assert list(config.refurbishers) == ["flexit"]


def test_a_block_or_a_review_or_production_allows_them(
    flexit_env: dict[str, str], flexit_raw: dict[str, Any], write_config: WriteConfig
) -> None:
    with_block = load_config(write_config(flexit_raw), "acceptance")
    without_blocks = copy.deepcopy(flexit_raw)
    del without_blocks["flexit"]["environments"]
    production = load_config(write_config(without_blocks), "production")
    without_blocks["flexit"]["environment_endpoints_reviewed"] = True
    reviewed = load_config(write_config(without_blocks), "acceptance")
    without_blocks["flexit"]["environments"] = {"acceptance": {}}
    without_blocks["flexit"]["environment_endpoints_reviewed"] = False
    empty_block = load_config(write_config(without_blocks), "acceptance")

    for config in (with_block, production, reviewed, empty_block):
        assert config.refurbisher("flexit").order_endpoint_refusal is None
        assert list(config.for_sending().refurbishers) == ["flexit"]


def test_a_refurbisher_without_orders_needs_no_review(
    flexit_env: dict[str, str], without_blocks: dict[str, Any], write_config: WriteConfig
) -> None:
    del without_blocks["flexit"]["order"]
    del without_blocks["flexit"]["shipment_poll"]  # it asks with the order section's auth

    config = load_config(write_config(without_blocks), "acceptance")

    assert config.refurbisher("flexit").order_endpoint_refusal is None


def test_config_check_warns_and_exits_0(
    flexit_env: dict[str, str],
    without_blocks: dict[str, Any],
    write_config: WriteConfig,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("IRP_ENV", raising=False)
    path = write_config(without_blocks)

    result = CliRunner().invoke(app, ["--config", str(path), "config", "check"])
    as_json = CliRunner().invoke(app, ["--config", str(path), "config", "check", "--json"])

    assert result.exit_code == 0
    assert result.stdout == (
        f"warning: flexit.environments.acceptance: {REFUSAL}\n"
        "config OK: 1 refurbisher(s) (flexit) in environment acceptance, 1 warning(s)\n"
    )
    assert as_json.exit_code == 0
    assert json.loads(as_json.stdout) == {
        "ok": True,
        "env": "acceptance",
        "errors": [],
        "warnings": [{"path": "flexit.environments.acceptance", "message": REFUSAL}],
    }


def test_a_block_that_moves_the_orders_but_not_the_poll_is_warned_about(
    flexit_env: dict[str, str], flexit_raw: dict[str, Any], write_config: WriteConfig
) -> None:
    from irp.config import validate_config

    whole = validate_config(write_config(flexit_raw), "acceptance")
    del flexit_raw["flexit"]["environments"]["acceptance"]["shipment_poll"]
    half = validate_config(write_config(flexit_raw), "acceptance")
    flexit_raw["flexit"]["environment_endpoints_reviewed"] = True
    reviewed = validate_config(write_config(flexit_raw), "acceptance")

    assert (whole.errors, whole.warnings, reviewed.warnings) == ([], [], [])
    assert [(w.path, w.message) for w in half.warnings] == [
        (
            "flexit.environments.acceptance",
            "flexit.environments.acceptance sets order.endpoint but not "
            "shipment_poll.endpoint, so in acceptance shipments would be polled at the "
            "endpoint it uses in production (api.flexitdistribution.com); set "
            "shipment_poll.endpoint in environments.acceptance too",
        )
    ]
    assert half.config is not None
    assert half.config.refurbisher("flexit").order_endpoint_refusal is None  # a warning only
