"""The status page under test: a FlexIT sandbox, a synced database, orders, and a server.

:func:`build_scene` makes the whole scene once per module: the FlexIT sandbox (real SFTP
server and order API) and the sandbox Odoo; a config with ``flexit``, ``staleshop`` (the
same feed, a fractional freshness limit) and ``acme`` (broken: a secret that is not
set); a feed with a row error and a hostile product name, synced over SFTP; orders left
in every state an operator acts on by real answers of the order API (500: uncertain,
422: rejected), one shipped (the sandbox ships it, a real poll reads it) and booked in
Odoo, one whose purchase order fails; and one monitoring run, as the scheduler does.

:func:`build_site` serves it from the status page's app on uvicorn in this process
(the plain-HTTP tests); :func:`serve_scene` starts a real ``irp serve`` on it (the
browser tests).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI

from irp.config import Config, load_config
from irp.feeds.sync import SyncRequest, sync_offers
from irp.monitoring.run import run_monitor
from irp.odoo.push import push_due
from irp.orders.cycle import submit_pass
from irp.orders.intake import accept_order
from irp.sandbox.flexit import FlexitSandbox, example_inbound_order
from irp.sandbox.odoo import OdooSimulator
from irp.shipments.poll import poll_shipments
from irp.store.db import Database, open_database
from irp.store.tables import orders
from irp.web import WebBackend, mount_status_page
from tests.integration.feeds.helpers import BASE_ROWS, feed_bytes
from tests.integration.service.support import IrpProcess, free_port, wait_for

TOKENS = {"alice": "alice-token-0123456789abcdef", "bob": "bob-token-0123456789abcdef01"}
HOSTILE_NAME = '<script>alert("x")</script><img src=x onerror=alert(1)> iPhone & co'
#: The feed: FlexIT's base rows, one with a hostile name, one with a price in the wrong
#: locale (a row error on line 8); staleshop reads the same file.
ROWS = (
    *BASE_ROWS,
    ("FLX-6", HOSTILE_NAME, "0194252707333", "2", "75,00", ""),
    ("FLX-7", "Broken price row", "", "1", "12.5", ""),
)
#: The broken refurbisher's secret that *is* set: it must never reach a page.
ACME_SECRETS = {"ACME_SFTP_PASSWORD": "acme-sftp-password-7d1f0c2b"}
ACME_ERROR = "acme.order.auth.token: ${ACME_TOKEN} is not set"
ODOO_SECRETS = {"IRP_ODOO_KEY": "0d00-web-scene-key-9a8b7c6d5e4f"}

#: The orders of the scene, by what an operator does with them.
UNCERTAIN = "5001"  # a 500: resolve it with the refurbisher's reference
RESEND = "5002"  # a 500: send it again
RETRY = "5003"  # a 422: rejected, retry it
CANCEL = "5004"  # a 500: cancel it
SHIPPED = "5005"  # accepted, shipped (a poll read it), booked in Odoo
NO_PRODUCT = "5006"  # accepted; its product is not in Odoo: the purchase order fails


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


@dataclass
class Scene:
    """The prepared scene: config file, database, the simulators, the ids to look for."""

    root: Path
    config_path: Path
    db_url: str
    sandbox: FlexitSandbox
    odoo: OdooSimulator
    run_id: int
    secrets: dict[str, str]
    references: dict[str, str] = field(default_factory=dict)

    def load_config(self) -> Config:
        with secrets_in_environment(self.secrets):
            return load_config(self.config_path, "acceptance")


@dataclass
class Site:
    """Everything a test of the page needs."""

    url: str
    config: Config
    db: Database
    sandbox: FlexitSandbox
    run_id: int
    uncertain_order: str
    secrets: dict[str, str]
    scene: Scene
    backend: WebBackend | None = None
    process: IrpProcess | None = None


def monitoring_overrides() -> dict[str, Any]:
    return {
        "monitoring": {
            "latest_order_hours": 48,
            "offers_stock_hours": 48,
            "open_order_days": 4,
            "offers_endpoint_status": 200,
        },
        "offers": {"settle_seconds": 0},
        "order": {"lookup": {"delay_seconds": 3600}},  # the operator acts, not a lookup
    }


def scene_document(sandbox: FlexitSandbox, odoo: OdooSimulator) -> dict[str, Any]:
    """FlexIT; ``staleshop``: the same feed, offers only, a freshness limit of about a
    second (0.0003 h); ``acme``: broken, its order token is not set."""
    document = sandbox.config(overrides=monitoring_overrides())
    flexit = document["flexit"]
    document["staleshop"] = {
        "name": "staleshop",
        "refurbisher_id": 16,
        "settings": {**flexit["settings"], "supplier_id": 11},
        "monitoring": {"offers_stock_hours": 0.0003},
        "offers": flexit["offers"],
    }
    acme = json.loads(json.dumps(flexit))
    acme.update(name="acme", refurbisher_id=17)
    acme["offers"]["auth"]["password"] = "${ACME_SFTP_PASSWORD}"
    acme["order"]["auth"] = {"type": "bearer", "token": "${ACME_TOKEN}"}
    document["acme"] = acme
    document["platform"] = {
        "monitor_every_seconds": 3600,  # the tests press "Check now"
        "service": {"sweep_seconds": 1},
        "odoo": odoo.platform_config("json2", api_key="${IRP_ODOO_KEY}"),
    }
    return document


def prepare(root: Path, db_url: str, sandbox: FlexitSandbox, odoo: OdooSimulator) -> Scene:
    """Write the config, sync, leave the orders in their states, run the checks once."""
    os.environ.pop("ACME_TOKEN", None)
    secrets = {**sandbox.secrets, **ACME_SECRETS, **ODOO_SECRETS}
    sandbox.feed_file.write_bytes(feed_bytes(ROWS))
    path = root / "irp.json"
    path.write_text(json.dumps(scene_document(sandbox, odoo), indent=2))
    scene = Scene(root, path, db_url, sandbox, odoo, 0, secrets)
    config = scene.load_config()
    assert list(config.broken) == ["acme"], config.broken
    db = open_database(db_url, "acceptance")
    try:
        with secrets_in_environment(secrets):
            report = sync_offers(
                db,
                SyncRequest(
                    refurbisher=config.refurbisher("flexit"),
                    config_dir=root,
                    config_hash=config.hash,
                ),
            )
            assert str(report.status) == "ok", report.message
            assert report.run_id is not None
            scene.run_id = report.run_id
            for order_id, sku, fault, state in (
                (UNCERTAIN, "FLX-1", "500", "uncertain"),
                (RESEND, "FLX-1", "500", "uncertain"),
                (RETRY, "FLX-3", "422", "rejected"),
                (CANCEL, "FLX-5", "500", "uncertain"),
                (SHIPPED, "FLX-1", None, "submitted"),
                (NO_PRODUCT, "FLX-3", None, "submitted"),
            ):
                _order_in_state(db, config, sandbox, order_id, sku, fault, state)
            scene.references = _references(db)
            sandbox.order_api.ship(scene.references[SHIPPED])
            polled = poll_shipments(db, config)
            assert SHIPPED in {r.order_id for r in polled}, polled
            odoo.add_product("FLX-1", barcode="0194252707319", name="iPhone 13 128GB")
            push_due(db, config)
            run_monitor(db, config)
    finally:
        db.close()
    return scene


def _order_in_state(
    db: Database,
    config: Config,
    sandbox: FlexitSandbox,
    order_id: str,
    sku: str,
    fault: str | None,
    state: str,
) -> None:
    order = example_inbound_order(
        id=order_id,
        order_number=f"IU-{order_id}",
        items=[{"sku": sku, "quantity": 1, "unit_price_tax_excl": "249.00"}],
    )
    assert accept_order(db, config, order).result == "accepted"
    if fault is not None:
        sandbox.order_api.inject(fault)
    results = submit_pass(db, config, "flexit")
    assert [(r.order_id, str(r.status)) for r in results] == [(order_id, state)], results


def _references(db: Database) -> dict[str, str]:
    """Order id -> the refurbisher's order number, for the orders it accepted."""
    with db.connect() as conn:
        rows = conn.execute(
            sa.select(orders.c.id, orders.c.external_reference).where(
                orders.c.external_reference.is_not(None)
            )
        ).all()
    return {str(row.id): str(row.external_reference) for row in rows}


