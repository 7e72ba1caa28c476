"""The status page in a real browser (headless Chromium) against a real ``irp serve``.

One ``irp serve`` process (API, scheduler, worker) serves the scene of
:mod:`tests.integration.web.support` for the module; each test opens its own browser
context (cookies). "Sync now" and "Check now" go through the service's queue to its
worker, as in production. Screenshots for docs/screenshots/ are written only with
``IRP_SCREENSHOTS=1`` (see DEVELOPERS.md), so a test run never changes tracked files.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa

from irp.store.tables import alerts, order_actions, shipments
from tests.integration.feeds.helpers import feed_bytes
from tests.integration.web.browser import SCREENSHOTS, chromium
from tests.integration.web.support import ACME_ERROR, ROWS, SHIPPED, TOKENS, Site, serve_scene

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

DEADLINE_SECONDS = 60
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("web-browser")
    with serve_scene(root) as served:
        _history_to_show(served)
        yield served


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


def _history_to_show(site: Site) -> None:
    """A resolved alert of last week and an unmatched shipment event, as monitoring and
    the shipment webhook store them (the open alerts are the scene's own)."""
    now = site.db.now()
    with site.db.begin() as conn:
        conn.execute(
            sa.insert(alerts).values(
                refurbisher="flexit",
                check="latest_order",
                raised_at=now - timedelta(days=7),
                resolved_at=now - timedelta(days=6),
                detail="last order 5000 submitted 51.0 h ago, more than 48 h",
            )
        )
        conn.execute(
            sa.insert(shipments).values(
                refurbisher="flexit",
                shipment_key="t:3SABC123",
                external_reference="FX-UNKNOWN-1",
                status="shipped",
                tracking_code="3SABC123",
                source="webhook",
                received_at=now - timedelta(minutes=30),
                updated_at=now - timedelta(minutes=30),
                raw={"OrderNumber": "FX-UNKNOWN-1", "TrackingCode": "3SABC123"},
            )
        )


def log_in(page: Page, site: Site, path: str = "/", name: str = "alice") -> None:
    page.goto(site.url + path)
    page.get_by_label("API token").fill(TOKENS[name])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(re.escape(site.url + path) + r"$"))


