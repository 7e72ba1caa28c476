"""Config of what follows the order: shipment webhooks/polls, events, alert sinks."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from irp.config import check_config, load_config
from irp.config.alerts import SlackSink, WebhookSink
from irp.config.shipments import StandardWebhooksAuth

from .conftest import WriteConfig

WHSEC = "whsec_" + base64.b64encode(b"a-webhook-key-of-24-byte").decode()
GREENBYTE = Path(__file__).resolve().parents[3] / "examples" / "greenbyte.json"


@pytest.fixture
def check(flexit_env: dict[str, str], write_config: WriteConfig) -> Any:
    def run(data: dict[str, Any]) -> list[tuple[str, str]]:
        return [(e.path, e.message) for e in check_config(write_config(data), "acceptance")]

    return run


def webhook(auth: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"auth": auth, "fields": {"external_reference": "ref"}, **more}


def test_standard_webhooks_needs_a_whsec_secret(check: Any, flexit_raw: dict[str, Any]) -> None:
    flexit = flexit_raw["flexit"]
    flexit["shipment_webhook"] = webhook({"type": "standard_webhooks", "secret": "plain-secret"})

    assert check(flexit_raw) == [
        (
            "flexit.shipment_webhook.auth.secret",
            "expected a Standard Webhooks secret starting with whsec_",
        )
    ]
    flexit["shipment_webhook"]["auth"]["secret"] = "whsec_c2hvcnQ="
    assert check(flexit_raw) == [
        (
            "flexit.shipment_webhook.auth.secret",
            "the secret is shorter than 16 bytes; ask for a longer one",
        )
    ]
    flexit["shipment_webhook"]["auth"]["secret"] = "whsec_not base64!"
    assert check(flexit_raw) == [
        ("flexit.shipment_webhook.auth.secret", "the part after whsec_ is not base64")
    ]


def test_the_auth_type_list_names_all_three_schemes(check: Any, flexit_raw: dict[str, Any]) -> None:
    flexit_raw["flexit"]["shipment_webhook"] = webhook({"type": "signature"})

    assert check(flexit_raw) == [
        (
            "flexit.shipment_webhook.auth.type",
            "expected one of 'hmac_sha256', 'standard_webhooks', 'token', got 'signature'",
        )
    ]


def test_a_status_field_needs_a_status_map_and_paths_must_parse(
    check: Any, flexit_raw: dict[str, Any]
) -> None:
    flexit_raw["flexit"]["shipment_webhook"] = {
        "auth": {"type": "token", "token": "tok-1234"},
        "fields": {"external_reference": "ref", "status": "state", "carrier": "a..b"},
        "items_path": "list.",
    }

    found = dict(check(flexit_raw))

    assert found["flexit.shipment_webhook.fields.carrier"] == (
        "'a..b' is not a dotted path: the path has an empty part (two dots in a row, or a "
        "dot at an end)"
    )
    assert found["flexit.shipment_webhook.items_path"].startswith("'list.' is not a dotted path")


def test_a_status_map_maps_to_shipped_or_delivered_only(
    check: Any, flexit_raw: dict[str, Any]
) -> None:
    flexit_raw["flexit"]["shipment_webhook"] = webhook(
        {"type": "token", "token": "tok-1234"}, status_map={"Lost": "lost"}
    )

    assert check(flexit_raw) == [
        (
            "flexit.shipment_webhook.status_map.Lost",
            "expected one of 'shipped' or 'delivered', got 'lost'",
        )
    ]


def test_platform_events_and_alert_sinks(
    flexit_env: dict[str, str],
    flexit_raw: dict[str, Any],
    write_config: WriteConfig,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLACK_URL", "https://hooks.slack.com/services/T0/B0/abcdef123456")
    flexit_raw["platform"] = {
        "events": {"url": "https://market.example/irp/events", "secret": WHSEC},
        "alerts": {
            "sinks": [
                {
                    "type": "webhook",
                    "url": "https://ops.example/hook",
                    "headers": {"Authorization": "Bearer ops-token-1"},
                },
                {"type": "slack", "name": "ops-slack", "webhook_url": "${SLACK_URL}"},
            ]
        },
    }

    config = load_config(write_config(flexit_raw), "acceptance")

    assert config.platform.events.url == "https://market.example/irp/events"
    first, second = config.platform.alerts.sinks
    assert isinstance(first, WebhookSink) and isinstance(second, SlackSink)
    assert second.name == "ops-slack"
    assert "https://hooks.slack.com/services/T0/B0/abcdef123456" in config.secret_values()
    assert "Bearer ops-token-1" in config.secret_values()
    assert WHSEC in config.secret_values()


def test_platform_section_errors_have_their_paths(check: Any, flexit_raw: dict[str, Any]) -> None:
    flexit_raw["platform"] = {
        "events": {"url": "https://market.example/irp/events"},
        "alerts": {"sinks": [{"type": "email", "to": "ops@example.com"}, {"type": "slack"}]},
    }

    assert check(flexit_raw) == [
        (
            "platform.alerts.sinks[0].type",
            "expected one of 'webhook', 'slack', got 'email'",
        ),
        ("platform.alerts.sinks[1].webhook_url", "required key is missing"),
        (
            "platform.events",
            "url needs a secret (whsec_...): events are always signed, so the marketplace "
            "can trust them",
        ),
    ]


def test_the_greenbyte_example_is_pure_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FEED_TOKEN", "CLIENT_ID", "CLIENT_SECRET"):
        monkeypatch.setenv(f"GREENBYTE_{name}", f"greenbyte-{name.lower()}-value")
    monkeypatch.setenv("GREENBYTE_WEBHOOK_SECRET", WHSEC)

    config = load_config(GREENBYTE, "production")

    greenbyte = config.refurbisher("greenbyte")
    assert greenbyte.offers is not None and greenbyte.offers.price_locale == "en_US"
    assert greenbyte.offers.connection == "http" and greenbyte.offers.type == "json"
    assert greenbyte.order is not None
    assert greenbyte.order.auth.type == "oauth2_client_credentials"
    assert greenbyte.shipment_webhook is not None
    assert isinstance(greenbyte.shipment_webhook.auth, StandardWebhooksAuth)
    assert json.loads(GREENBYTE.read_text())["greenbyte"]["shipment_webhook"]["items_path"] == (
        "data.shipments"
    )
