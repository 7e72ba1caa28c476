"""``irp events list`` and ``irp events push`` (for cron-driven set-ups)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from irp.cli.app import app
from irp.sandbox.receiver import WebhookReceiver
from irp.store.db import Database
from tests.integration.events.test_push import events_config, ship_through
from tests.integration.orders.submit_support import add_order


def test_list_and_push_events_from_the_command_line(database: Database, tmp_path: Path) -> None:
    with WebhookReceiver() as receiver:
        config = events_config(tmp_path, receiver.url)
        add_order(database, "5001")
        ship_through(database, "5001")
        base = ["--config", str(config.path), "--db", database.url, "events"]
        runner = CliRunner()

        listed = runner.invoke(app, [*base, "list", "--limit", "2", "--json"])
        rest = runner.invoke(
            app, [*base, "list", "--after", json.loads(listed.stdout)["next_cursor"], "--json"]
        )
        receiver.fail(1, status=502)
        first = runner.invoke(app, [*base, "push", "--json"])
        bad = runner.invoke(app, [*base, "list", "--after", "x"])

    assert listed.exit_code == 0
    page = json.loads(listed.stdout)
    assert [e["type"] for e in page["events"]] == ["order.submitted", "order.shipped"]
    assert page["has_more"] is True
    assert [e["type"] for e in json.loads(rest.stdout)["events"]] == ["order.delivered"]
    assert first.exit_code == 1
    assert json.loads(first.stdout)["failed"] == 1
    assert bad.exit_code == 2
    assert "after='x' is not a cursor" in bad.stderr
