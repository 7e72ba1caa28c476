"""Feed-reading benchmark: what the CSV reader's checks cost on a 1,000,000-row feed.

Prints the best of ``--repeat`` timings of ``read_feed`` (bytes -> mapped text) and
``parse_feed`` (read + validate) for three FlexIT feeds made by
``irp.sandbox.feed.flexit_feed``:

- ``healthy``: the feed as generated (names with ``"`` quoted by the CSV writer);
- ``multiline``: 1% of the names hold a quoted line break (legitimate, read exactly);
- ``stray quote``: one name two thirds down opens a ``"`` that is never closed where
  it should be (refused, naming the line).

Run it on a quiet machine, or repeat and take the best (the figures printed are the
best of the repeats):

    .venv/bin/python bench/feed_read.py [--rows 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable

import polars as pl

from irp.errors import FeedError
from irp.feeds.parse import FeedFormat, parse_feed, read_feed
from irp.sandbox.feed import FLEXIT_MAPPING, flexit_feed

FLEXIT = FeedFormat(type="csv", separator=";", price_locale="nl_NL", mapping=FLEXIT_MAPPING)
DESCRIPTION = 3  # the column index of "Description" in a FlexIT line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    t0 = time.perf_counter()
    healthy = flexit_feed(args.rows, seed=1)
    feeds = {
        "healthy": healthy,
        "multiline": with_multiline_names(healthy, every=100),
        "stray quote": with_stray_quote(healthy, row=args.rows * 2 // 3),
    }
    generated = time.perf_counter() - t0
    print(f"machine: {platform.platform()}, {os.cpu_count()} cpu, polars {pl.__version__}")
    print(
        f"feed: {args.rows:,} rows, {len(healthy) / 1e6:.0f} MB (generated in {generated:.1f} s);"
        f" best of {args.repeat}"
    )
    print()
    header = f"{'feed':<12} {'read_feed s':>12} {'parse_feed s':>13}  outcome"
    print(header)
    print("-" * (len(header) + 30))
    for name, data in feeds.items():
        read_s, outcome = best(lambda d=data: outcome_of(read_feed, d), args.repeat)
        parse_s, _ = best(lambda d=data: outcome_of(parse_feed, d), args.repeat)
        print(f"{name:<12} {read_s:>12.2f} {parse_s:>13.2f}  {outcome}")


def best(run: Callable[[], str], repeat: int) -> tuple[float, str]:
    times, outcome = [], ""
    for _ in range(repeat):
        t0 = time.perf_counter()
        outcome = run()
        times.append(time.perf_counter() - t0)
    return min(times), outcome


def outcome_of(read: Callable[[bytes, FeedFormat], object], data: bytes) -> str:
    try:
        result = read(data, FLEXIT)
    except FeedError as exc:
        return f"refused: {str(exc)[:90]}…"
    return f"{result.rows:,} rows"  # type: ignore[attr-defined]


def with_multiline_names(data: bytes, *, every: int) -> bytes:
    """Every ``every``-th name quoted with a line break inside (a legitimate CSV)."""
    lines = data.split(b"\r\n")
    for i in range(1, len(lines) - 1, every):
        fields = lines[i].split(b";")
        name = fields[DESCRIPTION].strip(b'"')
        fields[DESCRIPTION] = b'"' + name.replace(b" ", b"\r\n", 1) + b'"'
        lines[i] = b";".join(fields)
    return b"\r\n".join(lines)


def with_stray_quote(data: bytes, *, row: int) -> bytes:
    """A ``"`` opening the name of data row ``row`` (or the next one whose name is not
    quoted already) and never closed where it should be."""
    lines = data.split(b"\r\n")
    while lines[row].split(b";")[DESCRIPTION].startswith(b'"'):
        row += 1
    fields = lines[row].split(b";")
    fields[DESCRIPTION] = b'"' + fields[DESCRIPTION]
    lines[row] = b";".join(fields)
    return b"\r\n".join(lines)


if __name__ == "__main__":
    main()
