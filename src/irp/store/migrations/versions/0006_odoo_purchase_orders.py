"""Odoo purchase orders on the order: the PO booked for it and the job that books it.

``odoo_po_id`` / ``odoo_po_name`` / ``odoo_booked_at`` say which purchase order
(SPEC §9) the order is booked as; ``odoo_attempts``, ``odoo_next_at`` (backoff),
``odoo_lease_until`` (a push holds the order) and ``odoo_error`` belong to the job
(``irp.odoo.push``). Existing orders start with no PO and no attempt.

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-28 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from irp.store import types as irp_types

revision: str = "0006"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("odoo_po_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("odoo_po_name", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("odoo_booked_at", irp_types.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("odoo_attempts", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("odoo_next_at", irp_types.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("odoo_lease_until", irp_types.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("odoo_error", sa.Text(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_orders_odoo_po_id_odoo_next_at"),
            ["odoo_po_id", "odoo_next_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_odoo_po_id_odoo_next_at"))
        batch_op.drop_column("odoo_error")
        batch_op.drop_column("odoo_lease_until")
        batch_op.drop_column("odoo_next_at")
        batch_op.drop_column("odoo_attempts")
        batch_op.drop_column("odoo_booked_at")
        batch_op.drop_column("odoo_po_name")
        batch_op.drop_column("odoo_po_id")
