"""``irp monitor`` end to end on the FlexIT sandbox: fractional thresholds, alerts, sinks."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import Metric
from prometheus_client.registry import Collector
from typer.testing import CliRunner

from irp.cli.app import app
from irp.config import load_config
from irp.monitoring.metrics import monitoring_metrics
from irp.monitoring.run import last_results, run_monitor
from irp.sandbox.flexit import FlexitSandbox, example_inbound_order
from irp.sandbox.receiver import WebhookReceiver
from irp.store.db import Database, open_database
from irp.store.tables import alert_notifications, alerts, offers

FRACTIONAL = {
    "latest_order_hours": 0.5,
    "offers_stock_hours": 0.5,
    "open_order_days": 0.01,
    "offers_endpoint_status": 200,
    "stuck_order_hours": 0.25,
    "secret_expiry_days": 5.5,
}


@dataclass
class World:
    """The FlexIT sandbox, a config aimed at it, and the CLI on one database."""

    sandbox: FlexitSandbox
    root: Path
    db_url: str

    def write(self, monitoring: dict[str, Any], platform: dict[str, Any] | None = None) -> Path:
        expires = (datetime.now(UTC).date() + timedelta(days=10)).isoformat()
        overrides = {
            "monitoring": monitoring,
            "offers": {"settle_seconds": 0.05},
            "order": {
                "auth": {"client_secret": {"value": "${FLEXIT_CLIENT_SECRET}", "expires": expires}}
            },
        }
        path = self.sandbox.write_config(self.root / "irp.json", overrides=overrides)
        if platform is not None:
            document = json.loads(path.read_text())
            document["platform"] = platform
            path.write_text(json.dumps(document))
        return path

    def cli(self, *args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(
            app, ["--config", str(self.root / "irp.json"), "--db", self.db_url, *args]
        )
        return result.exit_code, result.stdout, result.stderr

    def database(self) -> Database:
        return open_database(self.db_url, "acceptance")


@pytest.fixture
def world(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with FlexitSandbox(tmp_path / "sandbox", rows=20) as sandbox:
        for key, value in sandbox.secrets.items():
            monkeypatch.setenv(key, value)
        found = World(sandbox, tmp_path, db_url)
        found.write(FRACTIONAL)
        assert found.cli("offers", "sync", "flexit")[0] == 0
        orders = tmp_path / "orders.json"
        db = found.database()
        with db.connect() as conn:
            sku = conn.execute(sa.select(offers.c.sku).where(offers.c.listed).limit(1)).scalar()
        db.close()
        items = [{"sku": sku, "quantity": 1, "unit_price_tax_excl": "249.00"}]
        orders.write_text(json.dumps(example_inbound_order(items=items)))
        assert found.cli("orders", "add", str(orders))[0] == 0
        assert found.cli("orders", "submit")[0] == 0
        yield found


def checks(output: str) -> dict[str, dict[str, Any]]:
    return {row["check"]: row for row in json.loads(output)}


def test_every_check_passes_then_fails_with_fractional_thresholds(world: World) -> None:
    code, out, _ = world.cli("monitor", "flexit", "--json")

    assert code == 0, out
    found = checks(out)
    assert list(found) == [
        "latest_order",
        "offers_stock",
        "open_orders",
        "offers_endpoint",
        "order_endpoint",
        "stuck_orders",
        "secret_expiry",
    ]
    assert {k: (v["threshold"], v["ok"]) for k, v in found.items()} == {
        "latest_order": (0.5, True),
        "offers_stock": (0.5, True),
        "open_orders": (0, True),
        "offers_endpoint": (200, True),
        "order_endpoint": (1, True),
        "stuck_orders": (0, True),
        "secret_expiry": (5.5, True),
    }
    assert set(json.loads(out)[0]) == {
        "refurbisher",
        "env",
        "check",
        "value",
        "threshold",
        "ok",
        "detail",
    }
    assert found["offers_endpoint"]["value"] == 200
    assert found["offers_endpoint"]["detail"].startswith("sftp://xmlorder_218535@127.0.0.1:")
    assert found["secret_expiry"]["value"] == 10
    assert found["secret_expiry"]["detail"] == (
        f"flexit.order.auth.client_secret expires "
        f"{(datetime.now(UTC).date() + timedelta(days=10)).isoformat()}, in 10 days; alert at 5.5"
    )

    time.sleep(1.5)  # now older than the thresholds below (0.0002 h = 0.72 s)
    world.write(
        {
            **FRACTIONAL,
            "latest_order_hours": 0.0002,
            "offers_stock_hours": 0.0002,
            "open_order_days": 0.000005,
            "secret_expiry_days": 10.5,
        }
    )
    code, out, err = world.cli("monitor", "flexit", "--json")

    assert code == 1
    failing = {k for k, v in checks(out).items() if not v["ok"]}
    assert failing == {"latest_order", "offers_stock", "open_orders", "secret_expiry"}
    late = checks(out)["latest_order"]
    assert late["value"] > 0.0002
    assert re.match(r"last order 5001 submitted \d+ s ago \(", late["detail"]), late["detail"]
    assert "more than 0.0002 h" in late["detail"]
    assert checks(out)["open_orders"]["detail"].startswith(
        "1 order(s) submitted more than 5e-06 days ago are not shipped; oldest 5001 (SO-000001)"
    )
    assert err.splitlines()[-4:] == [
        "alert raised: flexit latest_order",
        "alert raised: flexit offers_stock",
        "alert raised: flexit open_orders",
        "alert raised: flexit secret_expiry",
    ]


def test_alerts_are_raised_once_and_resolved_once(world: World) -> None:
    db = world.database()
    config = load_config(world.root / "irp.json", "acceptance")
    later = db.now() + timedelta(hours=0.6)
    try:
        runs = [
            run_monitor(db, config, now=later, probe=False),
            run_monitor(db, config, now=later, probe=False),
        ]
        before = db.now()
        runs.append(run_monitor(db, config, probe=False))
        after = db.now()
        runs.append(run_monitor(db, config, probe=False))
        with db.connect() as conn:
            rows = conn.execute(
                sa.select(alerts.c.check, alerts.c.raised_at, alerts.c.resolved_at).order_by(
                    alerts.c.check
                )
            ).all()
    finally:
        db.close()

    assert [sorted(run.raised) for run in runs] == [
        ["flexit latest_order", "flexit offers_stock", "flexit open_orders"],
        [],
        [],
        [],
    ]
    assert [sorted(run.resolved) for run in runs] == [
        [],
        [],
        ["flexit latest_order", "flexit offers_stock", "flexit open_orders"],
        [],
    ]
    assert [check for check, _, _ in rows] == ["latest_order", "offers_stock", "open_orders"]
    assert all(raised == later for _, raised, _ in rows)
    assert all(before <= resolved <= after for _, _, resolved in rows)  # by the third run


def test_the_sinks_hear_of_each_alert_once_and_a_failing_sink_is_retried(
    world: World,
) -> None:
    with WebhookReceiver() as hook, WebhookReceiver() as slack:
        platform = {
            "alerts": {
                "sinks": [
                    {
                        "type": "webhook",
                        "name": "ops",
                        "url": hook.url,
                        "headers": {"Authorization": "Bearer sink-token-5d2e"},
                    },
                    {"type": "slack", "webhook_url": slack.url},
                ],
                "retry_seconds": 1,
            }
        }
        world.write({**FRACTIONAL, "secret_expiry_days": 10.5}, platform)
        config = load_config(world.root / "irp.json", "acceptance")
        slack.fail(1, status=503)
        db = world.database()
        try:
            first = run_monitor(db, config, probe=False)
            run_monitor(db, config, probe=False)  # the failed one is not due yet
            time.sleep(1.1)  # past the first retry delay (at most 1 s)
            run_monitor(db, config, probe=False)
            with db.connect() as conn:
                notes = conn.execute(
                    sa.select(
                        alert_notifications.c.sink,
                        alert_notifications.c.kind,
                        alert_notifications.c.attempts,
                        alert_notifications.c.delivered_at.is_not(None),
                    ).order_by(alert_notifications.c.sink)
                ).all()
        finally:
            db.close()

    assert first.raised == ["flexit secret_expiry"]
    assert first.notified.delivered == 1 and first.notified.failed == 1
    assert first.notified.errors[0].startswith(
        "alert sink slack#1: telling it flexit secret_expiry was raised failed (attempt 1): "
        "HTTP 503"
    )
    assert [tuple(n) for n in notes] == [("ops", "raised", 1, True), ("slack#1", "raised", 2, True)]
    (message,) = hook.accepted()
    assert message.headers["authorization"] == "Bearer sink-token-5d2e"
    document = message.json()
    assert {
        k: document[k] for k in ("event", "refurbisher", "env", "check", "value", "threshold")
    } == {
        "event": "alert.raised",
        "refurbisher": "flexit",
        "env": "acceptance",
        "check": "secret_expiry",
        "value": 10,
        "threshold": 10.5,
    }
    assert [r.answered for r in slack.requests] == [503, 200]
    text = slack.requests[1].json()["text"]
    assert text.startswith(
        ":red_circle: [acceptance] flexit secret_expiry: flexit.order.auth.client_secret expires"
    )


def test_a_dead_sink_never_blocks_the_checks(world: World) -> None:
    world.write(
        {**FRACTIONAL, "secret_expiry_days": 10.5},
        {"alerts": {"sinks": [{"type": "webhook", "url": "http://127.0.0.1:9/nothing"}]}},
    )
    config = load_config(world.root / "irp.json", "acceptance")
    db = world.database()
    try:
        run = run_monitor(db, config, probe=False)
        with db.connect() as conn:
            stored = last_results(conn, "acceptance")
    finally:
        db.close()

    assert run.raised == ["flexit secret_expiry"]
    assert run.notified.failed == 1
    assert run.notified.errors[0].startswith(
        "alert sink webhook#0: telling it flexit secret_expiry was raised failed (attempt 1): "
        "ConnectError"
    )
    assert [r.to_json() for r in stored] == [r.to_json() for r in run.results]


def test_metrics_show_the_last_run(world: World) -> None:
    assert world.cli("monitor", "--json")[0] == 0
    db = world.database()

    class Monitoring(Collector):
        def collect(self) -> Iterator[Metric]:
            yield from monitoring_metrics(db, "acceptance", events_pushed=True)

    registry = CollectorRegistry(auto_describe=False)
    registry.register(Monitoring())
    try:
        lines = set(generate_latest(registry).decode().splitlines())
    finally:
        db.close()

    labels = 'env="acceptance",refurbisher="flexit"'
    assert f'irp_check_ok{{check="latest_order",{labels}}} 1.0' in lines
    assert f'irp_check_threshold{{check="latest_order",{labels}}} 0.5' in lines
    assert f'irp_check_value{{check="offers_endpoint",{labels}}} 200.0' in lines
    assert f'irp_order_transitions_total{{{labels},status="accepted"}} 1.0' in lines
    assert f'irp_order_transitions_total{{{labels},status="submitted"}} 1.0' in lines
    assert 'irp_events_unpushed{env="acceptance"} 2.0' in lines


def test_a_monitor_run_unlists_stale_stock_with_no_sync(world: World) -> None:
    config = load_config(world.root / "irp.json", "acceptance")
    offers_config = config.refurbisher("flexit").offers
    assert offers_config is not None
    hours = offers_config.unlist_stale_after_hours
    db = world.database()
    try:

        def listed() -> int:
            with db.connect() as conn:
                query = sa.select(sa.func.count()).where(offers.c.listed)
                return int(conn.execute(query).scalar_one())

        before = listed()
        now = db.now()
        fresh = run_monitor(db, config, name="flexit", now=now, probe=False, notify=False)
        later = now + timedelta(hours=hours + 1)
        stale = run_monitor(db, config, name="flexit", now=later, probe=False, notify=False)
        again = run_monitor(db, config, name="flexit", now=later, probe=False, notify=False)
        after = listed()
    finally:
        db.close()

    assert before > 0 and after == 0
    assert (fresh.unlisted, again.unlisted) == ([], [])
    assert stale.unlisted == [
        f"flexit: the newest feed version was published {hours + 1:.0f} h ago, more than "
        f"unlist_stale_after_hours {hours:g}; {before} offer(s) unlisted until a fresh "
        "version arrives"
    ]
    (stock,) = [r for r in stale.results if r.check == "offers_stock"]
    assert stock.ok is False
