"""The initial schema: every table of irp.store.tables as of the first release.

Revision ID: 0001
Revises:
Create Date: 2026-11-27 03:29:28.881879
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from irp.store import types as irp_types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("refurbisher", sa.String(length=64), nullable=False),
        sa.Column("check", sa.String(length=64), nullable=False),
        sa.Column("opened_at", irp_types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", irp_types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(
            "uq_alerts_open",
            ["refurbisher", "check"],
            unique=True,
            sqlite_where=sa.text("resolved_at IS NULL"),
            postgresql_where=sa.text("resolved_at IS NULL"),
        )

    op.create_table(
        "feed_archive",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("refurbisher", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("fetched_at", irp_types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_archive")),
        sa.UniqueConstraint(
            "refurbisher", "sha256", name=op.f("uq_feed_archive_refurbisher_sha256")
        ),
    )
    with op.batch_alter_table("feed_archive", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feed_archive_refurbisher_fetched_at"),
            ["refurbisher", "fetched_at"],
            unique=False,
        )

    op.create_table(
        "irp_meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_irp_meta")),
    )
    op.create_table(
        "locks",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("expires_at", irp_types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_locks")),
    )
    op.create_table(
        "refurbishers",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("refurbisher_id", sa.Integer(), nullable=True),
        sa.Column("submissions_paused_at", irp_types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("paused_reason", sa.Text(), nullable=True),
        sa.Column("created_at", irp_types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", irp_types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_refurbishers")),
    )
    op.create_table(
        "shipment_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("refurbisher", sa.String(length=64), nullable=False),
        sa.Column("received_at", irp_types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("dedup_key", sa.String(length=200), nullable=False),
        sa.Column("order_id", sa.String(length=100), nullable=True),
        sa.Column("matched_at", irp_types.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipment_events")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_shipment_events_dedup_key")),
    )
    with op.batch_alter_table("shipment_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shipment_events_refurbisher_matched_at"),
            ["refurbisher", "matched_at"],
            unique=False,
        )

    op.create_table(
        "sync_runs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("refurbisher", sa.String(length=64), nullable=False),
        sa.Column("started_at", irp_types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", irp_types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("forced", sa.Boolean(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.Column("remote_size", sa.BigInteger(), nullable=True),
        sa.Column("remote_mtime", irp_types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("published_at", irp_types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("encoding", sa.String(length=32), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=True),
        sa.Column("valid", sa.Integer(), nullable=True),
        sa.Column("invalid", sa.Integer(), nullable=True),
        sa.Column("created", sa.Integer(), nullable=True),
        sa.Column("updated", sa.Integer(), nullable=True),
        sa.Column("unchanged", sa.Integer(), nullable=True),
        sa.Column("unlisted", sa.Integer(), nullable=True),
        sa.Column("held", sa.Integer(), nullable=True),
        sa.Column("config_hash", sa.String(length=64), nullable=True),
        sa.Column("archive_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_runs")),
    )
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sync_runs_refurbisher_started_at"),
            ["refurbisher", "started_at"],
            unique=False,
        )

    op.create_table(
        "offers",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("refurbisher", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=200), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("ean", sa.String(length=14), nullable=True),
        sa.Column("stock_available", sa.Integer(), nullable=False),
        sa.Column("price_purchase_amount", irp_types.Money(precision=14, scale=4), nullable=True),
        sa.Column("price_consumer_amount", irp_types.Money(precision=14, scale=4), nullable=True),
        sa.Column("price_selling_amount", irp_types.Money(precision=14, scale=4), nullable=True),
        sa.Column(
            "price_selling_amount_incl_vat", irp_types.Money(precision=14, scale=4), nullable=True
        ),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.Column("above_srp", sa.Boolean(), nullable=False),
        sa.Column("price_breakdown", sa.JSON(), nullable=True),
        sa.Column("extra", sa.JSON(), nullable=True),
        sa.Column("row_hash", sa.BigInteger(), nullable=False),
        sa.Column("held_purchase_amount", irp_types.Money(precision=14, scale=4), nullable=True),
        sa.Column("hold_reason", sa.Text(), nullable=True),
        sa.Column("unlisted_reason", sa.String(length=32), nullable=True),
        sa.Column("created_at", irp_types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", irp_types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("vanished_at", irp_types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_run_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["refurbisher"], ["refurbishers.key"], name=op.f("fk_offers_refurbisher_refurbishers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offers")),
        sa.UniqueConstraint("refurbisher", "sku", name=op.f("uq_offers_refurbisher_sku")),
    )
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_offers_refurbisher_listed"), ["refurbisher", "listed"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_offers_refurbisher_updated_at"),
            ["refurbisher", "updated_at"],
            unique=False,
        )

    op.create_table(
        "orders",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("refurbisher", sa.String(length=64), nullable=False),
        sa.Column("order_number", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("external_reference", sa.String(length=200), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", irp_types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("lease_until", irp_types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(length=200), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("lookup_not_found_count", sa.Integer(), nullable=False),
        sa.Column("lookup_next_at", irp_types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("resend_allowed", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", irp_types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", irp_types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", irp_types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("shipped_at", irp_types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("carrier", sa.String(length=100), nullable=True),
        sa.Column("tracking_code", sa.String(length=200), nullable=True),
        sa.Column("tracking_url", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["refurbisher"], ["refurbishers.key"], name=op.f("fk_orders_refurbisher_refurbishers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_orders_refurbisher_external_reference"),
            ["refurbisher", "external_reference"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_orders_refurbisher_status_next_attempt_at"),
            ["refurbisher", "status", "next_attempt_at"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_orders_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "row_errors",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("column", sa.String(length=200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("sku", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["sync_runs.id"],
            name=op.f("fk_row_errors_run_id_sync_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_row_errors")),
    )
    with op.batch_alter_table("row_errors", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_row_errors_run_id_line"), ["run_id", "line"], unique=False
        )

    op.create_table(
        "order_actions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("order_id", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", irp_types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_actions_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_actions")),
    )
    with op.batch_alter_table("order_actions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_order_actions_order_id_at"), ["order_id", "at"], unique=False
        )

    op.create_table(
        "order_attempts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("order_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("started_at", irp_types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("request_method", sa.String(length=10), nullable=True),
        sa.Column("request_url", sa.Text(), nullable=True),
        sa.Column("request_payload", sa.JSON(), nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("config_hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_attempts_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_attempts")),
    )
    with op.batch_alter_table("order_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_order_attempts_order_id_started_at"),
            ["order_id", "started_at"],
            unique=False,
        )

    op.create_table(
        "order_lines",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("order_id", sa.String(length=100), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=200), nullable=False),
        sa.Column("ean", sa.String(length=14), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_tax_excl", irp_types.Money(precision=14, scale=4), nullable=False),
        sa.Column("price_purchase_amount", irp_types.Money(precision=14, scale=4), nullable=True),
        sa.Column("price_selling_amount", irp_types.Money(precision=14, scale=4), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_lines_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_lines")),
        sa.UniqueConstraint("order_id", "line_no", name=op.f("uq_order_lines_order_id_line_no")),
    )


def downgrade() -> None:
    op.drop_table("order_lines")
    with op.batch_alter_table("order_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_attempts_order_id_started_at"))

    op.drop_table("order_attempts")
    with op.batch_alter_table("order_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_actions_order_id_at"))

    op.drop_table("order_actions")
    with op.batch_alter_table("row_errors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_row_errors_run_id_line"))

    op.drop_table("row_errors")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_updated_at"))
        batch_op.drop_index(batch_op.f("ix_orders_refurbisher_status_next_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_orders_refurbisher_external_reference"))

    op.drop_table("orders")
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_offers_refurbisher_updated_at"))
        batch_op.drop_index(batch_op.f("ix_offers_refurbisher_listed"))

    op.drop_table("offers")
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_runs_refurbisher_started_at"))

    op.drop_table("sync_runs")
    with op.batch_alter_table("shipment_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipment_events_refurbisher_matched_at"))

    op.drop_table("shipment_events")
    op.drop_table("refurbishers")
    op.drop_table("locks")
    op.drop_table("irp_meta")
    with op.batch_alter_table("feed_archive", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feed_archive_refurbisher_fetched_at"))

    op.drop_table("feed_archive")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_alerts_open",
            sqlite_where=sa.text("resolved_at IS NULL"),
            postgresql_where=sa.text("resolved_at IS NULL"),
        )

    op.drop_table("alerts")
