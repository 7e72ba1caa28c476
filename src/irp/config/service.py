"""``platform.service``: how ``irp serve`` and ``irp worker`` run (SPEC §7, §8)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from irp.config.base import ConfigModel

MIB = 1024 * 1024


class ServiceConfig(ConfigModel):
    """The service's own settings; every refurbisher shares them."""

    sweep_seconds: Annotated[float, Field(ge=0.2, le=3600)] = 15.0
    """How often the scheduler asks the database what is due (orders, lookups, syncs)."""

    max_request_bytes: Annotated[int, Field(ge=1024, le=64 * MIB)] = 1 * MIB
    """The largest HTTP request body accepted; a larger one is answered 413."""
