"""The status page over plain HTTP: login, bearer access, CSRF, secrets, escaping, downloads."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from irp.store.tables import order_actions, orders
from tests.integration.feeds.helpers import feed_bytes
from tests.integration.web.support import HOSTILE_NAME, ROWS, TOKENS, Site, build_site

PAGES = (
    "/",
    "/refurbishers/flexit",
    "/refurbishers/staleshop",
    "/offers",
    "/offers?q=FLX-6",
    "/offers/flexit/FLX-6",
    "/orders",
    "/orders/5001",
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
    with site.db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(order_actions)).scalar_one() == 0


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
