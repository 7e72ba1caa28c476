"""Both example refurbishers side by side: FlexIT and the fictional GreenByte.

:class:`SandboxWorld` starts the FlexIT sandbox (SFTP feed + order API) and the
GreenByte simulator (HTTP JSON feed, OAuth2 order API, signed shipment webhooks), and
writes one config holding ``examples/flexit.json`` and ``examples/greenbyte.json`` as
the operators wrote them — only secret values, hosts and ports differ (SPEC §1). The
demo and the end-to-end tests run on it.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from irp.sandbox.flexit import EXAMPLE_CONFIG, FlexitSandbox, _merge
from irp.sandbox.greenbyte import GreenbyteApi
from irp.sandbox.lifecycle import StartStop

GREENBYTE_EXAMPLE = EXAMPLE_CONFIG.with_name("greenbyte.json")


def greenbyte_example() -> dict[str, Any]:
    """``examples/greenbyte.json`` as shipped (read from the source tree)."""
    return json.loads(GREENBYTE_EXAMPLE.read_text())  # type: ignore[no-any-return]


class SandboxWorld(StartStop):
    """FlexIT and GreenByte on 127.0.0.1, with fresh random credentials.

    ``secrets`` are the environment variables both configs' ``${...}`` references need.
    """

    def __init__(self, root: Path, *, flexit_rows: int = 500, greenbyte_rows: int = 6) -> None:
        self.root = root
        self.flexit = FlexitSandbox(root / "flexit", rows=flexit_rows)
        webhook_key = base64.b64encode(secrets.token_bytes(24)).decode()
        self.secrets: dict[str, str] = {
            **self.flexit.secrets,
            "GREENBYTE_FEED_TOKEN": secrets.token_urlsafe(16),
            "GREENBYTE_CLIENT_ID": secrets.token_hex(8),
            "GREENBYTE_CLIENT_SECRET": secrets.token_urlsafe(16),
            "GREENBYTE_WEBHOOK_SECRET": f"whsec_{webhook_key}",
        }
        self.greenbyte = GreenbyteApi(
            client_id=self.secrets["GREENBYTE_CLIENT_ID"],
            client_secret=self.secrets["GREENBYTE_CLIENT_SECRET"],
            feed_token=self.secrets["GREENBYTE_FEED_TOKEN"],
            webhook_secret=self.secrets["GREENBYTE_WEBHOOK_SECRET"],
            rows=greenbyte_rows,
        )

    def start(self) -> SandboxWorld:
        self.flexit.start()
        try:
            self.greenbyte.start()
        except BaseException:
            self.flexit.stop()
            raise
        return self

    def stop(self) -> None:
        try:
            self.greenbyte.stop()
        finally:
            self.flexit.stop()

    def config(
        self,
        *,
        flexit: Mapping[str, Any] | None = None,
        greenbyte: Mapping[str, Any] | None = None,
        platform: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Both example configs pointed at the sandbox, with optional overrides each."""
        document = self.flexit.config(overrides=flexit)
        gb = greenbyte_example()["greenbyte"]
        api = self.greenbyte
        for env in ("acceptance", "production"):
            _merge(
                gb.setdefault("environments", {}).setdefault(env, {}),
                {
                    "offers": {"auth": {"url": api.feed_url}},
                    "order": {"endpoint": api.orders_url, "auth": {"token_url": api.token_url}},
                },
            )
        if greenbyte:
            _merge(gb, greenbyte)
        document["greenbyte"] = gb
        if platform is not None:
            document["platform"] = dict(platform)
        return document

    def write_config(self, path: Path, **overrides: Any) -> Path:
        """Write :meth:`config` to ``path`` and return it."""
        path.write_text(json.dumps(self.config(**overrides), indent=2) + "\n")
        return path
