"""GroupCommit: concurrent callers' items written together, each caller its own answer."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest

from irp.orders.group import GroupCommit


def test_items_that_arrive_during_a_write_are_written_together_next() -> None:
    batches: list[list[int]] = []
    first_write = threading.Event()
    release = threading.Event()

    def write(items: Sequence[int]) -> list[int]:
        batches.append(list(items))
        if len(batches) == 1:
            first_write.set()
            assert release.wait(10)
        return [item * 10 for item in items]

    group: GroupCommit[int, int] = GroupCommit(write)
    with ThreadPoolExecutor(12) as pool:
        lone = pool.submit(group.submit, 0)
        assert first_write.wait(10)  # the lone item is written at once, alone
        rest = [pool.submit(group.submit, n) for n in range(1, 12)]
        while len(group._waiting) < 11:  # all eleven queue behind the running write
            threading.Event().wait(0.01)
        release.set()
        assert lone.result() == 0
        assert [future.result() for future in rest] == [n * 10 for n in range(1, 12)]
    assert batches[0] == [0]
    assert sorted(batches[1]) == list(range(1, 12))  # one batch, one transaction
    assert len(batches) == 2


def test_an_item_the_write_refuses_fails_alone_and_a_failed_write_fails_its_batch() -> None:
    def write(items: Sequence[str]) -> list[str | BaseException]:
        if "down" in items:
            raise ConnectionError("the database went away")
        return [ValueError(f"{item}: refused") if item == "bad" else item.upper() for item in items]

    group: GroupCommit[str, str] = GroupCommit(write)
    assert group.submit("ok") == "OK"
    with pytest.raises(ValueError, match="bad: refused"):
        group.submit("bad")
    with pytest.raises(ConnectionError, match="went away"):
        group.submit("down")
    assert group.submit("again") == "AGAIN"  # the lead was handed back: nothing is stuck


def test_a_batch_never_exceeds_max_batch_and_no_caller_waits_forever() -> None:
    batches: list[int] = []
    gate = threading.Lock()

    def write(items: Sequence[int]) -> list[int]:
        with gate:
            batches.append(sum(items))
        return list(items)

    group: GroupCommit[int, int] = GroupCommit(write, max_batch=5)
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda n: group.submit(1, size=1) + n * 0, range(200)))
    assert results == [1] * 200
    assert sum(batches) == 200 and max(batches) <= 5