@contextmanager
def build_scene(root: Path, db_url: str) -> Iterator[Scene]:
    """The simulators started and the scene prepared; everything stopped afterwards."""
    sandbox = FlexitSandbox(root / "sandbox", rows=5).start()
    odoo = OdooSimulator(api_key=ODOO_SECRETS["IRP_ODOO_KEY"]).start()
    try:
        yield prepare(root, db_url, sandbox, odoo)
    finally:
        odoo.stop()
        sandbox.stop()


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
    """The scene served by the status page's app on uvicorn, in this process: "sync
    now" and "check now" run at once, in the request."""
    with build_scene(root, db_url) as scene, secrets_in_environment(scene.secrets):
        config = scene.load_config()
        db = open_database(db_url, "acceptance")

        def queue_sync(name: str) -> bool:
            ref = config.refurbisher(name)
            sync_offers(db, SyncRequest(refurbisher=ref, config_dir=root, config_hash=config.hash))
            return True

        def queue_checks() -> bool:
            run_monitor(db, config)
            return True

        backend = WebBackend(
            config=lambda: config,
            db=db,
            tokens=StaticTokens(TOKENS),
            queue_sync=queue_sync,
            queue_checks=queue_checks,
            secure_cookies=True,
        )
        server = ServerThread(status_app(backend))
        url = server.start()
        try:
            yield Site(
                url, config, db, scene.sandbox, scene.run_id, UNCERTAIN, scene.secrets, scene,
                backend=backend,
            )  # fmt: skip
        finally:
            server.stop()
            db.close()


