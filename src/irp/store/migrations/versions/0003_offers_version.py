"""The offers version, the owner of a sync run, and no (refurbisher, updated_at) index.

- ``refurbishers.offers_version``: every write to a refurbisher's offers changes it in
  the same transaction. The sync checks its write chunks against it (no change by
  another writer is lost) and validates its local offer snapshot with it.
- ``sync_runs.owner``: the process running the sync (``host/pid/nonce``), so a run left
  ``running`` by a process that is gone can be told apart and marked failed.
- ``ix_offers_refurbisher_updated_at`` is dropped: its one reader (the sync's "did the
  offers change" check, ``max(updated_at)``) now reads the version, and maintaining it
  cost every offer write.

Revision ID: 0003
Revises: 0006
Create Date: 2026-11-29 07:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("refurbishers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("offers_version", sa.BigInteger(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=200), nullable=True))
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_offers_refurbisher_updated_at"))


def downgrade() -> None:
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_offers_refurbisher_updated_at"), ["refurbisher", "updated_at"]
        )
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.drop_column("owner")
    with op.batch_alter_table("refurbishers", schema=None) as batch_op:
        batch_op.drop_column("offers_version")
