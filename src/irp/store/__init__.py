"""Storage: tables, Alembic migrations, and the bulk paths for offers.

``db`` opens an environment's database; ``tables`` holds the schema; ``offers`` moves
whole frames of offers; ``runs`` records syncs, row errors and archived feeds;
``locks`` holds named leases. Import the submodules; nothing here opens anything.
"""

from __future__ import annotations

from irp.store.db import Database, default_database_url, open_database

__all__ = ["Database", "default_database_url", "open_database"]
