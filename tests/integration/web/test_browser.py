"""The status page in a real browser (headless Chromium): what an operator does with it.

One browser and one site per module; each test opens its own context (cookies). The
screenshots in docs/screenshots/ are taken here, from the same scene.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa

from irp.store.tables import alerts, order_actions, shipment_events
from tests.integration.web.browser import SCREENSHOTS, chromium
from tests.integration.web.support import TOKENS, Site, build_site

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

DEADLINE_SECONDS = 60


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("web-browser")
    with build_site(root, f"sqlite:///{root / 'irp-acceptance.db'}") as built:
        _alerts_to_show(built)
        yield built


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    try:
        yield context.new_page()
    finally:
        context.close()


def _alerts_to_show(site: Site) -> None:
    """An open and a resolved alert and an unmatched shipment event, as monitoring and the
    shipment webhook store them."""
    now = site.db.now()
    with site.db.begin() as conn:
        conn.execute(
            sa.insert(alerts),
            [
                {
                    "refurbisher": "flexit",
                    "check": "offers_endpoint",
                    "opened_at": now - timedelta(hours=2),
                    "resolved_at": None,
                    "detail": "sftp.flexitdistribution.com: login refused (401)",
                },
                {
                    "refurbisher": "flexit",
                    "check": "latest_order",
                    "opened_at": now - timedelta(days=2),
                    "resolved_at": now - timedelta(days=1),
                    "detail": "last order 51 h ago > 48 h",
                },
            ],
        )
        conn.execute(
            sa.insert(shipment_events).values(
                refurbisher="flexit",
                received_at=now - timedelta(minutes=30),
                payload={"OrderNumber": "FX-UNKNOWN-1", "TrackingCode": "3SABC123"},
                dedup_key="test-unmatched-1",
            )
        )


def log_in(page: Page, site: Site, path: str = "/", name: str = "alice") -> None:
    page.goto(site.url + path)
    page.get_by_label("API token").fill(TOKENS[name])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(re.escape(site.url + path) + r"$"))


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_log_in_and_open_the_overview(page: Page, site: Site) -> None:
    log_in(page, site)
    assert page.title() == "Overview · IRP acceptance"
    row = page.locator("#row-flexit")
    cells = row.locator("td").all_inner_texts()
    assert cells[:5] == [
        "15",
        "10",
        "sftp · csv · password",
        "web · client_id_secret",
        "Not configured",
    ]
    acceptance = row.locator('td[data-env="acceptance"]')
    assert acceptance.get_attribute("class") == "cell state-ok"
    assert acceptance.locator(".badge").inner_text() == "Healthy"
    production = row.locator('td[data-env="production"]')
    assert production.locator(".summary").inner_text() == "not connected"
    shoot(page, "overview")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(page, "overview-phone")


def test_a_stale_sync_shows_a_red_check_with_the_failing_value(page: Page, site: Site) -> None:
    log_in(page, site, "/refurbishers/staleshop")
    page.get_by_role("button", name="Sync now").click()
    flash = page.locator(".flash")
    assert flash.inner_text() == (
        "sync of staleshop queued by alice; its run appears below when it ends (reload)"
    )
    cell = page.locator('#row-staleshop td[data-env="acceptance"]')
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        page.goto(site.url + "/")
        problems = cell.locator(".problems li").all_inner_texts()
        if problems and re.fullmatch(r"feed published \d+ s ago > 0\.0003 h", problems[0]):
            break
        assert time.monotonic() < deadline, problems
        time.sleep(0.5)
    assert cell.get_attribute("class") == "cell state-fail"
    assert cell.locator(".badge").inner_text() == "Failing"
    attention = page.locator(".attention li.state-fail", has_text="staleshop")
    assert re.fullmatch(
        r"staleshop in acceptance: Failing — feed published \d+ s ago > 0\.0003 h",
        attention.inner_text(),
    )


def test_resolve_an_uncertain_order_through_the_page(page: Page, site: Site) -> None:
    log_in(page, site, "/orders?state=uncertain")
    page.get_by_role("link", name="5001").click()
    assert page.locator("#order-status").inner_text() == "uncertain"
    form = page.locator("details.action", has_text="resolve with the refurbisher's reference")
    form.get_by_label("Refurbisher's order number").fill("FX-778899")
    form.get_by_label("Reason").fill("found in the FlexIT portal")
    form.get_by_label("I found this order at the refurbisher under this number").check()
    form.get_by_role("button", name="Resolve as submitted").click()
    page.wait_for_url(site.url + "/orders/5001")
    assert page.locator(".flash").inner_text() == (
        "5001: uncertain -> submitted with reference FX-778899"
    )
    assert page.locator("#order-status").inner_text() == "submitted"
    assert page.locator("#order-reference").inner_text() == "FX-778899"
    action = page.locator(".timeline .event-action")
    assert action.locator("strong").inner_text() == (
        "resolve_external_ref by alice: uncertain → submitted"
    )
    assert action.locator("div", has_text="Reason:").last.inner_text() == (
        "Reason: found in the FlexIT portal"
    )
    with site.db.connect() as conn:
        recorded = conn.execute(
            sa.select(order_actions.c.action, order_actions.c.actor, order_actions.c.reason)
        ).all()
    assert [tuple(r) for r in recorded] == [
        ("resolve_external_ref", "alice", "found in the FlexIT portal")
    ]
    page.locator(".timeline details summary", has_text="Request").first.click()
    shoot(page, "orders-timeline")


def test_download_the_row_errors_of_a_sync_as_csv(page: Page, site: Site, tmp_path: Path) -> None:
    log_in(page, site, "/refurbishers/flexit")
    shoot(page, "refurbisher")
    run = page.locator(f"#run-{site.run_id}")
    with page.expect_download() as info:
        run.get_by_role("link", name="CSV").click()
    download = info.value
    assert download.suggested_filename == f"flexit-run-{site.run_id}-row-errors.csv"
    saved = tmp_path / "errors.csv"
    download.save_as(saved)
    assert (
        saved.read_text()
        == "line,column,message,sku\n8,Sales Price,not a number in nl_NL: '12.5',FLX-7\n"
    )


def test_find_an_offer_by_ean_and_open_its_price_breakdown(page: Page, site: Site) -> None:
    log_in(page, site, "/offers")
    page.get_by_label("SKU, EAN or name").fill("0194252707326")
    page.get_by_label("Refurbisher").select_option("flexit")  # staleshop reads the same feed
    page.get_by_role("button", name="Search").click()
    rows = page.locator("table.offers tbody tr")
    assert rows.count() == 1
    assert rows.first.locator("td").all_inner_texts() == [
        "flexit", "FLX-2", 'Apple MacBook Pro 14" – Grade B', "0194252707326",
        "0", "1249.00", "1476.75", "no",
    ]  # fmt: skip
    page.get_by_label("SKU, EAN or name").fill("")
    page.get_by_role("button", name="Search").click()
    shoot(page, "offers")
    page.goto(site.url + "/offers?q=0194252707326&refurbisher=flexit")
    page.get_by_role("link", name="FLX-2").click()
    breakdown = page.locator("table.breakdown")
    assert breakdown.locator("tr.total td").inner_text() == "1476.75"


def test_alerts_show_open_resolved_and_unmatched(page: Page, site: Site) -> None:
    log_in(page, site, "/alerts")
    open_rows = page.locator("table.alerts tbody tr")
    assert open_rows.count() == 1
    assert open_rows.first.locator("td").all_inner_texts()[1:2] == ["offers_endpoint"]
    assert page.get_by_role("heading", name="Unmatched shipment events (1)").is_visible()
    shoot(page, "alerts")


def test_without_login_the_page_is_refused(browser: Browser, site: Site) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(site.url + "/orders/5001")
        assert page.url == site.url + "/login?next=%2Forders%2F5001"
        text = page.content()
        for word in ("5001</", "FX-", "flexit", "FLX-"):
            assert word not in text
        assert page.get_by_label("API token").is_visible()
    finally:
        context.close()
