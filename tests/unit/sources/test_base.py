"""The waiting/unchanged decision shared by the SFTP and local-file sources."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from irp.sources.base import RemoteStat, auth_prefix, settled_kind

T0 = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
T1 = datetime(2026, 11, 27, 3, 0, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("first", "second", "last_good", "expected"),
    [
        (RemoteStat(10, T0), RemoteStat(12, T0), None, "waiting"),
        (RemoteStat(10, T0), RemoteStat(10, T1), None, "waiting"),
        (RemoteStat(10, T0), RemoteStat(12, T1), RemoteStat(10, T0), "waiting"),
        (RemoteStat(10, T0), RemoteStat(10, T0), RemoteStat(10, T0), "unchanged"),
        (RemoteStat(10, T0), RemoteStat(10, T0), RemoteStat(10, T1), None),
        (RemoteStat(10, T0), RemoteStat(10, T0), RemoteStat(11, T0), None),
        (RemoteStat(10, T0), RemoteStat(10, T0), None, None),
    ],
)
def test_settled_kind_waits_on_change_and_skips_the_last_good_file(
    first: RemoteStat, second: RemoteStat, last_good: RemoteStat | None, expected: str | None
) -> None:
    assert settled_kind(first, second, last_good) == expected


def test_remote_stat_is_frozen_and_compares_by_value() -> None:
    stat = RemoteStat(size=5, mtime=T0)

    with pytest.raises(AttributeError):
        stat.size = 6  # type: ignore[misc]
    assert stat == RemoteStat(5, T0)


def test_auth_prefix_names_the_refurbisher_when_known() -> None:
    assert (auth_prefix("flexit"), auth_prefix(None)) == ("flexit.offers.auth", "offers.auth")
