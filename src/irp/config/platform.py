"""The config's reserved top-level ``platform`` key (SPEC §10): what is not per refurbisher.

Alert sinks, the marketplace's event webhook, Odoo, the monitoring cadence and the
status page's peers live here. It takes ``environments.<env>`` overrides like a
refurbisher, and its secrets follow the same rules (SPEC §1). Each part of IRP that
needs platform settings adds one field to :class:`PlatformConfig`, with its own model
in the module that owns the concern's config.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from irp.config.base import ConfigModel
from irp.config.odoo import OdooConfig
from irp.config.peers import PeerConfig
from irp.config.service import ServiceConfig

PLATFORM_KEY = "platform"
"""Reserved: no refurbisher may be called this."""


class PlatformConfig(ConfigModel):
    """Settings for the whole installation, for the active environment."""

    monitor_every_seconds: Annotated[float, Field(ge=5)] = 300.0
    odoo: OdooConfig | None = None
    peers: dict[str, PeerConfig] = Field(default_factory=dict)
    service: ServiceConfig = ServiceConfig()
