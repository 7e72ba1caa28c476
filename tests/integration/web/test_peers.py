"""Acceptance and production side by side: two real ``irp serve`` instances, one file.

Each instance serves its own environment's database and reads the other through
``platform.peers`` (its ``GET /api/refurbishers``, with a token of that instance). The
file gives production a fractional freshness limit of its own
(``environments.production.monitoring``), so the same refurbisher is healthy in
acceptance and failing in production — and each page shows both, with the values the
other instance's API gives; a refurbisher broken only in production (its secret is not
set there) is red in the production column of both pages. A peer that stops answering
is shown unreachable with the reason; without a peer the column says "not connected"
(test_browser).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from irp.sandbox.flexit import FlexitSandbox
from irp.store.tables import monitor_results, sync_runs
from tests.integration.service.support import IrpProcess, free_port, wait_for
from tests.integration.web.browser import chromium
from tests.integration.web.support import TOKENS, irp_serve
from tests.integration.web.test_browser import shoot

PEER_TOKENS = {
    "IRP_ACC_TOKEN": "acc-peer-token-5e4d3c2b1a09",
    "IRP_PROD_TOKEN": "prod-peer-token-0a1b2c3d4e5f",
}
BEARER = {"Authorization": f"Bearer {TOKENS['alice']}"}


@dataclass
class Instance:
    env: str
    url: str
    process: IrpProcess
    db_url: str


@dataclass
class Pair:
    acceptance: Instance
    production: Instance
    secrets: dict[str, str]


def peer_document(sandbox: FlexitSandbox, acc_url: str, prod_url: str) -> dict[str, Any]:
    """FlexIT's feed (offers only) with a production-only freshness limit of ~1 s."""
    document = sandbox.config(
        overrides={
            "monitoring": {"offers_stock_hours": 48, "offers_endpoint_status": 200},
            "offers": {"settle_seconds": 0},
        }
    )
    flexit = document["flexit"]
    for part in ("order", "shipment_poll"):
        flexit.pop(part, None)
    flexit["environments"] = {
        "acceptance": {},
        "production": {"monitoring": {"offers_stock_hours": 0.0003}},
    }
    # acme: the same feed with a password of its own, set only where acceptance runs.
    acme = json.loads(json.dumps(flexit))
    acme.update(name="acme", refurbisher_id=17, monitoring={})
    acme["offers"]["auth"]["password"] = "${ACME_SFTP_PASSWORD}"
    acme["environments"] = {"acceptance": {}, "production": {}}
    document["acme"] = acme
    document["platform"] = {
        "monitor_every_seconds": 3600,
        "peers": {"production": {"url": prod_url, "token": "${IRP_PROD_TOKEN}"}},
        "environments": {
            "production": {"peers": {"acceptance": {"url": acc_url, "token": "${IRP_ACC_TOKEN}"}}}
        },
    }
    return document


