"""The status page over plain HTTP: login, bearer access, CSRF, secrets, escaping, downloads."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from irp.monitoring.run import last_results
from irp.store.tables import order_actions, orders
from tests.integration.feeds.helpers import feed_bytes
from tests.integration.web.support import (
    ACME_ERROR,
    CANCEL,
    HOSTILE_NAME,
    NO_PRODUCT,
    RESEND,
    RETRY,
    ROWS,
    SHIPPED,
    TOKENS,
    Site,
    build_site,
)

PAGES = (
    "/",
    "/refurbishers/flexit",
    "/refurbishers/staleshop",
    "/refurbishers/acme",
    "/offers",
    "/offers?q=FLX-6",
    "/offers/flexit/FLX-6",
    "/orders",
    "/orders/5001",
    "/orders/5005",
    "/alerts",
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("web-http")
    with build_site(root, f"sqlite:///{root / 'irp-acceptance.db'}") as built:
        yield built


def bearer(name: str = "alice") -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[name]}"}


def session_value(answer: httpx.Response) -> str:
    return answer.headers["set-cookie"].split(";")[0].split("=", 1)[1]


def login(site: Site, client: httpx.Client, name: str = "alice") -> str:
    """Log ``client`` in; the CSRF token of its session (read from a page's form)."""
    answer = client.post(f"{site.url}/login", data={"token": TOKENS[name], "next": "/"})
    assert answer.status_code == 303
    # The cookie is Secure: httpx keeps it off plain http, so the test carries it over.
    client.cookies.set("irp_session", session_value(answer))
    page = client.get(f"{site.url}/orders/5001")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


@pytest.mark.parametrize("path", PAGES)
def test_without_login_every_page_redirects_to_the_login_form_and_shows_no_data(
    site: Site, path: str
) -> None:
    answer = httpx.get(site.url + path)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=%2F")
    for word in ("flexit", "5001", "FLX-", "staleshop"):
        assert word not in answer.text


def test_a_wrong_bearer_token_is_refused_with_401(site: Site) -> None:
    answer = httpx.get(site.url + "/", headers={"Authorization": "Bearer not-a-token-at-all"})
    assert answer.status_code == 401
    assert "flexit" not in answer.text


def test_bearer_token_opens_pages_for_scripts(site: Site) -> None:
    answer = httpx.get(site.url + "/refurbishers/flexit", headers=bearer())
    assert answer.status_code == 200
    assert "<h1>flexit</h1>" in answer.text
    assert "Signed in as <strong>alice</strong>" in answer.text


def test_login_sets_a_secure_http_only_signed_cookie_that_expires(site: Site) -> None:
    answer = httpx.post(f"{site.url}/login", data={"token": TOKENS["bob"], "next": "/orders"})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/orders"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("irp_session=")
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert attributes == {"httponly", "max-age", "path", "samesite", "secure"}
    assert "Max-Age=43200" in cookie and "SameSite=lax" in cookie
    value = session_value(answer)
    assert TOKENS["bob"] not in value
    with httpx.Client(cookies={"irp_session": value}) as client:
        assert client.get(f"{site.url}/orders").status_code == 200
    forged = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
    with httpx.Client(cookies={"irp_session": forged}) as client:
        assert client.get(f"{site.url}/orders").status_code == 303


def test_login_with_a_wrong_token_says_so_and_sets_no_cookie(site: Site) -> None:
    answer = httpx.post(f"{site.url}/login", data={"token": "wrong-token", "next": "/"})
    assert answer.status_code == 401
    assert "set-cookie" not in answer.headers
    assert (
        '<p class="error" role="alert" id="login-error">That token is not valid.</p>' in answer.text
    )


def test_login_never_redirects_to_another_site(site: Site) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        answer = httpx.post(f"{site.url}/login", data={"token": TOKENS["alice"], "next": target})
        assert answer.headers["location"] == "/"


def _status(site: Site, order_id: str) -> str:
    with site.db.connect() as conn:
        return str(
            conn.execute(sa.select(orders.c.status).where(orders.c.id == order_id)).scalar_one()
        )


def test_a_form_post_without_the_csrf_token_is_refused_and_changes_nothing(site: Site) -> None:
    form = {"action": "cancel", "reason": "csrf probe", "confirm": "yes"}
    with httpx.Client() as client:
        csrf = login(site, client)
        missing = client.post(f"{site.url}/orders/5001/actions", data=form)
        wrong = client.post(f"{site.url}/orders/5001/actions", data={**form, "csrf": "x" * 32})
        other_site = client.post(
            f"{site.url}/orders/5001/actions",
            data={**form, "csrf": csrf},
            headers={"Origin": "https://evil.example"},
        )
        sync = client.post(f"{site.url}/refurbishers/flexit/sync", data={"csrf": ""})
    assert [missing.status_code, wrong.status_code, other_site.status_code] == [403, 403, 403]
    assert missing.json() == {
        "detail": "the form's security token is missing or stale; reload the page and try again"
    }
    assert other_site.json() == {
        "detail": "this form was posted from another site; nothing was done"
    }
    assert sync.status_code == 403
    assert _status(site, "5001") == "uncertain"
    assert _actions(site, "5001") == []


def test_a_bearer_post_needs_no_csrf_token_but_the_confirmation_and_reason(site: Site) -> None:
    answer = httpx.post(
        f"{site.url}/orders/5001/actions",
        data={"action": "cancel", "reason": "x"},
        headers=bearer(),
    )
    assert answer.status_code == 303
    flash = answer.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    page = httpx.get(f"{site.url}/orders/5001", headers=bearer(), cookies={"irp_flash": flash})
    assert "cancel: tick the confirmation box; nothing was done" in page.text
    assert _status(site, "5001") == "uncertain"


def test_no_secret_value_appears_in_any_page(site: Site) -> None:
    hidden = [*site.secrets.values(), *TOKENS.values()]
    assert all(len(value) >= 8 for value in hidden)
    for path in PAGES:
        html = httpx.get(site.url + path, headers=bearer()).text
        for value in hidden:
            assert value not in html, f"{path} shows a secret"
    config_page = httpx.get(site.url + "/refurbishers/flexit", headers=bearer()).text
    for path, source in (
        ("offers.auth.password", "${FLEXIT_SFTP_PASSWORD}"),
        ("order.auth.client_id", "${FLEXIT_CLIENT_ID}"),
        ("order.auth.client_secret", "${FLEXIT_CLIENT_SECRET}"),
    ):
        line = (
            f'<tr class="secret"><th scope="row"><code>{path}</code></th><td><code>••••</code> '
            f'<span class="source">from <code>{source}</code></span></td></tr>'
        )
        assert line in config_page


def test_a_hostile_offer_name_is_rendered_as_text(site: Site) -> None:
    for path in ("/offers?q=FLX-6", "/offers/flexit/FLX-6"):
        html = httpx.get(site.url + path, headers=bearer()).text
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        escaped = (
            "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; "
            "iPhone &amp; co"
        )
        assert escaped in html
    assert ROWS[5][1] == HOSTILE_NAME


def test_row_errors_download_as_the_cli_writes_them(site: Site) -> None:
    answer = httpx.get(
        f"{site.url}/refurbishers/flexit/runs/{site.run_id}/errors.csv", headers=bearer()
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == (
        f'attachment; filename="flexit-run-{site.run_id}-row-errors.csv"'
    )
    assert (
        answer.text
        == "line,column,message,sku\n8,Sales Price,not a number in nl_NL: '12.5',FLX-7\n"
    )


def test_the_last_raw_feed_downloads_byte_for_byte(site: Site) -> None:
    page = httpx.get(f"{site.url}/refurbishers/flexit", headers=bearer()).text
    link = re.search(r'href="(/refurbishers/flexit/feeds/\d+)" download>([^<]+)<', page)
    assert link is not None
    answer = httpx.get(site.url + link.group(1), headers=bearer())
    assert answer.content == feed_bytes(ROWS)
    assert answer.headers["content-disposition"] == f'attachment; filename="{link.group(2)}"'
    assert link.group(2).startswith("FlexIT_Feed-archive-") and link.group(2).endswith(".csv")
    other = httpx.get(f"{site.url}/refurbishers/staleshop/feeds/1", headers=bearer())
    assert other.status_code == 404


def test_pages_send_headers_that_keep_them_out_of_caches_and_frames(site: Site) -> None:
    answer = httpx.get(site.url + "/", headers=bearer())
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["x-frame-options"] == "DENY"
    assert "script-src 'self'" in answer.headers["content-security-policy"]


def test_the_stylesheet_is_served_from_the_package(site: Site, tmp_path: Path) -> None:
    answer = httpx.get(site.url + "/static/irp.css")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/css; charset=utf-8"
    assert httpx.get(site.url + "/static/..%2Fbackend.py").status_code == 404


def _actions(site: Site, order_id: str) -> list[tuple[str, str, str | None, str, str]]:
    a = order_actions.c
    with site.db.connect() as conn:
        rows = conn.execute(
            sa.select(a.action, a.actor, a.reason, a.from_status, a.to_status)
            .where(a.order_id == order_id)
            .order_by(a.id)
        ).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


FLASH = re.compile(r'<div class="flash (flash-ok|flash-fail)" role="status">(.*?)</div>', re.S)


def act(site: Site, client: httpx.Client, csrf: str, order_id: str, **form: str) -> str:
    """POST the order's action form as the page does; the flash message shown after it."""
    answer = client.post(f"{site.url}/orders/{order_id}/actions", data={**form, "csrf": csrf})
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"/orders/{order_id}"
    flash = answer.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    client.cookies.set("irp_flash", flash)
    page = client.get(f"{site.url}/orders/{order_id}")
    client.cookies.delete("irp_flash")
    found = FLASH.search(page.text)
    assert found is not None
    return f"{found.group(1)}: {found.group(2)}"


def test_retry_a_rejected_order_with_a_reason_records_who_and_why(site: Site) -> None:
    with httpx.Client() as client:
        csrf = login(site, client, "bob")
        page = client.get(f"{site.url}/orders/{RETRY}").text
        assert "<summary>Retry now</summary>" in page
        no_reason = act(site, client, csrf, RETRY, action="retry", reason=" ", confirm="yes")
        unconfirmed = act(site, client, csrf, RETRY, action="retry", reason="fixed the SKU")
        assert _status(site, RETRY) == "rejected"
        done = act(site, client, csrf, RETRY, action="retry", reason="fixed the SKU", confirm="yes")
    assert no_reason == "flash-fail: retry: give a reason; nothing was done"
    assert unconfirmed == "flash-fail: retry: tick the confirmation box; nothing was done"
    assert done == (
        f"flash-ok: {RETRY}: rejected -&gt; pending, due now (attempts reset to 0); the "
        "refurbisher refused it before and will refuse it again unless the config or their "
        "data was fixed"
    )
    assert _status(site, RETRY) == "pending"
    assert _actions(site, RETRY) == [("retry", "bob", "fixed the SKU", "rejected", "pending")]


def test_resend_an_uncertain_order_needs_the_absence_confirmed(site: Site) -> None:
    with httpx.Client() as client:
        csrf = login(site, client)
        form = {"action": "resend", "reason": "not in the FlexIT portal", "confirm": "yes"}
        refused = act(site, client, csrf, RESEND, **form)
        assert _status(site, RESEND) == "uncertain"
        done = act(site, client, csrf, RESEND, **form, confirm_absent="yes")
    assert refused.startswith(
        f"flash-fail: {RESEND} is uncertain and no lookup has said the refurbisher does not "
        "have it; resending could duplicate it."
    )
    assert done == (
        f"flash-ok: {RESEND}: uncertain -&gt; pending, due now (operator confirmed absent); "
        "it will be sent again"
    )
    assert _status(site, RESEND) == "pending"
    assert _actions(site, RESEND) == [
        ("resolve_resend", "alice", "not in the FlexIT portal", "uncertain", "pending")
    ]


def test_cancel_an_uncertain_order_says_it_is_local_only(site: Site) -> None:
    with httpx.Client() as client:
        csrf = login(site, client)
        done = act(
            site, client, csrf, CANCEL, action="cancel", reason="customer withdrew", confirm="yes"
        )
        again = act(site, client, csrf, CANCEL, action="cancel", reason="twice", confirm="yes")
        page = client.get(f"{site.url}/orders/{CANCEL}").text
    assert done == (
        f"flash-ok: {CANCEL}: uncertain -&gt; cancelled; cancelled locally only: the "
        "refurbisher may still ship it; if they have it, cancel it with them too"
    )
    assert again == (
        f"flash-fail: {CANCEL} is cancelled; only uncertain, pending, failed or rejected "
        "orders can be cancelled"
    )
    assert _status(site, CANCEL) == "cancelled"
    assert _actions(site, CANCEL) == [
        ("resolve_cancel", "alice", "customer withdrew", "uncertain", "cancelled")
    ]
    assert "Operator actions" not in page  # nothing left to do with a cancelled order
    assert "resolve_cancel by alice: uncertain → cancelled" in page


def test_the_timeline_shows_parcels_events_and_the_purchase_order(site: Site) -> None:
    page = httpx.get(f"{site.url}/orders/{SHIPPED}", headers=bearer()).text
    reference = site.scene.references[SHIPPED]
    shipment = site.sandbox.order_api.ship(reference)  # already shipped: the same parcel
    link = (
        f'<a href="{shipment["TrackingUrl"]}" rel="noopener noreferrer" target="_blank">'
        f"{shipment['TrackAndTrace']}"
    )
    assert page.count(link) == 2  # the parcels table and the timeline
    titles = re.findall(r'<li class="event event-(\w+)">.*?<strong>(.*?)</strong>', page, re.S)
    assert [kind for kind, _ in titles] == [
        "intake", "event", "submit", "event", "shipment", "event", "odoo", "odoo",
    ]  # fmt: skip
    assert [title for kind, title in titles if kind == "event"] == [
        "event order.accepted → the marketplace",
        "event order.submitted → the marketplace",
        "event order.shipped → the marketplace",
    ]
    assert f"shipment shipped (poll): PostNL {shipment['TrackAndTrace']}" in page
    assert "purchase order P00001 (id 1) booked in Odoo" in page
    assert '<td id="order-odoo">P00001 (id 1)</td>' in page
    assert "not pushed yet; the marketplace can read it at GET /api/events (cursor " in page
    failed = httpx.get(f"{site.url}/orders/{NO_PRODUCT}", headers=bearer()).text
    odoo = re.search(r'<td id="order-odoo">(.*?)</td>', failed, re.S)
    assert odoo is not None
    assert odoo.group(1).startswith("odoo: no product with default_code FLX-3")
    assert "Not shipped yet." in failed


def test_a_broken_refurbisher_is_red_with_its_errors_and_no_secret(site: Site) -> None:
    page = httpx.get(f"{site.url}/", headers=bearer()).text
    row = re.search(r'<tr id="row-acme">(.*?)</tr>', page, re.S)
    assert row is not None
    cell = re.search(
        r'<td class="cell state-fail" data-env="acceptance"[^>]*>(.*?)</td>', row.group(1), re.S
    )
    assert cell is not None
    assert '<span class="badge">Failing</span>' in cell.group(1)
    assert '<span class="summary">config broken</span>' in cell.group(1)
    assert f"<li>{ACME_ERROR}</li>" in cell.group(1)
    attention = re.search(
        r'<li class="state-fail"><a href="/refurbishers/acme">acme</a>(.*?)</li>', page, re.S
    )
    assert attention is not None
    assert ACME_ERROR in attention.group(1)
    details = httpx.get(f"{site.url}/refurbishers/acme", headers=bearer()).text
    assert f"<li>{ACME_ERROR}</li>" in details
    for value in site.secrets.values():
        assert value not in page and value not in details


def _cell(page: str, key: str, env: str = "acceptance") -> tuple[str, str]:
    row = re.search(rf'<tr id="row-{key}">(.*?)</tr>', page, re.S)
    assert row is not None
    cell = re.search(
        rf'<td class="cell state-(\w+)" data-env="{env}"[^>]*>(.*?)</td>', row.group(1), re.S
    )
    assert cell is not None
    return cell.group(1), cell.group(2)


def test_health_is_monitorings_stored_results_and_check_now_refreshes_them(site: Site) -> None:
    with site.db.connect() as conn:
        stored = [r for r in last_results(conn, "acceptance") if r.refurbisher == "staleshop"]
    assert [(r.check, r.ok) for r in stored] == [
        ("offers_stock", False), ("stuck_orders", True), ("secret_expiry", True),
    ]  # fmt: skip
    assert stored[0].detail == (
        "staleshop's offers were never synced successfully: run `irp offers sync staleshop` "
        "and read its report"
    )
    page = httpx.get(f"{site.url}/", headers=bearer()).text
    state, cell = _cell(page, "staleshop")
    assert state == "fail"
    failing = [r.detail for r in stored if not r.ok]
    assert re.findall(r"<li>(.*?)</li>", cell) == [html_text(d) for d in failing]
    assert '<a class="button small" href="/refurbishers/staleshop#sync">Sync now</a>' in page
    with httpx.Client() as client:
        csrf = login(site, client)
        synced = client.post(f"{site.url}/refurbishers/staleshop/sync", data={"csrf": csrf})
        _, judged_before = _cell(client.get(f"{site.url}/").text, "staleshop")
        assert "<li>judged before the last sync ended: Check now to judge it</li>" in judged_before
        checked = client.post(
            f"{site.url}/checks", data={"csrf": csrf, "next": "/refurbishers/staleshop"}
        )
        assert (synced.status_code, checked.status_code) == (303, 303)
        assert checked.headers["location"] == "/refurbishers/staleshop"
        details = client.get(f"{site.url}/refurbishers/staleshop").text
    with site.db.connect() as conn:
        stock = next(
            r for r in last_results(conn, "acceptance")
            if (r.refurbisher, r.check) == ("staleshop", "offers_stock")
        )  # fmt: skip
    assert not stock.ok and stock.threshold == 0.0003
    assert re.fullmatch(
        r"newest feed version published \d+ s ago \(.*\), more than 0\.0003 h: .*",
        stock.detail,
    )
    row = re.search(
        r'<tr id="threshold-offers_stock_hours" class="state-fail">(.*?)</tr>', details, re.S
    )
    assert row is not None
    assert "<td>0.0003 h</td>" in row.group(1)
    assert html_text(stock.detail) in row.group(1)
    assert "Checked " in details and "by the monitoring run" in details


def html_text(text: str) -> str:
    """``text`` as Jinja escapes it."""
    from markupsafe import escape

    return str(escape(text))


def test_checks_that_stopped_running_turn_the_cell_amber_and_say_so(site: Site) -> None:
    """Three missed monitoring runs and a minute later (an injected clock)."""
    from datetime import timedelta

    from irp.web.overview import build_rows

    every = site.config.platform.monitor_every_seconds
    later = site.db.now() + timedelta(seconds=3 * every + 120)
    with site.db.connect() as conn:
        now_rows = {r.key: r for r in build_rows(conn, site.config, site.db.now(), {})}
        late_rows = {r.key: r for r in build_rows(conn, site.config, later, {})}
    assert now_rows["flexit"].cells["acceptance"].state == "ok"
    late = late_rows["flexit"].cells["acceptance"]
    assert late.state == "warn"
    assert late.problems[-1] == (
        "the checks last ran 3.0 h ago (they should run every 60 min): is irp serve "
        "running? Check now to run them"
    )
    assert late_rows["flexit"].cells["production"].summary == "not connected"


def test_the_orders_waiting_for_an_operator_are_one_filter(site: Site) -> None:
    with site.db.connect() as conn:
        waiting = conn.execute(
            sa.select(orders.c.id, orders.c.status)
            .where(orders.c.status.in_(["uncertain", "failed", "rejected"]))
            .order_by(orders.c.updated_at.desc(), orders.c.id.desc())
        ).all()
    assert waiting and {SHIPPED, NO_PRODUCT}.isdisjoint(row.id for row in waiting)

    page = httpx.get(f"{site.url}/orders?state=operator&refurbisher=flexit", headers=bearer())

    assert page.status_code == 200
    assert re.findall(r'<td><a href="/orders/(\w+)">', page.text) == [row.id for row in waiting]
    assert '<option value="operator" selected>' in page.text
