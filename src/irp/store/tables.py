"""Every table IRP stores, in one ``MetaData`` (Core tables: the bulk paths need them).

Conventions: money is ``Money`` (exact Decimal, see ``types.py``), times are
``UtcDateTime`` (aware UTC), free-form documents are ``sa.JSON``. Identifiers that grow
with traffic are 64-bit on PostgreSQL (``Id``; plain INTEGER rowid on SQLite).
Every schema change is a new Alembic revision under ``migrations/versions/``; the test
suite checks that the migrated schema and this module never drift apart.
"""

from __future__ import annotations

import sqlalchemy as sa

from irp.store.types import Money, UtcDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id() -> sa.Column[int]:
    return sa.Column("id", Id, primary_key=True, autoincrement=True)


def _created_updated() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    ]


irp_meta = sa.Table(
    "irp_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text(), nullable=False),
)
"""Facts about the database itself: ``environment``, ``created_at``, ``schema_version``."""

refurbishers = sa.Table(
    "refurbishers",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("refurbisher_id", sa.Integer(), nullable=True),
    # The orders circuit breaker: set when a 401/403/404... pauses all submissions.
    sa.Column("submissions_paused_at", UtcDateTime(), nullable=True),
    sa.Column("paused_reason", sa.Text(), nullable=True),
    *_created_updated(),
    # Changed (by a random step) in the transaction of every write to this refurbisher's
    # offers: the local offer snapshot and the sync's write chunks are checked against it.
    sa.Column("offers_version", sa.BigInteger(), nullable=False, server_default="0"),
)

offers = sa.Table(
    "offers",
    metadata,
    _id(),
    # No foreign key to refurbishers (migration 0002): checking it cost PostgreSQL 4 s
    # of a million-row insert. The sync is the only writer of offers and creates the
    # refurbishers row first (refurbishers.ensure_refurbisher); that row is never deleted.
    sa.Column("refurbisher", sa.String(64), nullable=False),
    sa.Column("sku", sa.String(200), nullable=False),
    sa.Column("name", sa.Text(), nullable=True),
    sa.Column("ean", sa.String(14), nullable=True),
    sa.Column("stock_available", sa.Integer(), nullable=False),
    sa.Column("price_purchase_amount", Money(), nullable=True),
    sa.Column("price_consumer_amount", Money(), nullable=True),
    sa.Column("price_selling_amount", Money(), nullable=True),
    sa.Column("price_selling_amount_incl_vat", Money(), nullable=True),
    sa.Column("listed", sa.Boolean(), nullable=False),
    sa.Column("above_srp", sa.Boolean(), nullable=False),
    sa.Column("price_breakdown", sa.JSON(), nullable=True),
    sa.Column("extra", sa.JSON(), nullable=True),
    # 64-bit hash (signed) of the feed-derived and priced values: the fast diff key.
    sa.Column("row_hash", sa.BigInteger(), nullable=False),
    # A jumped purchase price waiting for a second sync or an operator to confirm it.
    sa.Column("held_purchase_amount", Money(), nullable=True),
    sa.Column("hold_reason", sa.Text(), nullable=True),
    # vanished | invalid_row | price_jump | stale
    sa.Column("unlisted_reason", sa.String(32), nullable=True),
    *_created_updated(),
    sa.Column("vanished_at", UtcDateTime(), nullable=True),
    sa.Column("last_run_id", sa.BigInteger(), nullable=True),
    sa.UniqueConstraint("refurbisher", "sku"),
    # Listed counts, listed-only loads and the status page's "listed" filter in SKU order.
    sa.Index(None, "refurbisher", "listed", "sku"),
)

sync_runs = sa.Table(
    "sync_runs",
    metadata,
    _id(),
    sa.Column("refurbisher", sa.String(64), nullable=False),
    sa.Column("started_at", UtcDateTime(), nullable=False),
    sa.Column("finished_at", UtcDateTime(), nullable=True),
    # running | ok | unchanged | waiting | refused | failed | busy
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("message", sa.Text(), nullable=True),
    sa.Column("forced", sa.Boolean(), nullable=False),
    sa.Column("file_sha256", sa.String(64), nullable=True),
    sa.Column("fingerprint", sa.String(64), nullable=True),
    sa.Column("remote_size", sa.BigInteger(), nullable=True),
    sa.Column("remote_mtime", UtcDateTime(), nullable=True),
    # Freshness: the newest feed version the supplier published.
    sa.Column("published_at", UtcDateTime(), nullable=True),
    sa.Column("encoding", sa.String(32), nullable=True),
    sa.Column("rows", sa.Integer(), nullable=True),
    sa.Column("valid", sa.Integer(), nullable=True),
    sa.Column("invalid", sa.Integer(), nullable=True),
    sa.Column("created", sa.Integer(), nullable=True),
    sa.Column("updated", sa.Integer(), nullable=True),
    sa.Column("unchanged", sa.Integer(), nullable=True),
    sa.Column("unlisted", sa.Integer(), nullable=True),
    sa.Column("held", sa.Integer(), nullable=True),
    sa.Column("config_hash", sa.String(64), nullable=True),
    sa.Column("archive_id", sa.BigInteger(), nullable=True),
    # host/pid/nonce of the process running it (locks.lock_owner): a run left `running`
    # by a process that is gone is marked failed by the next sync.
    sa.Column("owner", sa.String(200), nullable=True),
    sa.Index(None, "refurbisher", "started_at"),
)

