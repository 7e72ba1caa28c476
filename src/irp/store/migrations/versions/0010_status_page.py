"""The status page: offer stats per sync (charts) and the indexes behind its searches.

- ``offer_stats``: offers, listed offers and units in stock of a refurbisher after each
  sync that changed them, for the charts on the refurbisher page.
- ``offers(ean)``: find an offer by EAN among a million.
- ``offers(refurbisher, listed, sku)`` replaces ``offers(refurbisher, listed)`` (its
  prefix): the "listed" filter pages in SKU order without sorting.
- ``orders(status, updated_at)``: the orders page filtered by state, newest first.

Revision ID: 0010
Revises: 0002
Create Date: 2026-12-01 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from irp.store.types import UtcDateTime

revision: str = "0010"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "offer_stats",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("refurbisher", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("offers", sa.Integer(), nullable=False),
        sa.Column("listed", sa.Integer(), nullable=False),
        sa.Column("stock", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offer_stats")),
    )
    op.create_index(
        op.f("ix_offer_stats_refurbisher_at"), "offer_stats", ["refurbisher", "at"], unique=False
    )
    op.create_index("ix_offers_ean", "offers", ["ean"], unique=False)
    op.create_index(
        op.f("ix_offers_refurbisher_listed_sku"),
        "offers",
        ["refurbisher", "listed", "sku"],
        unique=False,
    )
    op.drop_index(op.f("ix_offers_refurbisher_listed"), table_name="offers")
    op.create_index("ix_orders_status_updated_at", "orders", ["status", "updated_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_orders_status_updated_at", table_name="orders")
    op.create_index(
        op.f("ix_offers_refurbisher_listed"), "offers", ["refurbisher", "listed"], unique=False
    )
    op.drop_index(op.f("ix_offers_refurbisher_listed_sku"), table_name="offers")
    op.drop_index("ix_offers_ean", table_name="offers")
    op.drop_index(op.f("ix_offer_stats_refurbisher_at"), table_name="offer_stats")
    op.drop_table("offer_stats")
