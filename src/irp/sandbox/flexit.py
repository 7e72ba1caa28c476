"""The whole FlexIT sandbox: SFTP feed server, order-API simulator, and a config for them.

The demo and the end-to-end tests both start it. The config is the operators' own
``examples/flexit.json`` with only what SPEC §1 allows to differ: secret values, and
host names and ports pointing at loopback.
"""

from __future__ import annotations

import copy
import json
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from irp.orders.inbound_example import example_inbound_order as example_inbound_order
from irp.sandbox.feed import flexit_feed
from irp.sandbox.lifecycle import StartStop
from irp.sandbox.order_api import FlexitOrderApi
from irp.sandbox.sftp_server import SandboxSftpServer

EXAMPLE_CONFIG = Path(__file__).resolve().parents[3] / "examples" / "flexit.json"
FEED_PATH = "Outbound/FlexIT_Feed.csv"
SFTP_USERNAME = "xmlorder_218535"


def example_config() -> dict[str, Any]:
    """The operators' FlexIT config, as shipped in ``examples/flexit.json``.

    Read from the source tree: the sandbox is for a checkout (``make install`` installs
    the package editable), and the example must never be copied and drift.
    """
    return json.loads(EXAMPLE_CONFIG.read_text())  # type: ignore[no-any-return]


class FlexitSandbox(StartStop):
    """A FlexIT SFTP server and order API on 127.0.0.1, with fresh random credentials.

    ``secrets`` are the environment variables the config's ``${...}`` references need.
    """

    def __init__(self, root: Path, *, rows: int = 500, seed: int = 0) -> None:
        self.root = root
        self.secrets: dict[str, str] = {
            "FLEXIT_SFTP_PASSWORD": secrets.token_urlsafe(12),
            "FLEXIT_CLIENT_ID": secrets.token_hex(8),
            "FLEXIT_CLIENT_SECRET": secrets.token_urlsafe(16),
        }
        feed = root / "sftp" / FEED_PATH
        feed.parent.mkdir(parents=True, exist_ok=True)
        feed.write_bytes(flexit_feed(rows, seed=seed))
        self.feed_file = feed
        self.sftp = SandboxSftpServer(
            root / "sftp", username=SFTP_USERNAME, password=self.secrets["FLEXIT_SFTP_PASSWORD"]
        )
        self.order_api = FlexitOrderApi(
            client_id=self.secrets["FLEXIT_CLIENT_ID"],
            client_secret=self.secrets["FLEXIT_CLIENT_SECRET"],
        )

    def start(self) -> FlexitSandbox:
        self.sftp.start()
        try:
            self.order_api.start()
        except BaseException:
            self.sftp.stop()
            raise
        return self

    def stop(self) -> None:
        try:
            self.order_api.stop()
        finally:
            self.sftp.stop()

    def config(self, *, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """``examples/flexit.json`` pointed at this sandbox (hosts, ports, host key)."""
        config = example_config()
        flexit = config["flexit"]
        auth = flexit["offers"]["auth"]
        auth["host"] = self.sftp.host
        auth["port"] = self.sftp.port
        auth["host_key"] = self.sftp.host_key_line
        order = flexit["order"]
        for env in ("acceptance", "production"):
            env_order = flexit.setdefault("environments", {}).setdefault(env, {})
            env_order = env_order.setdefault("order", {})
            env_order["endpoint"] = self.order_api.endpoint
            if "lookup" in order:
                env_order.setdefault("lookup", {})["endpoint"] = (
                    self.order_api.base_url + "/order/api/order/{externalDocumentNumber}/status"
                )
            if "shipment_poll" in flexit:
                flexit["environments"][env].setdefault("shipment_poll", {})["endpoint"] = (
                    self.order_api.base_url + "/order/api/shipment/{external_reference}"
                )
        if overrides:
            _merge(flexit, overrides)
        return config

    def write_config(self, path: Path, *, overrides: Mapping[str, Any] | None = None) -> Path:
        """Write :meth:`config` to ``path`` and return it."""
        path.write_text(json.dumps(self.config(overrides=overrides), indent=2) + "\n")
        return path


def _merge(target: dict[str, Any], overrides: Mapping[str, Any]) -> None:
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
