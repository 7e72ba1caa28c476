"""One broken refurbisher never stops the others (SPEC §1, issue 11 item 1).

FlexIT is healthy; ``acme`` refers to ``${ACME_TOKEN}``, which is not set. Every
command for FlexIT runs and names acme on stderr; every command for acme refuses with
its errors (exit 2); commands over all refurbishers run FlexIT and exit 1.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from irp.config import load_config
from irp.sandbox.flexit import example_config, example_inbound_order
from irp.sandbox.order_api import FlexitOrderApi
from irp.store.db import open_database
from irp.web.overview import build_rows
from tests.integration.cli.support import Irp, flexit_secrets
from tests.integration.feeds.helpers import BASE_ROWS, feed_bytes

ACME_WARNING = (
    "warning: refurbisher acme is disabled by its configuration (acme.order.auth.token: "
    "${ACME_TOKEN} is not set); irp config check acme lists every error\n"
)
ACME_REFUSED = (
    "error: refurbisher acme is disabled by 1 configuration error(s) of its own:\n"
    "  - acme.order.auth.token: ${ACME_TOKEN} is not set\n"
)


@pytest.fixture
def irp(
    tmp_path: Path, db_url: str, order_api: FlexitOrderApi, monkeypatch: pytest.MonkeyPatch
) -> Irp:
    flexit_secrets(monkeypatch)
    monkeypatch.delenv("ACME_TOKEN", raising=False)
    document = example_config()
    acceptance = document["flexit"]["environments"]["acceptance"]["order"]
    acceptance["endpoint"] = order_api.endpoint
    acceptance["lookup"]["endpoint"] = order_api.lookup_endpoint
    acme = json.loads(json.dumps(document["flexit"]))
    acme.update(name="acme", refurbisher_id=16)
    acme["order"]["auth"] = {"type": "bearer", "token": "${ACME_TOKEN}"}
    document["acme"] = acme
    irp = Irp(tmp_path, db_url)
    irp.write(document)
    (tmp_path / "feed.csv").write_bytes(feed_bytes(BASE_ROWS))
    item = {"sku": "FLX-1", "quantity": 1, "unit_price_tax_excl": "249.00"}
    orders = [
        example_inbound_order(id="7001", items=[item]),
        example_inbound_order(id="7002", refurbisher="acme", items=[item]),
    ]
    (tmp_path / "orders.json").write_text(json.dumps(orders))
    return irp


def test_commands_for_a_healthy_refurbisher_run_and_name_the_broken_one(irp: Irp) -> None:
    synced = irp("offers", "sync", "flexit", "--file", str(irp.folder / "feed.csv"), "--json")
    added = irp("orders", "add", str(irp.folder / "orders.json"), "--json")
    submitted = irp("orders", "submit", "flexit", "--json")

    assert (synced.exit_code, json.loads(synced.stdout)["status"]) == (0, "ok")
    assert synced.stderr == ACME_WARNING
    assert added.exit_code == 1
    assert json.loads(added.stdout) == [
        {"id": "7001", "result": "accepted", "message": "7001: accepted"},
        {
            "id": "7002",
            "result": "refused",
            "message": "7002: refurbisher 'acme' is disabled by its own config errors "
            "(irp config check acme); send the order again once fixed",
        },
    ]
    assert added.stderr == ACME_WARNING
    assert submitted.exit_code == 0, submitted.output
    assert [(r["id"], r["status"]) for r in json.loads(submitted.stdout)] == [("7001", "submitted")]
    assert submitted.stderr == ACME_WARNING


@pytest.mark.parametrize(
    "command",
    [
        ("offers", "sync", "acme", "--file", "feed.csv"),
        ("offers", "list", "acme"),
        ("offers", "errors", "acme"),
        ("offers", "export", "acme"),
        ("orders", "submit", "acme"),
        ("check", "acme"),
    ],
)
def test_commands_for_the_broken_refurbisher_refuse_with_its_errors(
    irp: Irp, command: tuple[str, ...]
) -> None:
    result = irp(*(str(irp.folder / a) if a == "feed.csv" else a for a in command))

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == ACME_REFUSED


def test_commands_over_all_refurbishers_run_the_healthy_ones_and_exit_1(irp: Irp) -> None:
    irp("offers", "sync", "flexit", "--file", str(irp.folder / "feed.csv"))
    irp("orders", "add", str(irp.folder / "orders.json"))

    submitted = irp("orders", "submit", "--json")
    exported = irp("offers", "export", "--json")
    exported_flexit = irp("offers", "export", "flexit", "--json")

    assert submitted.exit_code == 1
    assert [(r["id"], r["status"]) for r in json.loads(submitted.stdout)] == [("7001", "submitted")]
    assert submitted.stderr == ACME_WARNING
    assert exported.exit_code == 1
    assert exported.stderr == ACME_WARNING
    assert json.loads(exported.stdout) == json.loads(exported_flexit.stdout)
    assert sorted(row["sku"] for row in json.loads(exported.stdout)) == [
        "FLX-1",
        "FLX-3",
        "FLX-4",
        "FLX-5",
    ]
    assert exported_flexit.exit_code == 0


def test_config_check_lists_the_broken_ones_errors_and_a_named_check_warns(irp: Irp) -> None:
    everything = irp("config", "check")
    flexit = irp("config", "check", "flexit")
    acme = irp("config", "check", "acme", "--json")

    assert (everything.exit_code, everything.stdout) == (
        1,
        "acme.order.auth.token: ${ACME_TOKEN} is not set\n"
        "1 configuration error(s) in environment acceptance\n",
    )
    assert (flexit.exit_code, flexit.stdout) == (
        0,
        "config OK: 1 refurbisher(s) (flexit) in environment acceptance\n",
    )
    assert flexit.stderr == "warning: also disabled by their configuration: acme\n"
    assert acme.exit_code == 1
    assert json.loads(acme.stdout) == {
        "ok": False,
        "env": "acceptance",
        "errors": [{"path": "acme.order.auth.token", "message": "${ACME_TOKEN} is not set"}],
        "warnings": [],
    }


def test_an_error_outside_any_refurbisher_still_stops_everything(irp: Irp) -> None:
    document = json.loads((irp.folder / "irp.json").read_text())
    document["platform"] = {"monitor_every_seconds": 1}
    irp.write(document)

    synced = irp("offers", "sync", "flexit", "--file", str(irp.folder / "feed.csv"))
    checked = irp("config", "check")

    assert synced.exit_code == 2
    assert synced.stderr == (
        "error: 2 configuration error(s):\n"
        "  - platform.monitor_every_seconds: expected a number >= 5, got 1\n"
        "  - acme.order.auth.token: ${ACME_TOKEN} is not set\n"
    )
    assert checked.exit_code == 2


def test_the_status_page_lists_the_broken_one_red_with_its_errors(irp: Irp) -> None:
    config = load_config(irp.folder / "irp.json", "acceptance")
    db = open_database(irp.db_url, "acceptance")
    with db.connect() as conn:
        rows = {row.key: row for row in build_rows(conn, config, datetime.now(UTC), {})}
    db.close()

    assert list(rows) == ["flexit", "acme"]
    assert rows["acme"].errors == ["acme.order.auth.token: ${ACME_TOKEN} is not set"]
    cell = rows["acme"].cells["acceptance"]
    assert (cell.state, cell.summary, cell.problems) == (
        "fail",
        "config broken",
        ["acme.order.auth.token: ${ACME_TOKEN} is not set"],
    )
    assert rows["flexit"].errors == []
