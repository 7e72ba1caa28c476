"""``irp odoo check`` / ``irp odoo sync`` / ``irp orders show`` against the sandbox Odoo."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from irp.cli.app import app
from irp.config import Config
from irp.sandbox.odoo import DROPSHIP_PICKING_TYPE_ID, FLEXIT_VENDOR_ID, OdooSimulator
from irp.store.db import Database
from tests.fixtures.odoo import ODOO_API_KEY, MakeOdoo

from .support import add_accepted_order, odoo_config


def _irp(config: Config, *args: str, db: Database | None = None) -> Result:
    base = ["--config", str(config.path)]
    if db is not None:
        base += ["--db", db.url]
    return CliRunner().invoke(app, [*base, *args], terminal_width=400)


def _check(config: Config) -> tuple[int, list[str]]:
    result = _irp(config, "odoo", "check")
    return result.exit_code, result.stdout.splitlines()


@pytest.mark.parametrize("api", ["json2", "jsonrpc"])
def test_check_passes_against_a_good_set_up(api: str, make_odoo: MakeOdoo, tmp_path: Path) -> None:
    odoo = make_odoo(major_version=19 if api == "json2" else 17)
    config = odoo_config(
        tmp_path, odoo, api=api, company_id=1, picking_type=DROPSHIP_PICKING_TYPE_ID
    )

    code, lines = _check(config)

    who = "irp-bot@example.com" if api == "jsonrpc" else "the API key's user"
    version = "19.0" if api == "json2" else "17.0"
    assert (code, lines) == (
        0,
        [
            f"connection: OK — Odoo {version} at {odoo.url} ({api})",
            f"login: OK — database marketplace as {who} (uid 2)",
            "rights: OK — read purchase.order, create purchase.order, write purchase.order, "
            "create purchase.order.line, read product.product, read res.partner, create "
            "res.partner",
            "company_id: OK — res.company 1 (iUsed B.V.)",
            "picking_type: OK — stock.picking.type 7 (Dropship)",
            "vendor flexit: OK — partner 21469 (FlexIT Distribution B.V.), supplier",
        ],
    )
    assert ODOO_API_KEY not in _irp(config, "odoo", "check", "--json").stdout


def test_check_names_a_wrong_url(odoo_sim: OdooSimulator, tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = odoo_config(tmp_path, odoo_sim, url=url)

    code, lines = _check(config)

    assert code == 1
    [line] = lines
    assert line.startswith(f"connection: FAILED — cannot reach Odoo at {url} (GET /web/version): ")
    assert line.endswith("; check platform.odoo.url and that Odoo is running")


def test_check_names_a_url_that_is_not_odoo(odoo_sim: OdooSimulator, tmp_path: Path) -> None:
    config = odoo_config(tmp_path, odoo_sim, url=odoo_sim.url + "/odoo")

    code, lines = _check(config)

    assert (code, lines) == (
        1,
        [
            f"connection: FAILED — {odoo_sim.url}/odoo/web/version answered 404: an HTML page "
            "titled '404 Not Found'; platform.odoo.url does not point at an Odoo 19 server "
            "(for Odoo 17-18 set platform.odoo.api to 'jsonrpc')"
        ],
    )


def test_check_names_json2_against_an_odoo_without_it(make_odoo: MakeOdoo, tmp_path: Path) -> None:
    odoo_18 = make_odoo(major_version=18)
    odoo_17 = make_odoo(major_version=17)

    code_18, lines_18 = _check(odoo_config(tmp_path, odoo_18))
    code_17, lines_17 = _check(odoo_config(tmp_path, odoo_17))

    assert (code_18, lines_18) == (
        1,
        [
            f"connection: FAILED — Odoo 18.0 at {odoo_18.url} (json2): Odoo 18.0 has no JSON-2 "
            "API (Odoo 19 and later); set platform.odoo.api to 'jsonrpc' and platform.odoo.login"
        ],
    )
    assert (code_17, lines_17) == (
        1,
        [
            f"connection: FAILED — {odoo_17.url}/web/version answered 404: an HTML page titled "
            "'404 Not Found'; platform.odoo.url does not point at an Odoo 19 server (for Odoo "
            "17-18 set platform.odoo.api to 'jsonrpc')"
        ],
    )


def test_check_says_jsonrpc_is_deprecated_on_odoo_19(
    odoo_sim: OdooSimulator, tmp_path: Path
) -> None:
    config = odoo_config(tmp_path, odoo_sim, api="jsonrpc")

    code, lines = _check(config)

    assert (code, lines[0]) == (
        0,
        f"connection: OK — Odoo 19.0 at {odoo_sim.url} (jsonrpc); /jsonrpc is deprecated "
        "since Odoo 19 (removed in 22): consider api 'json2'",
    )


def test_check_names_a_wrong_database(odoo_sim: OdooSimulator, tmp_path: Path) -> None:
    config = odoo_config(tmp_path, odoo_sim, database="marketplace-prod")

    code, lines = _check(config)

    assert (code, lines[1:]) == (
        1,
        [
            "login: FAILED — res.users.context_get: Odoo answered 404 without an Odoo error: "
            f"there is no database 'marketplace-prod' at {odoo_sim.url} (Odoo then serves no "
            "/json/2 route); check platform.odoo.database and platform.odoo.url"
        ],
    )


def test_check_names_a_refused_key(odoo_sim: OdooSimulator, tmp_path: Path) -> None:
    config = odoo_config(tmp_path, odoo_sim, api_key="an-expired-key-0123456789")

    code, lines = _check(config)

    assert (code, lines[1:]) == (
        1,
        [
            "login: FAILED — res.users.context_get: Odoo answered 401 (Invalid apikey): the "
            "API key was refused; check platform.odoo.api_key (keys expire: at most three "
            "months in Odoo 19)"
        ],
    )


def test_check_names_a_wrong_jsonrpc_login(make_odoo: MakeOdoo, tmp_path: Path) -> None:
    odoo = make_odoo(major_version=17)
    config = odoo_config(tmp_path, odoo, api="jsonrpc", login="admin")

    code, lines = _check(config)

    assert (code, lines[1:]) == (
        1,
        [
            "login: FAILED — Odoo refused login 'admin' with the API key on database "
            "'marketplace': check platform.odoo.login and platform.odoo.api_key"
        ],
    )


def test_check_names_the_missing_rights(odoo_sim: OdooSimulator, tmp_path: Path) -> None:
    odoo_sim.orm.deny("purchase.order", "create")
    odoo_sim.orm.deny("purchase.order", "write")
    config = odoo_config(tmp_path, odoo_sim)

    code, lines = _check(config)

    assert code == 1
    assert lines[2] == (
        "rights: FAILED — the Odoo user of platform.odoo.api_key may not create "
        "purchase.order, write purchase.order; give it the Purchase / User group (and "
        "Contact Creation for drop-ship addresses)"
    )


@pytest.mark.parametrize(
    ("settings", "prepare", "expected"),
    [
        (
            {"odoo_vendor_id": None},
            None,
            "vendor flexit: FAILED — flexit.settings.odoo_vendor_id is not set: set it to the "
            "refurbisher's partner id in Odoo",
        ),
        (
            {"odoo_vendor_id": 21470},
            None,
            "vendor flexit: FAILED — flexit.settings.odoo_vendor_id: Odoo has no partner "
            "(res.partner) 21470",
        ),
        (
            {},
            {"supplier_rank": 0},
            "vendor flexit: FAILED — flexit.settings.odoo_vendor_id: partner 21469 (FlexIT "
            "Distribution B.V.) is not a supplier (supplier_rank 0); pick the vendor's "
            "partner, or make it one (Purchase > Vendors)",
        ),
        (
            {},
            {"active": False},
            "vendor flexit: FAILED — flexit.settings.odoo_vendor_id: partner 21469 (FlexIT "
            "Distribution B.V.) is archived in Odoo",
        ),
    ],
    ids=["not-set", "unknown", "not-a-supplier", "archived"],
)
def test_check_names_a_wrong_vendor_id(
    settings: dict[str, Any],
    prepare: dict[str, Any] | None,
    expected: str,
    odoo_sim: OdooSimulator,
    tmp_path: Path,
) -> None:
    if prepare:
        odoo_sim.orm.update("res.partner", FLEXIT_VENDOR_ID, prepare)
    config = odoo_config(tmp_path, odoo_sim, settings=settings)

    code, lines = _check(config)

    assert (code, lines[-1]) == (1, expected)


def test_check_names_a_wrong_picking_type_and_company(
    odoo_sim: OdooSimulator, tmp_path: Path
) -> None:
    config = odoo_config(tmp_path, odoo_sim, picking_type=99, company_id=5)

    code, lines = _check(config)

    assert (code, lines[3:5]) == (
        1,
        [
            "company_id: FAILED — platform.odoo.company_id: Odoo has no res.company 5",
            "picking_type: FAILED — platform.odoo.picking_type: Odoo has no stock.picking.type 99",
        ],
    )


def test_check_without_platform_odoo(flexit_config_without_odoo: Config) -> None:
    code, lines = _check(flexit_config_without_odoo)

    assert (code, lines) == (
        1,
        [
            "config: FAILED — platform.odoo is not configured: add url, database and api_key "
            "(docs/odoo.md)"
        ],
    )


@pytest.fixture
def flexit_config_without_odoo(odoo_sim: OdooSimulator, tmp_path: Path) -> Config:
    config = odoo_config(tmp_path, odoo_sim)
    document = json.loads(config.path.read_text())
    del document["platform"]
    config.path.write_text(json.dumps(document))
    return config


def test_sync_books_due_orders_and_orders_show_tells_where(
    database: Database, odoo_sim: OdooSimulator, tmp_path: Path
) -> None:
    config = odoo_config(tmp_path, odoo_sim)
    add_accepted_order(database, "5001")
    add_accepted_order(database, "5002", lines=[{"sku": "FLX-9999", "ean": None, "price": "10.00"}])

    synced = _irp(config, "odoo", "sync", "--json", db=database)

    assert synced.exit_code == 1  # one order could not be booked
    listing = json.loads(synced.stdout)
    next_at = listing[1].pop("next_at")
    assert listing == [
        {
            "id": "5001",
            "refurbisher": "flexit",
            "outcome": "created",
            "po_id": 1,
            "po_name": "P00001",
            "attempts": 1,
            "error": None,
            "next_at": None,
        },
        {
            "id": "5002",
            "refurbisher": "flexit",
            "outcome": "failed",
            "po_id": None,
            "po_name": None,
            "attempts": 1,
            "error": "odoo: no product with default_code FLX-9999 — fix the products in Odoo "
            "(Internal Reference = SKU, Barcode = EAN); the order is booked on the next try",
        },
    ]

    booked = json.loads(_irp(config, "orders", "show", "5001", "--json", db=database).stdout)
    failed_text = _irp(config, "orders", "show", "5002", db=database).stdout
    booked_text = _irp(config, "orders", "show", "5001", db=database).stdout

    assert {k: v for k, v in booked["odoo"].items() if k != "booked_at"} == {
        "po_id": 1,
        "po_name": "P00001",
        "tries": 1,
        "next_at": None,
        "error": None,
    }
    assert booked["odoo"]["booked_at"] is not None
    assert "odoo: purchase order P00001 (id 1)" in booked_text.splitlines()
    assert (
        "odoo: no product with default_code FLX-9999 — fix the products in Odoo (Internal "
        "Reference = SKU, Barcode = EAN); the order is booked on the next try (not booked "
        f"after 1 try; next try {next_at[:19]}+00:00)"
    ) in failed_text.splitlines()
    again = _irp(config, "odoo", "sync", db=database)
    assert (again.exit_code, again.stdout) == (0, "no order was due\n")


def test_sync_without_platform_odoo_is_refused(
    flexit_config_without_odoo: Config, database: Database
) -> None:
    result = _irp(flexit_config_without_odoo, "odoo", "sync", db=database)

    assert result.exit_code == 1
    assert " ".join(result.stderr.split()) == (
        "error: platform.odoo is not configured: add url, database and api_key (docs/odoo.md)"
    )
