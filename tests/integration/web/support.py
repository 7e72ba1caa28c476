"""The status page under test: a FlexIT sandbox, a synced database, orders, and a server.

:func:`build_site` makes the whole scene once per module: the FlexIT sandbox (real SFTP
server and order API), a feed with a row error and a hostile product name, a sync over
SFTP, an order made uncertain by a real 500 from the order API, and the status page
served by uvicorn on a free port.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from irp.config import Config, load_config
from irp.feeds.sync import SyncRequest, sync_offers
from irp.orders.cycle import submit_pass
from irp.orders.intake import accept_order
from irp.sandbox.flexit import FlexitSandbox, example_inbound_order
from irp.store.db import Database, open_database
from irp.web import WebBackend, mount_status_page
from tests.integration.feeds.helpers import BASE_ROWS, feed_bytes

TOKENS = {"alice": "alice-token-0123456789abcdef", "bob": "bob-token-0123456789abcdef01"}
HOSTILE_NAME = '<script>alert("x")</script><img src=x onerror=alert(1)> iPhone & co'
#: The feed: FlexIT's base rows, one with a hostile name, one with a price in the wrong
#: locale (a row error on line 8), and a stale-shop copy uses the same file.
ROWS = (
    *BASE_ROWS,
    ("FLX-6", HOSTILE_NAME, "0194252707333", "2", "75,00", ""),
    ("FLX-7", "Broken price row", "", "1", "12.5", ""),
)
ROW_ERROR_CSV = "line,column,message,sku\n8,Sales Price,{message},FLX-7\n"


class StaticTokens:
    """``IRP_API_TOKENS`` as the page sees them (name -> token), compared in constant time."""

    def __init__(self, tokens: dict[str, str]) -> None:
        self._digests = {n: hashlib.sha256(t.encode()).digest() for n, t in tokens.items()}
        self._secrets = frozenset(tokens.values())

    @property
    def names(self) -> list[str]:
        return list(self._digests)

    @property
    def secrets(self) -> frozenset[str]:
        return self._secrets

    def identify(self, presented: str) -> str | None:
        digest = hashlib.sha256(presented.encode("utf-8", "surrogateescape")).digest()
        found = None
        for name, expected in self._digests.items():
            if hmac.compare_digest(digest, expected):
                found = name
        return found


@dataclass
class Site:
    """Everything a test of the page needs."""

    url: str
    config: Config
    db: Database
    sandbox: FlexitSandbox
    backend: WebBackend
    run_id: int
    uncertain_order: str
    secrets: dict[str, str]


def monitoring_overrides() -> dict[str, Any]:
    return {
        "monitoring": {
            "latest_order_hours": 48,
            "offers_stock_hours": 48,
            "open_order_days": 4,
            "offers_endpoint_status": 200,
        }
    }


def write_site_config(sandbox: FlexitSandbox, path: Path) -> Path:
    """FlexIT, plus ``staleshop``: the same feed, offers only, a 1-second freshness limit."""
    import json

    document = sandbox.config(overrides=monitoring_overrides())
    staleshop = {
        "name": "staleshop",
        "refurbisher_id": 16,
        "settings": {**document["flexit"]["settings"], "supplier_id": 11},
        "monitoring": {"offers_stock_hours": 0.0003},
        "offers": document["flexit"]["offers"],
    }
    document["staleshop"] = staleshop
    path.write_text(json.dumps(document, indent=2))
    return path


@contextmanager
def secrets_in_environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def prepare(root: Path, db_url: str, sandbox: FlexitSandbox) -> tuple[Config, Database, int, str]:
    """Config, a synced database with an uncertain order: the scene the pages show."""
    sandbox.feed_file.write_bytes(feed_bytes(ROWS))
    config = load_config(write_site_config(sandbox, root / "irp.json"), "acceptance")
    db = open_database(db_url, "acceptance")
    report = sync_offers(
        db,
        SyncRequest(
            refurbisher=config.refurbisher("flexit"), config_dir=root, config_hash=config.hash
        ),
    )
    assert str(report.status) == "ok", report.message
    order = example_inbound_order(
        id="5001", items=[{"sku": "FLX-1", "quantity": 1, "unit_price_tax_excl": "249.00"}]
    )
    assert accept_order(db, config, order).result == "accepted"
    sandbox.order_api.inject("500")
    results = submit_pass(db, config, "flexit")
    assert [r.status for r in results] == ["uncertain"], results
    assert report.run_id is not None
    return config, db, report.run_id, "5001"


class ServerThread:
    """uvicorn serving ``app`` on 127.0.0.1 and a free port, in a thread."""

    def __init__(self, app: FastAPI) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the status page server did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def status_app(backend: WebBackend) -> FastAPI:
    app = FastAPI()
    mount_status_page(app, backend)
    return app


@contextmanager
def build_site(root: Path, db_url: str) -> Iterator[Site]:
    """The whole scene, served; torn down afterwards."""
    sandbox = FlexitSandbox(root / "sandbox", rows=5).start()
    try:
        with secrets_in_environment(sandbox.secrets):
            config, db, run_id, order_id = prepare(root, db_url, sandbox)
            synced: list[str] = []

            def queue_sync(name: str) -> bool:
                ref = config.refurbisher(name)
                sync_offers(
                    db, SyncRequest(refurbisher=ref, config_dir=root, config_hash=config.hash)
                )
                synced.append(name)
                return True

            backend = WebBackend(
                config=lambda: config,
                db=db,
                tokens=StaticTokens(TOKENS),
                queue_sync=queue_sync,
                secure_cookies=True,
            )
            server = ServerThread(status_app(backend))
            url = server.start()
            try:
                yield Site(
                    url, config, db, sandbox, backend, run_id, order_id, dict(sandbox.secrets)
                )
            finally:
                server.stop()
                db.close()
    finally:
        sandbox.stop()
