"""``irp offers sync`` refuses feeds that would lose offers silently, on SQLite and
PostgreSQL, and leaves every stored offer as it was (issue 12 item 1, issue 11 item 2)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from irp.cli.app import app
from irp.sandbox.feed import flexit_feed
from irp.store.db import open_database
from tests.integration.feeds.helpers import BASE_ROWS, feed_bytes, runs, stored, write_config

Sync = Callable[..., tuple[int, dict[str, Any]]]

#: BASE_ROWS with their prices written the en_US way; only FLX-1's "249" reads in nl_NL.
EN_US_ROWS = [
    (sku, name, ean, stock, price, "")
    for (sku, name, ean, stock, _, _), price in zip(
        BASE_ROWS, ["249", "1,249.00", "99.95", "10.50", "500.00"], strict=True
    )
]
WRONG_LOCALE = (
    "flexit: 4 of 5 rows are invalid (80%), more than max_invalid_ratio 0.2; 4 of 5 rows "
    "have prices that do not parse as nl_NL (e.g. '1,249.00' on line 3)"
)


@pytest.fixture
def sync(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Sync:
    """``irp offers sync flexit --file FEED --json [--force]``: exit code and report."""
    for key in ("FLEXIT_SFTP_PASSWORD", "FLEXIT_CLIENT_ID", "FLEXIT_CLIENT_SECRET"):
        monkeypatch.setenv(key, f"{key.lower()}-for-tests")
    config = write_config(tmp_path)
    runner = CliRunner()

    def run(feed: bytes, *, force: bool = False) -> tuple[int, dict[str, Any]]:
        path = tmp_path / "feed.csv"
        path.write_bytes(feed)
        args = ["--config", str(config), "--db", db_url, "offers", "sync", "flexit"]
        args += ["--file", str(path), "--json", *(["--force"] if force else [])]
        result = runner.invoke(app, args)
        return result.exit_code, json.loads(result.stdout)

    return run


@pytest.fixture
def offers(db_url: str) -> Iterator[Callable[[], dict[str, dict[str, Any]]]]:
    """The stored offers by SKU, read afresh at each call."""
    db = open_database(db_url, "acceptance")
    try:
        yield lambda: stored(db)
    finally:
        db.close()


def test_stray_quote_feed_is_refused_naming_the_line_and_keeps_every_offer(
    sync: Sync, offers: Callable[[], dict[str, dict[str, Any]]]
) -> None:
    good = flexit_feed(3000)
    assert sync(good)[0] == 0
    before = offers()
    lines = good.split(b"\r\n")
    fields = lines[2000].split(b";")
    fields[3] = b'"' + fields[3]  # the Description of the 2,000th offer opens a quote
    lines[2000] = b";".join(fields)

    code, report = sync(b"\r\n".join(lines))

    assert (code, report["status"]) == (1, "refused")
    assert report["message"] == (
        "flexit: line 2001: the quoted value in column 'Description' runs on to line 2006 "
        "and holds whole rows: a '\"' that is not closed where it should be swallows the "
        "rows after it; fix the quoting on line 2001; nothing was changed"
    )
    assert len(before) == 3000
    assert offers() == before


def test_wrong_price_locale_on_a_first_sync_is_refused_and_stores_nothing(
    sync: Sync, offers: Callable[[], dict[str, dict[str, Any]]]
) -> None:
    code, report = sync(feed_bytes(EN_US_ROWS))

    assert (code, report["status"]) == (1, "refused")
    assert (report["rows"], report["valid"], report["invalid"]) == (5, 1, 4)
    assert report["message"] == f"{WRONG_LOCALE}; is `price_locale` right? nothing was changed"
    assert offers() == {}


def test_wrong_price_locale_after_a_good_sync_keeps_the_offers_and_gives_the_hint(
    sync: Sync, offers: Callable[[], dict[str, dict[str, Any]]]
) -> None:
    assert sync(feed_bytes(BASE_ROWS))[0] == 0
    before = offers()

    code, report = sync(feed_bytes(EN_US_ROWS))

    assert (code, report["status"]) == (1, "refused")
    assert report["message"] == (
        "flexit: this feed would unlist 3 of 4 listed offers (75%), more than "
        "max_unlist_ratio 0.5; the rows of 4 stored offers have prices that do not parse "
        "as nl_NL (e.g. '1,249.00' on line 3); is `price_locale` right? nothing was changed"
    )
    assert offers() == before


def test_forced_sync_past_the_invalid_row_guard_says_it_was_forced(
    sync: Sync, offers: Callable[[], dict[str, dict[str, Any]]], db_url: str
) -> None:
    code, report = sync(feed_bytes(EN_US_ROWS), force=True)

    assert (code, report["status"], report["created"]) == (0, "ok", 1)
    assert report["message"] == f"forced past the guard: {WRONG_LOCALE}; applied because of --force"
    assert list(offers()) == ["FLX-1"]
    db = open_database(db_url, "acceptance")
    try:
        assert runs(db)[-1]["forced"] is True
    finally:
        db.close()