def environment(
    sandbox: FlexitSandbox, env: str, peer_name: str, peer_token: str
) -> dict[str, str]:
    """The instance's environment: the secrets, and its API tokens plus the peer's."""
    values = {**os.environ, **sandbox.secrets, **PEER_TOKENS, "IRP_ENV": env}
    for inherited in ("IRP_CONFIG", "IRP_DATABASE_URL", "IRP_QUEUE_URL", "IRP_QUEUE_NAME"):
        values.pop(inherited, None)
    tokens = {**TOKENS, peer_name: peer_token}
    values["IRP_API_TOKENS"] = ",".join(f"{name}:{token}" for name, token in tokens.items())
    return values


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    root = tmp_path_factory.mktemp("web-peers")
    with FlexitSandbox(root / "sandbox", rows=5) as sandbox:
        acc_port, prod_port = free_port(), free_port()
        acc_url, prod_url = f"http://127.0.0.1:{acc_port}", f"http://127.0.0.1:{prod_port}"
        config = root / "irp.json"
        config.write_text(json.dumps(peer_document(sandbox, acc_url, prod_url), indent=2))
        # Each instance knows the token the other one presents.
        acc_env = environment(
            sandbox, "acceptance", "production-peer", PEER_TOKENS["IRP_ACC_TOKEN"]
        )
        prod_env = environment(
            sandbox, "production", "acceptance-peer", PEER_TOKENS["IRP_PROD_TOKEN"]
        )
        acc_env["ACME_SFTP_PASSWORD"] = sandbox.secrets["FLEXIT_SFTP_PASSWORD"]
        prod_env.pop("ACME_SFTP_PASSWORD", None)
        acc_db, prod_db = f"sqlite:///{root / 'acc.db'}", f"sqlite:///{root / 'prod.db'}"
        with (
            irp_serve(config, acc_db, acc_env, root / "acc.log", acc_port) as (_, acc),
            irp_serve(config, prod_db, prod_env, root / "prod.log", prod_port) as (_, prod),
        ):
            pair = Pair(
                Instance("acceptance", acc_url, acc, acc_db),
                Instance("production", prod_url, prod, prod_db),
                dict(sandbox.secrets),
            )
            for instance in (pair.acceptance, pair.production):
                checked_after_a_sync(instance)
            yield pair


def api_checks(instance: Instance) -> list[dict[str, Any]]:
    answer = httpx.get(instance.url + "/api/refurbishers", headers=BEARER, timeout=10)
    assert answer.status_code == 200, answer.text
    flexit = next(entry for entry in answer.json() if entry["name"] == "flexit")
    checks: list[dict[str, Any]] = flexit["checks"]
    return checks


def checked_after_a_sync(instance: Instance) -> None:
    """Sync now and Check now (as a script: bearer, no CSRF) until the stored checks
    judge a synced feed that is older than production's 1-second limit."""
    queued = httpx.post(
        instance.url + "/refurbishers/flexit/sync", headers=BEARER, data={"go": "1"}
    )
    assert queued.status_code == 303

    def judged() -> bool:
        httpx.post(instance.url + "/checks", headers=BEARER, data={"next": "/"})
        stock = next((c for c in api_checks(instance) if c["check"] == "offers_stock"), None)
        if stock is None or stock["value"] is None or stock["value"] <= 0.0003:
            return False
        return judged_after_every_sync(instance.db_url)

    wait_for(judged, f"{instance.env}: offers_stock judged after a sync")


def judged_after_every_sync(db_url: str) -> bool:
    """No sync runs, and the stored checks are newer than the last one that ended (the
    scheduler syncs at start too). Read from the instance's own database file: its API
    does not say when the checks ran."""
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            running = conn.execute(
                sa.select(sa.func.count()).where(sync_runs.c.status == "running")
            ).scalar_one()
            ended = conn.execute(sa.select(sa.func.max(sync_runs.c.finished_at))).scalar()
            checked = conn.execute(sa.select(sa.func.min(monitor_results.c.checked_at))).scalar()
    finally:
        engine.dispose()
    return running == 0 and ended is not None and checked is not None and checked > ended


def cell(page: str, env: str, key: str = "flexit") -> tuple[str, list[str], str]:
    """(state, problems, summary) of ``key``'s cell for ``env``."""
    row = re.search(rf'<tr id="row-{key}">(.*?)</tr>', page, re.S)
    assert row is not None, page
    found = re.search(
        rf'<td class="cell state-(\w+)" data-env="{env}"[^>]*>(.*?)</td>', row.group(1), re.S
    )
    assert found is not None, row.group(1)
    problems = re.findall(r"<li>(.*?)</li>", found.group(2))
    summary = re.search(r'<span class="summary">(.*?)</span>', found.group(2))
    assert summary is not None
    return found.group(1), problems, summary.group(1)


