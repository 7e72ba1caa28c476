"""Text from suppliers and feeds is printed as it is, never as Rich markup (issue 12 item 5).

Before, a ``[/b]`` in a 422 body, a product name or a command argument raised Rich's
MarkupError — for ``orders submit`` after the order's state was already written.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from irp.cli.app import app
from irp.sandbox.flexit import example_config, example_inbound_order
from irp.sandbox.order_api import FlexitOrderApi
from irp.store.db import open_database
from tests.integration.cli.support import flexit_secrets
from tests.integration.feeds.helpers import feed_bytes, write_config
from tests.integration.orders.intake_support import order_row, store_offers

HOSTILE = "Deal [/b] [red]hot[/red] [link=https://evil.example]x"


def table_rows(output: str) -> list[list[str]]:
    """The body rows of a Rich table, each cell's wrapped lines joined again."""
    rows: list[list[str]] = []
    for line in output.splitlines():
        if not line.startswith("│"):
            continue
        cells = [cell.strip() for cell in line.strip("│").split("│")]
        if cells[0] or not rows:
            rows.append(cells)
        else:
            rows[-1] = [" ".join(filter(None, pair)) for pair in zip(rows[-1], cells, strict=True)]
    return rows


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    flexit_secrets(monkeypatch)


def test_a_422_body_with_markup_is_printed_as_it_is(
    tmp_path: Path, db_url: str, order_api: FlexitOrderApi, secrets: None
) -> None:
    document = example_config()
    flexit = document["flexit"]
    flexit["order"]["order_object"]["currencyCode"] = "![/b]"
    flexit["environments"]["acceptance"]["order"]["endpoint"] = order_api.endpoint
    config = tmp_path / "irp.json"
    config.write_text(json.dumps(document))
    db = open_database(db_url, "acceptance")
    store_offers(db)
    (tmp_path / "orders.json").write_text(json.dumps([example_inbound_order()]))
    base = ["--config", str(config), "--db", db_url]
    CliRunner().invoke(app, [*base, "orders", "add", str(tmp_path / "orders.json")])

    result = CliRunner().invoke(app, [*base, "orders", "submit", "flexit"])

    row = order_row(db, "5001")
    db.close()
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == 1
    assert row["status"] == "rejected"
    assert row["last_error"] == (
        'HTTP 422: the refurbisher refused the order: {"errors": [{"field": "currencyCode", '
        '"message": "must be \\"EUR\\", got string \\"[/b]\\""}]}'
    )
    assert table_rows(result.stdout) == [["5001", "flexit", "rejected", "", "1", row["last_error"]]]


def test_a_product_name_with_markup_is_listed_as_it_is(
    tmp_path: Path, db_url: str, secrets: None
) -> None:
    config = write_config(tmp_path)
    feed = tmp_path / "feed.csv"
    feed.write_bytes(feed_bytes([("FLX-1", HOSTILE, "", "5", "249,00", "399,00")]))
    base = ["--config", str(config), "--db", db_url]
    CliRunner().invoke(app, [*base, "offers", "sync", "flexit", "--file", str(feed)])

    result = CliRunner().invoke(app, [*base, "offers", "list", "flexit"])

    assert result.exit_code == 0, result.output
    assert [row[:2] for row in table_rows(result.stdout)] == [["FLX-1", HOSTILE]]


def test_an_error_message_with_markup_is_printed_as_it_is(
    tmp_path: Path, db_url: str, secrets: None
) -> None:
    config = write_config(tmp_path)

    result = CliRunner().invoke(
        app, ["--config", str(config), "--db", db_url, "offers", "list", "[/b]"]
    )

    assert result.exit_code == 2
    assert result.stderr == "error: unknown refurbisher '[/b]'; the config defines: flexit\n"
