"""Headless Chromium for the page tests: Debian's ``/usr/bin/chromium`` driven by Playwright.

Without the browser the tests skip with the reason locally and fail in CI
(``services_required``). The flags keep Chromium off the network: without them its
background connections are refused by the closed network and slow everything down.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from tests.fixtures.db import service_unavailable

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"


@contextmanager
def chromium() -> Iterator[Browser]:
    """One headless Chromium for a module of tests."""
    if not CHROMIUM.exists():
        service_unavailable(
            f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium), "
            "as .ci/run does"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()