def escaped(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def test_each_instance_shows_both_environments_until_one_stops_answering(pair: Pair) -> None:
    """One test, in this order: the production instance is stopped at the end."""
    both_environments_with_the_others_values(pair)
    in_the_browser(pair)
    a_peer_that_stops_answering_is_shown_unreachable_with_the_reason(pair)


def both_environments_with_the_others_values(pair: Pair) -> None:
    acc_checks, prod_checks = api_checks(pair.acceptance), api_checks(pair.production)
    prod_stock = next(c for c in prod_checks if c["check"] == "offers_stock")
    acc_stock = next(c for c in acc_checks if c["check"] == "offers_stock")
    assert (acc_stock["ok"], acc_stock["threshold"]) == (True, 48)
    assert (prod_stock["ok"], prod_stock["threshold"]) == (False, 0.0003)
    failing = [escaped(c["detail"]) for c in prod_checks if not c["ok"]]
    assert failing == [escaped(prod_stock["detail"])]

    on_acceptance = httpx.get(pair.acceptance.url + "/", headers=BEARER).text
    assert cell(on_acceptance, "acceptance") == ("ok", [], f"all {len(acc_checks)} checks pass")
    assert cell(on_acceptance, "production") == (
        "fail", failing, f"1 of {len(prod_checks)} checks failing",
    )  # fmt: skip
    assert f'href="{pair.production.url}/refurbishers/flexit#sync">Sync now</a>' in on_acceptance

    on_production = httpx.get(pair.production.url + "/", headers=BEARER).text
    assert cell(on_production, "production") == (
        "fail", failing, f"1 of {len(prod_checks)} checks failing",
    )  # fmt: skip
    assert cell(on_production, "acceptance") == ("ok", [], f"all {len(acc_checks)} checks pass")
    broken = "acme.offers.auth.password: ${ACME_SFTP_PASSWORD} is not set"
    assert cell(on_production, "production", "acme") == ("fail", [broken], "config broken")
    assert cell(on_acceptance, "production", "acme") == ("fail", [broken], "config broken")
    assert cell(on_acceptance, "acceptance", "acme")[0] == "ok", cell(
        on_acceptance, "acceptance", "acme"
    )
    assert f'href="{pair.production.url}/refurbishers/acme">See how to fix it</a>' in on_acceptance
    for page in (on_acceptance, on_production):
        for token in [*PEER_TOKENS.values(), *pair.secrets.values()]:
            assert token not in page


def in_the_browser(pair: Pair) -> None:
    """What a person sees on the acceptance instance (and the README's screenshot)."""
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(pair.acceptance.url + "/")
        page.get_by_label("API token").fill(TOKENS["alice"])
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(pair.acceptance.url + "/")
        production = page.locator('#row-flexit td[data-env="production"]')
        assert production.locator(".badge").inner_text() == "Failing"
        assert re.fullmatch(
            r"last sync (ok|unchanged), \d+ (s|min) ago",
            production.locator(".meta").last.inner_text(),
        )
        assert page.locator('#row-flexit td[data-env="acceptance"] .badge').inner_text() == (
            "Healthy"
        )
        attention = page.locator(".attention li", has_text="flexit in production")
        assert attention.get_by_role("link", name="Sync now").get_attribute("href") == (
            f"{pair.production.url}/refurbishers/flexit#sync"
        )
        shoot(page, "overview-peers")


def a_peer_that_stops_answering_is_shown_unreachable_with_the_reason(pair: Pair) -> None:
    pair.production.process.stop()
    down = f"cannot reach {pair.production.url}/api/refurbishers: ConnectError"

    def unreachable() -> tuple[str, list[str], str] | None:
        page = httpx.get(pair.acceptance.url + "/", headers=BEARER).text
        found = cell(page, "production")
        return found if found[2] == "peer unreachable" else None  # after the 15 s cache

    assert wait_for(unreachable, "the production cell turns unreachable") == (
        "warn", [escaped(down)], "peer unreachable",
    )  # fmt: skip
    page = httpx.get(pair.acceptance.url + "/", headers=BEARER).text
    assert cell(page, "acceptance")[0] == "ok"