row_errors = sa.Table(
    "row_errors",
    metadata,
    _id(),
    sa.Column("run_id", Id, sa.ForeignKey("sync_runs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("line", sa.Integer(), nullable=False),
    sa.Column("column", sa.String(200), nullable=False),
    sa.Column("message", sa.Text(), nullable=False),
    sa.Column("sku", sa.String(200), nullable=True),
    sa.Index(None, "run_id", "line"),
)

feed_archive = sa.Table(
    "feed_archive",
    metadata,
    _id(),
    sa.Column("refurbisher", sa.String(64), nullable=False),
    sa.Column("run_id", sa.BigInteger(), nullable=True),  # the run that first fetched it
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger(), nullable=False),
    sa.Column("fetched_at", UtcDateTime(), nullable=False),  # last time this content came in
    sa.Column("content", sa.LargeBinary(), nullable=False),  # zlib-compressed bytes
    sa.UniqueConstraint("refurbisher", "sha256"),
    sa.Index(None, "refurbisher", "fetched_at"),
)

locks = sa.Table(
    "locks",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("owner", sa.String(200), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
)

schedules = sa.Table(
    "schedules",
    metadata,
    # "sync:flexit": the latest cron slot whose wake-up was sent, and when it was sent.
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("slot_at", UtcDateTime(), nullable=False),
    sa.Column("sent_at", UtcDateTime(), nullable=False),
)
"""Scheduled wake-ups already sent (:mod:`irp.store.schedules`): a slot fires once."""

orders = sa.Table(
    "orders",
    metadata,
    sa.Column("id", sa.String(100), primary_key=True),  # the marketplace's id
    sa.Column("refurbisher", sa.String(64), sa.ForeignKey("refurbishers.key"), nullable=False),
    sa.Column("order_number", sa.String(100), nullable=True),
    # pending | submitting | submitted | shipped | delivered | failed | rejected | uncertain
    # | cancelled
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("content", sa.JSON(), nullable=False),  # the normalised inbound order
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("currency", sa.String(3), nullable=True),
    sa.Column("external_reference", sa.String(200), nullable=True),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("next_attempt_at", UtcDateTime(), nullable=True),
    sa.Column("lease_until", UtcDateTime(), nullable=True),
    sa.Column("lease_owner", sa.String(200), nullable=True),
    sa.Column("last_error", sa.Text(), nullable=True),
    sa.Column("lookup_not_found_count", sa.Integer(), nullable=False),
    sa.Column("lookup_next_at", UtcDateTime(), nullable=True),
    sa.Column("resend_allowed", sa.Boolean(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),  # bumped by every compare-and-set
    *_created_updated(),
    sa.Column("submitted_at", UtcDateTime(), nullable=True),
    sa.Column("shipped_at", UtcDateTime(), nullable=True),
    sa.Column("delivered_at", UtcDateTime(), nullable=True),
    sa.Column("carrier", sa.String(100), nullable=True),
    sa.Column("tracking_code", sa.String(200), nullable=True),
    sa.Column("tracking_url", sa.Text(), nullable=True),
    # The Odoo purchase order (SPEC §9) and the job that books it (irp.odoo.push).
    sa.Column("odoo_po_id", sa.Integer(), nullable=True),
    sa.Column("odoo_po_name", sa.String(64), nullable=True),
    sa.Column("odoo_booked_at", UtcDateTime(), nullable=True),
    sa.Column("odoo_attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
    sa.Column("odoo_next_at", UtcDateTime(), nullable=True),  # due again (backoff)
    sa.Column("odoo_lease_until", UtcDateTime(), nullable=True),  # a push holds it
    sa.Column("odoo_error", sa.Text(), nullable=True),
    sa.Index(None, "refurbisher", "status", "next_attempt_at"),
    sa.Index(None, "updated_at"),
    sa.Index(None, "refurbisher", "external_reference"),
    sa.Index(None, "odoo_po_id", "odoo_next_at"),
)

order_lines = sa.Table(
    "order_lines",
    metadata,
    _id(),
    sa.Column(
        "order_id", sa.String(100), sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("line_no", sa.Integer(), nullable=False),
    sa.Column("sku", sa.String(200), nullable=False),
    sa.Column("ean", sa.String(14), nullable=True),
    sa.Column("name", sa.Text(), nullable=True),
    sa.Column("quantity", sa.Integer(), nullable=False),
    sa.Column("unit_price_tax_excl", Money(), nullable=False),
    sa.Column("price_purchase_amount", Money(), nullable=True),
    sa.Column("price_selling_amount", Money(), nullable=True),
    sa.UniqueConstraint("order_id", "line_no"),
)

order_attempts = sa.Table(
    "order_attempts",
    metadata,
    _id(),
    sa.Column(
        "order_id", sa.String(100), sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("kind", sa.String(16), nullable=False),  # submit | lookup
    sa.Column("started_at", UtcDateTime(), nullable=False),
    sa.Column("duration_ms", sa.Integer(), nullable=True),
    sa.Column("request_method", sa.String(10), nullable=True),
    sa.Column("request_url", sa.Text(), nullable=True),
    sa.Column("request_payload", sa.JSON(), nullable=True),  # secrets stripped by the caller
    sa.Column("status_code", sa.Integer(), nullable=True),
    sa.Column("response_body", sa.Text(), nullable=True),  # capped by the caller
    sa.Column("error", sa.Text(), nullable=True),
    sa.Column("outcome", sa.String(32), nullable=True),
    sa.Column("config_hash", sa.String(64), nullable=True),
    sa.Index(None, "order_id", "started_at"),
)

order_actions = sa.Table(
    "order_actions",
    metadata,
    _id(),
    sa.Column(
        "order_id", sa.String(100), sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("reason", sa.Text(), nullable=True),
    sa.Column("from_status", sa.String(16), nullable=True),
    sa.Column("to_status", sa.String(16), nullable=True),
    sa.Column("detail", sa.JSON(), nullable=True),
    sa.Index(None, "order_id", "at"),
)

alerts = sa.Table(
    "alerts",
    metadata,
    _id(),
    sa.Column("refurbisher", sa.String(64), nullable=False),
    sa.Column("check", sa.String(64), nullable=False),
    sa.Column("raised_at", UtcDateTime(), nullable=False),
    sa.Column("resolved_at", UtcDateTime(), nullable=True),
    sa.Column("detail", sa.Text(), nullable=True),  # what the check said when it failed
    sa.Column("resolved_detail", sa.Text(), nullable=True),
    sa.Column("value", sa.Float(), nullable=True),
    sa.Column("threshold", sa.Float(), nullable=True),
    # At most one open alert per (refurbisher, check): a partial unique index on both
    # backends (the database already belongs to exactly one environment).
    sa.Index(
        "uq_alerts_open",
        "refurbisher",
        "check",
        unique=True,
        sqlite_where=sa.text("resolved_at IS NULL"),
        postgresql_where=sa.text("resolved_at IS NULL"),
    ),
    sa.Index(None, "raised_at"),
)

alert_notifications = sa.Table(
    "alert_notifications",
    metadata,
    _id(),
    sa.Column("alert_id", Id, sa.ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("sink", sa.String(100), nullable=False),  # the sink's name or type#index
    sa.Column("kind", sa.String(16), nullable=False),  # raised | resolved
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("next_attempt_at", UtcDateTime(), nullable=True),
    sa.Column("delivered_at", UtcDateTime(), nullable=True),
    sa.Column("last_error", sa.Text(), nullable=True),
    sa.UniqueConstraint("alert_id", "sink", "kind"),
    sa.Index(None, "delivered_at", "next_attempt_at"),
)
"""One row per alert, sink and kind: delivered at least once, retried until then."""

monitor_results = sa.Table(
    "monitor_results",
    metadata,
    sa.Column("refurbisher", sa.String(64), primary_key=True),
    sa.Column("check", sa.String(64), primary_key=True),
    sa.Column("value", sa.Float(), nullable=True),
    sa.Column("threshold", sa.Float(), nullable=True),
    sa.Column("ok", sa.Boolean(), nullable=False),
    sa.Column("detail", sa.Text(), nullable=False),
    sa.Column("checked_at", UtcDateTime(), nullable=False),
)
"""The last result of every check (``GET /api/monitor``, ``/metrics``)."""

order_events = sa.Table(
    "order_events",
    metadata,
    _id(),  # the cursor of GET /api/events: ids become visible in commit order
    sa.Column("webhook_id", sa.String(64), nullable=False, unique=True),
    sa.Column(
        "order_id", sa.String(100), sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("refurbisher", sa.String(64), nullable=False),
    sa.Column("type", sa.String(32), nullable=False),  # order.accepted, order.shipped...
    sa.Column("status", sa.String(16), nullable=False),  # the order's state after the change
    sa.Column("occurred_at", UtcDateTime(), nullable=False),
    sa.Column("payload", sa.JSON(), nullable=False),  # the event as read and pushed
    sa.Column("pushed_at", UtcDateTime(), nullable=True),
    sa.Column("push_attempts", sa.Integer(), nullable=False),
    sa.Column("next_push_at", UtcDateTime(), nullable=True),
    sa.Column("last_push_error", sa.Text(), nullable=True),
    sa.Index(None, "order_id", "id"),
    sa.Index(None, "pushed_at", "next_push_at"),
)
"""The outbox (SPEC §4): written in the transaction of the state change it reports."""

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    _id(),
    sa.Column("refurbisher", sa.String(64), nullable=False),
    sa.Column("received_at", UtcDateTime(), nullable=False),
    sa.Column("webhook_id", sa.String(200), nullable=True),  # the sender's delivery id
    sa.Column("body_sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.Integer(), nullable=False),
    # matched | unmatched | duplicate | unauthorized | malformed
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("http_status", sa.Integer(), nullable=False),
    sa.Column("detail", sa.Text(), nullable=True),
    sa.Column("payload", sa.JSON(), nullable=True),  # only once authenticated; secrets stripped
    sa.Index(None, "refurbisher", "webhook_id"),
    sa.Index(None, "refurbisher", "body_sha256"),
    sa.Index(None, "received_at"),
)
"""Every POST to /webhooks/{refurbisher}/shipments, whatever its answer."""

shipments = sa.Table(
    "shipments",
    metadata,
    _id(),
    sa.Column("refurbisher", sa.String(64), nullable=False),
    # Stored once: the tracking code, or a hash of the shipment's facts without one.
    sa.Column("shipment_key", sa.String(200), nullable=False),
    sa.Column(
        "order_id", sa.String(100), sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=True
    ),  # set once matched
    sa.Column("given_order_id", sa.String(100), nullable=True),  # as the event named it
    sa.Column("external_reference", sa.String(200), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),  # shipped | delivered
    sa.Column("carrier", sa.String(100), nullable=True),
    sa.Column("tracking_code", sa.String(200), nullable=True),
    sa.Column("tracking_url", sa.Text(), nullable=True),
    sa.Column("shipped_at", UtcDateTime(), nullable=True),
    sa.Column("delivered_at", UtcDateTime(), nullable=True),
    sa.Column("lines", sa.JSON(), nullable=True),  # [{"sku", "quantity"}] where given
    sa.Column("source", sa.String(16), nullable=False),  # webhook | poll
    sa.Column("delivery_id", Id, sa.ForeignKey("webhook_deliveries.id"), nullable=True),
    sa.Column("raw", sa.JSON(), nullable=True),  # the shipment as the refurbisher sent it
    sa.Column("received_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("matched_at", UtcDateTime(), nullable=True),
    sa.UniqueConstraint("refurbisher", "shipment_key"),
    sa.Index(None, "order_id"),
    sa.Index(None, "refurbisher", "matched_at"),
    sa.Index(None, "refurbisher", "external_reference"),
)

shipment_polls = sa.Table(
    "shipment_polls",
    metadata,
    sa.Column(
        "order_id", sa.String(100), sa.ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("next_at", UtcDateTime(), nullable=False),  # also the claim: pushed past a poll
    sa.Column("last_at", UtcDateTime(), nullable=True),
    sa.Column("last_status", sa.Integer(), nullable=True),
    sa.Column("last_result", sa.String(32), nullable=True),
    sa.Column("last_error", sa.Text(), nullable=True),
    sa.Column("polls", sa.Integer(), nullable=False),
)
"""When each shipped-or-submitted order of a polled refurbisher is asked next."""

offer_stats = sa.Table(
    "offer_stats",
    metadata,
    _id(),
    sa.Column("refurbisher", sa.String(64), nullable=False),
    sa.Column("run_id", sa.BigInteger(), nullable=True),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("offers", sa.Integer(), nullable=False),
    sa.Column("listed", sa.Integer(), nullable=False),
    sa.Column("stock", sa.BigInteger(), nullable=False),  # units in stock, listed or not
    sa.Index(None, "refurbisher", "at"),
)
"""A refurbisher's offers after each sync that changed them: the status page's charts."""

# The status page's searches (migration 0010): an offer by EAN anywhere, orders by state.
sa.Index("ix_offers_ean", offers.c.ean)
sa.Index("ix_orders_status_updated_at", orders.c.status, orders.c.updated_at)
