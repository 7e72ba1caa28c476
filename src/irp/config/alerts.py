"""Where alerts go (SPEC §5): ``platform.alerts``, a list of sinks.

A sink is told when an alert is raised and when it is resolved. ``webhook`` posts
IRP's own JSON document to ``url`` (with optional ``headers``, which are secrets);
``slack`` posts ``{"text": ...}`` to a Slack-compatible incoming webhook, whose URL is
itself the credential (``webhook_url`` is a secret field).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, SecretStr, field_validator

from irp.config.base import ConfigModel, Seconds
from irp.config.order import validate_typed

Url = Annotated[str, Field(pattern=r"^https?://\S+$")]


class WebhookSink(ConfigModel):
    """A generic JSON webhook: one POST per alert raised or resolved."""

    type: Literal["webhook"]
    name: str | None = None
    url: Url
    headers: dict[str, SecretStr] = Field(default_factory=dict)
    timeout_seconds: Seconds = 5.0


class SlackSink(ConfigModel):
    """A Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat...)."""

    type: Literal["slack"]
    name: str | None = None
    webhook_url: SecretStr
    timeout_seconds: Seconds = 5.0

    @field_validator("webhook_url")
    @classmethod
    def _https(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith(("https://", "http://")):
            raise ValueError("expected the incoming webhook's URL (https://...)")
        return value


AlertSink = WebhookSink | SlackSink
SINK_BY_TYPE: dict[str, type[ConfigModel]] = {"webhook": WebhookSink, "slack": SlackSink}


def _typed_sink(value: Any) -> Any:
    return value if isinstance(value, ConfigModel) else validate_typed(value, SINK_BY_TYPE)


class AlertsConfig(ConfigModel):
    """``platform.alerts``: the sinks, and how patiently a failing one is retried."""

    sinks: list[Annotated[AlertSink, BeforeValidator(_typed_sink)]] = Field(default_factory=list)
    retry_seconds: Annotated[float, Field(ge=1)] = 60.0
    max_retry_seconds: Annotated[float, Field(ge=1)] = 3600.0


def sink_label(sink: AlertSink, index: int) -> str:
    """How a sink is named in records and messages: its ``name`` or ``type#index``."""
    return sink.name or f"{sink.type}#{index}"
