"""Drop the foreign key offers.refurbisher -> refurbishers.key.

Checking it row by row cost PostgreSQL about 4 s of a million-row cold sync (a third
of its budget). Integrity is kept by the one writer of offers: the sync creates the
refurbishers row (``ensure_refurbisher``) in a committed transaction before it writes
any offer, and refurbishers rows are never deleted. ``orders`` keeps its foreign key.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 04:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FK = "fk_offers_refurbisher_refurbishers"


def upgrade() -> None:
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f(_FK), type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f(_FK), "refurbishers", ["refurbisher"], ["key"])