def shoot(page: Page, name: str) -> None:
    """A full-page screenshot for the docs, only when ``IRP_SCREENSHOTS=1``."""
    if os.environ.get("IRP_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def reload_until(page: Page, url: str, ready: object, what: str) -> None:
    """Open ``url`` again until ``ready()`` is true (the worker runs in its own time)."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        page.goto(url)
        if ready():  # type: ignore[operator]
            return
        assert time.monotonic() < deadline, f"{what}: not within {DEADLINE_SECONDS} s"
        time.sleep(0.5)


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
    assert acceptance.locator(".summary").inner_text() == "all 7 checks pass"
    assert re.fullmatch(r"checked \d+ (s|min) ago", acceptance.locator(".meta").last.inner_text())
    production = row.locator('td[data-env="production"]')
    assert production.locator(".summary").inner_text() == "not connected"
    acme = page.locator('#row-acme td[data-env="acceptance"]')
    assert acme.get_attribute("class") == "cell state-fail"
    assert acme.locator(".summary").inner_text() == "config broken"
    assert acme.locator(".problems li").all_inner_texts() == [ACME_ERROR]
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.body.scrollWidth") <= PHONE["width"]


def sync_now(page: Page, site: Site, key: str) -> list[str]:
    """Press "Sync now" on ``key``'s page; the cells of the new run once it ended."""
    page.goto(f"{site.url}/refurbishers/{key}")
    ids = page.locator("table.runs tbody tr").evaluate_all("rows => rows.map(r => r.id)")
    page.get_by_role("button", name="Sync now").click()
    assert page.locator(".flash").inner_text() == (
        f"sync of {key} queued by alice; its run appears below when it ends (reload)"
    )

    def finished() -> bool:
        newest = page.locator("table.runs tbody tr").first
        return newest.get_attribute("id") not in ids and (
            newest.locator("td").nth(3).inner_text() != "running"
        )

    reload_until(page, f"{site.url}/refurbishers/{key}", finished, f"the queued sync of {key}")
    return page.locator("table.runs tbody tr").first.locator("td").all_inner_texts()


def test_sync_now_runs_the_sync_and_the_history_shows_it(page: Page, site: Site) -> None:
    added = ("FLX-8", "Fairphone 4 – Grade A", "8718819372714", "4", "299,00", "")
    site.sandbox.feed_file.write_bytes(feed_bytes((*ROWS, added)))
    log_in(page, site, "/refurbishers/flexit")
    cells = sync_now(page, site, "flexit")
    assert int(cells[0]) > site.run_id
    assert cells[2] == "ok"
    assert re.fullmatch(r"\d+\.\d s", cells[3])
    # rows, valid, invalid, created, updated, unchanged, unlisted, row errors
    assert cells[4:11] == ["8", "7", "1", "1", "0", "6", "0"]
    assert cells[11] == "1 · CSV"


def test_a_stale_sync_shows_a_red_check_and_what_to_do(page: Page, site: Site) -> None:
    log_in(page, site, "/refurbishers/staleshop")
    assert sync_now(page, site, "staleshop")[2] in ("ok", "unchanged")
    cell = page.locator('#row-staleshop td[data-env="acceptance"]')
    stale = re.compile(
        r"newest feed version published \d+ (s|min) ago \(.+\), more than 0\.0003 h: the "
        r"supplier's export may have stopped, ask staleshop and check `irp offers sync "
        r"staleshop`; its stock is unlisted after 72 h"
    )

    def checked_stale() -> bool:
        problems = cell.locator(".problems li").all_inner_texts()
        return bool(problems) and stale.fullmatch(problems[0]) is not None

    deadline = time.monotonic() + DEADLINE_SECONDS
    page.goto(site.url + "/")
    while not checked_stale():
        assert time.monotonic() < deadline, cell.inner_text()
        page.get_by_role("button", name="Check now").click()
        assert page.locator(".flash").inner_text().startswith("checks queued by alice")
        time.sleep(0.5)
        page.goto(site.url + "/")
    assert cell.get_attribute("class") == "cell state-fail"
    assert cell.locator(".badge").inner_text() == "Failing"
    attention = page.locator(".attention li.state-fail", has_text="staleshop in acceptance")
    assert stale.search(attention.locator(".why").inner_text())
    fix = attention.get_by_role("link", name="Sync now")
    assert fix.get_attribute("href") == "/refurbishers/staleshop#sync"
    shoot(page, "overview")
    page.set_viewport_size(PHONE)
    shoot(page, "overview-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    fix.click()
    assert page.locator("#threshold-offers_stock_hours").get_attribute("class") == "state-fail"
    assert page.get_by_role("button", name="Sync now").is_visible()


def test_resolve_an_uncertain_order_through_the_page(page: Page, site: Site) -> None:
    log_in(page, site, "/orders?state=uncertain")
    page.get_by_role("link", name="5001").click()
    assert page.locator("#order-status").inner_text() == "uncertain"
    assert page.locator("#order-explain").inner_text() == (
        "The answer to our request was lost, so the refurbisher may or may not have this "
        "order. Look for document number 5001 in their portal, then below: resolve it with "
        "their order number if it is there, send it again if it is not, or cancel it."
    )
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
            sa.select(order_actions.c.action, order_actions.c.actor, order_actions.c.reason).where(
                order_actions.c.order_id == "5001"
            )
        ).all()
    assert [tuple(r) for r in recorded] == [
        ("resolve_external_ref", "alice", "found in the FlexIT portal")
    ]


def test_an_order_timeline_with_its_parcel_and_purchase_order(page: Page, site: Site) -> None:
    log_in(page, site, f"/orders/{SHIPPED}")
    tracking = page.locator("table.parcels").get_by_role("link")
    assert (
        tracking.get_attribute("href", timeout=5000)
        == (site.sandbox.order_api.ship(site.scene.references[SHIPPED])["TrackingUrl"])
    )
    assert page.locator("#order-odoo").inner_text() == "P00001 (id 1)"
    kinds = page.locator(".timeline li").evaluate_all("items => items.map(i => i.className)")
    assert "event event-shipment" in kinds and "event event-odoo" in kinds
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
    opened = [row.locator("td").all_inner_texts()[:2] for row in open_rows.all()]
    assert ["staleshop", "offers_stock"] in opened
    assert page.get_by_role("heading", name="Unmatched shipment events (1)").is_visible()
    assert page.get_by_role("heading", name=re.compile(r"Resolved \(latest [1-9]")).is_visible()
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


#: What sticks out on the right (for the failure message), outside the scrolling tables.
WIDE = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .filter(e => !e.closest('.table-wrap'))
  .map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)"""

#: Every form control a person can reach has a name a screen reader reads out.
UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter(e => e.type !== 'hidden')
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
               && !(e.tagName === 'BUTTON' && e.textContent.trim()))
  .map(e => e.outerHTML)"""

#: The contrast ratio (WCAG 2) of every element's text on its nearest opaque background.
LOW_CONTRAST = """(minimum) => {
  const rgb = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92
                                   : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const background = (e) => {
    for (; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] === 1)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const low = [];
  for (const e of document.querySelectorAll('body *')) {
    const own = [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || !e.getClientRects().length) continue;
    const a = lum(rgb(getComputedStyle(e).color).slice(0, 3)), b = lum(background(e));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < minimum) low.push(`${e.tagName}.${e.className}: ${ratio.toFixed(2)}`);
  }
  return low;
}"""


@pytest.mark.parametrize(
    "path",
    ["/", "/refurbishers/flexit", "/offers", "/orders", f"/orders/{SHIPPED}", "/orders/5002",
     "/alerts", "/refurbishers/acme"],
)  # fmt: skip
def test_every_page_is_labelled_legible_and_fits_a_phone(
    browser: Browser, site: Site, path: str
) -> None:
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        log_in(page, site, path)
        assert page.evaluate("document.body.scrollWidth") <= PHONE["width"], page.evaluate(WIDE)
        assert page.evaluate(UNLABELLED) == []
        assert page.evaluate(LOW_CONTRAST, 4.5) == []
        page.keyboard.press("Tab")
        skip = page.locator("a.skip")
        assert page.evaluate("document.activeElement.className") == "skip"
        box = skip.bounding_box()
        assert box is not None and box["x"] >= 0  # visible once focused
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
        page.keyboard.press("Tab")
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline == "solid"  # the focused control shows where the keyboard is
    finally:
        context.close()
