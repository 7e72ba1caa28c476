"""One offer sync in a process of its own, for tests that need a second writer or a kill.

    python -m tests.integration.feeds.sync_child --config C --db URL --file FEED
        [--chunk-rows N] [--bulk-rows N] [--die-before insert|update|unlist]

``--die-before`` ends the process with ``os._exit(3)`` inside the transaction of the
sync's first chunk of that kind: the chunks before it are committed, that one and the
rest are not. The report is printed as JSON on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from irp.config import load_config
from irp.feeds import apply
from irp.feeds.sync import SyncRequest, sync_offers
from irp.store import offers
from irp.store.db import open_database


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--file", type=Path, required=True)
    parser.add_argument("--refurbisher", default="flexit")
    parser.add_argument("--chunk-rows", type=int)
    parser.add_argument("--bulk-rows", type=int)
    parser.add_argument("--die-before", choices=("insert", "update", "unlist"))
    args = parser.parse_args()
    if args.chunk_rows:
        apply.CHUNK_ROWS = args.chunk_rows
    if args.bulk_rows:
        offers.BULK_ROWS = args.bulk_rows  # type: ignore[misc]
    if args.die_before:

        def die(*_: Any, **__: Any) -> offers.ReadyWrite:
            return lambda conn: os._exit(3)

        setattr(offers, f"prepare_{args.die_before}", die)
    config = load_config(args.config, "acceptance")
    db = open_database(args.db, "acceptance")
    request = SyncRequest(config.refurbishers[args.refurbisher], args.config.parent, file=args.file)
    print(json.dumps(sync_offers(db, request).to_json()))
    db.close()


if __name__ == "__main__":
    main()
