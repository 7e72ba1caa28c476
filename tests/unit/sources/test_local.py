"""LocalFileSource: the same waiting/unchanged rules as SFTP, on the local disk."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from irp.errors import SourceNotFoundError
from irp.sources import LocalFileSource, RemoteStat


def test_fetch_reads_the_file_with_a_utc_mtime(tmp_path: Path) -> None:
    feed = tmp_path / "feed.csv"
    feed.write_bytes(b"sku;stock\nA;1\n")

    outcome = LocalFileSource(feed, settle_seconds=0).fetch_if_changed(None)

    assert outcome.kind == "fetched"
    assert outcome.data == b"sku;stock\nA;1\n"
    assert outcome.stat == RemoteStat(14, datetime.fromtimestamp(feed.stat().st_mtime, tz=UTC))
    assert outcome.stat.mtime is not None and outcome.stat.mtime.tzinfo is UTC


def test_fetch_with_the_last_good_stat_is_unchanged(tmp_path: Path) -> None:
    feed = tmp_path / "feed.csv"
    feed.write_bytes(b"sku\nA\n")
    source = LocalFileSource(feed, settle_seconds=0)
    first = source.fetch_if_changed(None)

    assert source.fetch_if_changed(first.stat) == type(first)("unchanged", None, first.stat)


def test_file_written_during_the_settle_pause_is_waiting(tmp_path: Path) -> None:
    feed = tmp_path / "feed.csv"
    feed.write_bytes(b"sku\nA\n")
    pauses: list[float] = []

    def supplier_appends_while_we_wait(seconds: float) -> None:
        pauses.append(seconds)
        with feed.open("ab") as out:
            out.write(b"B\n")

    source = LocalFileSource(feed, settle_seconds=1.5, sleep=supplier_appends_while_we_wait)
    outcome = source.fetch_if_changed(None)

    assert pauses == [1.5]
    assert (outcome.kind, outcome.data, outcome.stat.size) == ("waiting", None, 8)


def test_missing_file_is_not_found_naming_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"

    with pytest.raises(SourceNotFoundError) as caught:
        LocalFileSource(missing, label="flexit").probe()

    assert str(caught.value) == f"flexit.offers.auth.path: {missing} not found; check the path"