def irp_environment(scene: Scene, env: str = "acceptance", **extra: str) -> dict[str, str]:
    """The environment an ``irp`` process of the scene runs with (tokens, secrets)."""
    values = {**os.environ, **scene.secrets, **extra}
    values["IRP_API_TOKENS"] = ",".join(f"{name}:{token}" for name, token in TOKENS.items())
    values["IRP_ENV"] = env
    for inherited in ("IRP_CONFIG", "IRP_DATABASE_URL", "IRP_QUEUE_URL", "IRP_QUEUE_NAME"):
        values.pop(inherited, None)
    values.pop("ACME_TOKEN", None)
    return values


@contextmanager
def irp_serve(
    config_path: Path, db_url: str, env: dict[str, str], log: Path, port: int | None = None
) -> Iterator[tuple[str, IrpProcess]]:
    """A real ``irp serve`` (API, scheduler, a worker) on 127.0.0.1, once /healthz is 200."""
    port = port or free_port()
    args = ["--config", str(config_path), "--db", db_url, "serve", "--port", str(port)]
    process = IrpProcess(args, env, log)
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        if process.proc.poll() is not None:
            raise AssertionError(f"irp serve exited: {log.read_text()}")
        try:
            return httpx.get(url + "/healthz", timeout=5).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_for(healthy, "irp serve answers /healthz")
        yield url, process
    finally:
        process.stop()


@contextmanager
def serve_scene(root: Path) -> Iterator[Site]:
    """The scene (SQLite) served by a real ``irp serve`` process."""
    db_url = f"sqlite:///{root / 'irp-acceptance.db'}"
    with build_scene(root, db_url) as scene:
        env = irp_environment(scene)
        with irp_serve(scene.config_path, db_url, env, root / "serve.log") as (url, process):
            config = scene.load_config()
            db = open_database(db_url, "acceptance")
            try:
                yield Site(
                    url, config, db, scene.sandbox, scene.run_id, UNCERTAIN, scene.secrets,
                    scene, process=process,
                )  # fmt: skip
            finally:
                db.close()
