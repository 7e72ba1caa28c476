"""After the order: shipments, webhook deliveries, the order-event outbox, monitoring.

- ``shipments`` (each shipment stored once), ``webhook_deliveries`` (every POST to the
  shipment webhook) and ``shipment_polls`` replace ``shipment_events``;
- ``order_events`` is the outbox of SPEC §4, with its push state;
- ``alerts`` is recreated with raised/resolved times, value and threshold (no code
  wrote the old table), ``alert_notifications`` is the per-sink delivery record, and
  ``monitor_results`` keeps the last result of every check;
- ``orders.delivered_at``.

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-29 06:40:27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from irp.store import types as irp_types

revision: str = "0005"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = sa.text("resolved_at IS NULL")


def _id() -> sa.Column[int]:
    return sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        autoincrement=True,
        nullable=False,
    )


def _alerts(new: bool) -> None:
    columns: list[sa.schema.SchemaItem] = [
        _id(),
        sa.Column("refurbisher", sa.String(length=64), nullable=False),
        sa.Column("check", sa.String(length=64), nullable=False),
    ]
    if new:
        columns += [
            sa.Column("raised_at", irp_types.UtcDateTime(timezone=True), nullable=False),
            sa.Column("resolved_at", irp_types.UtcDateTime(timezone=True), nullable=True),
            sa.Column("detail", sa.Text(), nullable=True),
            sa.Column("resolved_detail", sa.Text(), nullable=True),
            sa.Column("value", sa.Float(), nullable=True),
            sa.Column("threshold", sa.Float(), nullable=True),
        ]
    else:
        columns += [
            sa.Column("opened_at", irp_types.UtcDateTime(timezone=True), nullable=False),
            sa.Column("resolved_at", irp_types.UtcDateTime(timezone=True), nullable=True),
            sa.Column("detail", sa.Text(), nullable=True),
        ]
    op.create_table("alerts", *columns, sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")))
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(
            "uq_alerts_open",
            ["refurbisher", "check"],
            unique=True,
            sqlite_where=_OPEN,
            postgresql_where=_OPEN,
        )
        if new:
            batch_op.create_index(batch_op.f("ix_alerts_raised_at"), ["raised_at"], unique=False)


def _drop_alerts(new: bool) -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        if new:
            batch_op.drop_index(batch_op.f("ix_alerts_raised_at"))
        batch_op.drop_index("uq_alerts_open", sqlite_where=_OPEN, postgresql_where=_OPEN)
    op.drop_table("alerts")


def upgrade() -> None:
    with op.batch_alter_table("shipment_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipment_events_refurbisher_matched_at"))
    op.drop_table("shipment_events")
    _drop_alerts(new=False)
    _alerts(new=True)
    op.create_table(
        "monitor_results",
        sa.Column("refurbisher", sa.String(length=64), nullable=False),
        sa.Column("check", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("checked_at", irp_types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("refurbisher", "check", name=op.f("pk_monitor_results")),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("refurbisher", sa.String(length=64), nullable=False),
        sa.Column("received_at", irp_types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("webhook_id", sa.String(length=200), nullable=True),
        sa.Column("body_sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
    )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_deliveries_received_at"), ["received_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_webhook_deliveries_refurbisher_body_sha256"),
            ["refurbisher", "body_sha256"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_webhook_deliveries_refurbisher_webhook_id"),
            ["refurbisher", "webhook_id"],
            unique=False,
        )

    op.create_table(
        "alert_notifications",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("alert_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sink", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", irp_types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", irp_types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", irp_types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_alert_notifications_alert_id_alerts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_notifications")),
        sa.UniqueConstraint(
            "alert_id", "sink", "kind", name=op.f("uq_alert_notifications_alert_id_sink_kind")
        ),
    )
    with op.batch_alter_table("alert_notifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_alert_notifications_delivered_at_next_attempt_at"),
            ["delivered_at", "next_attempt_at"],
            unique=False,
        )

    op.create_table(
        "order_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("webhook_id", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=100), nullable=False),
        sa.Column("refurbisher", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("occurred_at", irp_types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("pushed_at", irp_types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("push_attempts", sa.Integer(), nullable=False),
        sa.Column("next_push_at", irp_types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_push_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_events_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_events")),
        sa.UniqueConstraint("webhook_id", name=op.f("uq_order_events_webhook_id")),
    )
    with op.batch_alter_table("order_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_order_events_order_id_id"), ["order_id", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_order_events_pushed_at_next_push_at"),
            ["pushed_at", "next_push_at"],
            unique=False,
        )

    op.create_table(
        "shipment_polls",
        sa.Column("order_id", sa.String(length=100), nullable=False),
        sa.Column("next_at", irp_types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_at", irp_types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_result", sa.String(length=32), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("polls", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_shipment_polls_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_shipment_polls")),
    )
    op.create_table(
        "shipments",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("refurbisher", sa.String(length=64), nullable=False),
        sa.Column("shipment_key", sa.String(length=200), nullable=False),
        sa.Column("order_id", sa.String(length=100), nullable=True),
        sa.Column("given_order_id", sa.String(length=100), nullable=True),
        sa.Column("external_reference", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("carrier", sa.String(length=100), nullable=True),
        sa.Column("tracking_code", sa.String(length=200), nullable=True),
        sa.Column("tracking_url", sa.Text(), nullable=True),
        sa.Column("shipped_at", irp_types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", irp_types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("lines", sa.JSON(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column(
            "delivery_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("raw", sa.JSON(), nullable=True),
        sa.Column("received_at", irp_types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", irp_types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("matched_at", irp_types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["webhook_deliveries.id"],
            name=op.f("fk_shipments_delivery_id_webhook_deliveries"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_shipments_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipments")),
        sa.UniqueConstraint(
            "refurbisher", "shipment_key", name=op.f("uq_shipments_refurbisher_shipment_key")
        ),
    )
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shipments_order_id"), ["order_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_shipments_refurbisher_external_reference"),
            ["refurbisher", "external_reference"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_shipments_refurbisher_matched_at"),
            ["refurbisher", "matched_at"],
            unique=False,
        )

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("delivered_at", irp_types.UtcDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("delivered_at")

    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipments_refurbisher_matched_at"))
        batch_op.drop_index(batch_op.f("ix_shipments_refurbisher_external_reference"))
        batch_op.drop_index(batch_op.f("ix_shipments_order_id"))

    op.drop_table("shipments")
    op.drop_table("shipment_polls")
    with op.batch_alter_table("order_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_events_pushed_at_next_push_at"))
        batch_op.drop_index(batch_op.f("ix_order_events_order_id_id"))

    op.drop_table("order_events")
    with op.batch_alter_table("alert_notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_notifications_delivered_at_next_attempt_at"))

    op.drop_table("alert_notifications")
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_deliveries_refurbisher_webhook_id"))
        batch_op.drop_index(batch_op.f("ix_webhook_deliveries_refurbisher_body_sha256"))
        batch_op.drop_index(batch_op.f("ix_webhook_deliveries_received_at"))

    op.drop_table("webhook_deliveries")
    op.drop_table("monitor_results")
    _drop_alerts(new=True)
    _alerts(new=False)
    op.create_table(
        "shipment_events",
        _id(),
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
