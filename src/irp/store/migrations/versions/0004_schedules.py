"""The schedules table: which cron slot of a scheduled job was sent, and when.

The scheduler of ``irp serve`` claims a slot here (a compare-and-set) before it
enqueues the wake-up, so a feed's scheduled sync fires once per slot cluster-wide, and
a wake-up lost with a killed worker is sent again.

Revision ID: 0004
Revises: 0010
Create Date: 2026-12-01 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from irp.store import types as irp_types

revision: str = "0004"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "schedules",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slot_at", irp_types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", irp_types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_schedules")),
    )


def downgrade() -> None:
    op.drop_table("schedules")
