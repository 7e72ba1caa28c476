"""The status page's peers: the other environments' IRP instances (``platform.peers``).

An instance serves one environment's database. To show acceptance and production side
by side, the status page asks the other instance's ``GET /api/refurbishers`` with a
bearer token of that instance. Keyed by the peer's environment name::

    "platform": {"peers": {"production": {"url": "https://irp.example",
                                           "token": "${IRP_PRODUCTION_TOKEN}"}}}

The token is a secret (SPEC §1): resolved from ``${...}`` or ``op://``, never shown.
A peer named like the active environment is ignored (``platform.environments``
overrides are merged over the base, so both instances may share one file).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr

from irp.config.base import ConfigModel, Seconds


class PeerConfig(ConfigModel):
    """Another environment's IRP instance, read through its ``/api/refurbishers``."""

    url: Annotated[str, Field(pattern=r"^https?://\S+$")]
    token: SecretStr
    timeout_seconds: Seconds = 3.0
