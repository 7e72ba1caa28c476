"""What the checks need, read from the database and seen by probes (SPEC §5).

:func:`check_refurbisher` gathers the facts of one refurbisher and hands them to the
pure judges of :mod:`irp.monitoring.checks`. A check whose threshold is left out
(``null``) is not run; ``offers_*`` need an ``offers`` section, ``order_endpoint`` an
``order`` section. The probes use the connectors' own timeouts and never place an
order nor resume a paused refurbisher (only ``irp check`` does that).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from irp.config import Config, Refurbisher
from irp.errors import IrpError, SourceAuthError, SourceNotFoundError
from irp.monitoring.checks import (
    CheckResult,
    OpenOrder,
    StuckFacts,
    Subject,
    judge_latest_order,
    judge_offers_endpoint,
    judge_offers_stock,
    judge_open_orders,
    judge_order_endpoint,
    judge_secret_expiry,
    judge_stuck_orders,
    judge_unmatched_shipments,
)
from irp.orders.states import NEEDS_OPERATOR, OrderStatus
from irp.sources import open_source
from irp.sources.http import HttpSource
from irp.store import runs as run_store
from irp.store.db import Database
from irp.store.tables import order_events, orders, refurbishers, shipments, sync_runs
from irp.store.types import UtcDateTime

__all__ = ["PROBE_CHECKS", "check_refurbisher", "probe_offers_endpoint"]

PROBE_CHECKS = ("offers_endpoint", "order_endpoint")
"""The checks that reach the network (left out with ``probe=False``)."""

S = OrderStatus
_WAITING_FOR_OPERATOR = sorted(str(state) for state in NEEDS_OPERATOR)


def check_refurbisher(
    db: Database, config: Config, ref: Refurbisher, now: datetime, *, probe: bool = True
) -> list[CheckResult]:
    """Every applicable check of ``ref``, in :data:`~irp.monitoring.checks.CHECK_NAMES` order.

    ``probe=False`` leaves out the two checks that reach the network.
    """
    who = Subject(ref.key, config.env)
    limits = ref.monitoring
    results: list[CheckResult] = []
    with db.connect() as conn:
        if limits.latest_order_hours is not None:
            results.append(
                judge_latest_order(
                    who,
                    limits.latest_order_hours,
                    now,
                    last_submitted=_last_submitted(conn, ref.key),
                    first_synced_at=_first_synced(conn, ref.key),
                )
            )
        if limits.offers_stock_hours is not None and ref.offers is not None:
            last = run_store.last_successful_run(conn, ref.key)
            results.append(
                judge_offers_stock(
                    who,
                    limits.offers_stock_hours,
                    now,
                    published_at=last["published_at"] if last is not None else None,
                    stale_after_hours=ref.offers.unlist_stale_after_hours,
                )
            )
        if limits.open_order_days is not None:
            cutoff = now - timedelta(days=limits.open_order_days)
            results.append(
                judge_open_orders(
                    who, limits.open_order_days, now, overdue=_open_orders(conn, ref.key, cutoff)
                )
            )
    if probe and limits.offers_endpoint_status is not None and ref.offers is not None:
        status, detail = probe_offers_endpoint(config, ref)
        results.append(
            judge_offers_endpoint(who, limits.offers_endpoint_status, status=status, detail=detail)
        )
    if probe and limits.order_endpoint and ref.order is not None:
        results.append(_order_endpoint(who, ref))
    with db.connect() as conn:
        if limits.stuck_order_hours is not None:
            cutoff = now - timedelta(hours=limits.stuck_order_hours)
            results.append(
                judge_stuck_orders(
                    who, limits.stuck_order_hours, now, facts=_stuck(conn, ref.key, cutoff)
                )
            )
        if limits.unmatched_shipment_hours is not None and ref.shipment_webhook is not None:
            cutoff = now - timedelta(hours=limits.unmatched_shipment_hours)
            results.append(
                judge_unmatched_shipments(
                    who,
                    limits.unmatched_shipment_hours,
                    now,
                    unmatched=_unmatched(conn, ref.key, cutoff),
                )
            )
    if limits.secret_expiry_days is not None:
        results.append(
            judge_secret_expiry(
                who, limits.secret_expiry_days, now.date(), expiries=ref.secret_expiries
            )
        )
    return results


def probe_offers_endpoint(config: Config, ref: Refurbisher) -> tuple[int | None, str]:
    """(status, detail) of the feed source now: the HTTP status for a web feed; for SFTP
    and files 200 when the login works and the file is there, 404 when it is missing,
    401 when the login is refused, None when there is no answer at all."""
    assert ref.offers is not None
    try:
        source = open_source(ref.offers, config_dir=config.path.parent, label=ref.key)
        if isinstance(source, HttpSource):
            status = source.status()
            return status, f"GET {source.location} answered HTTP {status}"
        stat = source.probe()
    except SourceNotFoundError as exc:
        return 404, str(exc)
    except SourceAuthError as exc:
        return 401, str(exc)
    except IrpError as exc:
        return None, str(exc)
    modified = stat.mtime.strftime("%Y-%m-%d %H:%M UTC") if stat.mtime else "unknown"
    return 200, f"{source.location}: login ok, file present ({stat.size} bytes, {modified})"


def _order_endpoint(who: Subject, ref: Refurbisher) -> CheckResult:
    from irp.orders.probe import check_order_endpoint

    try:
        ok, detail = check_order_endpoint(ref)
    except IrpError as exc:
        ok, detail = False, str(exc)
    return judge_order_endpoint(who, ok=ok, detail=detail)


def _last_submitted(conn: sa.Connection, key: str) -> tuple[str, datetime] | None:
    row = conn.execute(
        sa.select(orders.c.id, orders.c.submitted_at)
        .where(orders.c.refurbisher == key, orders.c.submitted_at.is_not(None))
        .order_by(orders.c.submitted_at.desc())
        .limit(1)
    ).first()
    return None if row is None else (str(row.id), row.submitted_at)


def _first_synced(conn: sa.Connection, key: str) -> datetime | None:
    first: datetime | None = conn.execute(
        sa.select(sa.func.min(sync_runs.c.started_at)).where(sync_runs.c.refurbisher == key)
    ).scalar()
    if first is None:
        first = conn.execute(
            sa.select(refurbishers.c.created_at).where(refurbishers.c.key == key)
        ).scalar()
    return first


def _open_orders(conn: sa.Connection, key: str, cutoff: datetime) -> list[OpenOrder]:
    rows = conn.execute(
        sa.select(orders.c.id, orders.c.external_reference, orders.c.submitted_at)
        .where(
            orders.c.refurbisher == key,
            orders.c.status == str(S.SUBMITTED),
            orders.c.submitted_at < cutoff,
        )
        .order_by(orders.c.submitted_at)
    )
    return [OpenOrder(str(r.id), r.external_reference, r.submitted_at) for r in rows]


def _stuck(conn: sa.Connection, key: str, cutoff: datetime) -> StuckFacts:
    """Orders waiting for an operator since before ``cutoff``.

    "Since" is when the order entered its state — its newest event of that state —
    or its last update for orders older than the outbox; a pending order counts when
    its due time is before the cutoff (nobody is sending it).
    """
    entered = (
        sa.select(sa.func.max(order_events.c.occurred_at))
        .where(order_events.c.order_id == orders.c.id, order_events.c.status == orders.c.status)
        .scalar_subquery()
    )
    since = sa.func.coalesce(entered, orders.c.updated_at, type_=UtcDateTime())
    waiting = conn.execute(
        sa.select(orders.c.id, orders.c.status, since.label("since")).where(
            orders.c.refurbisher == key,
            orders.c.status.in_(_WAITING_FOR_OPERATOR),
            since < cutoff,
        )
    ).all()
    overdue = conn.execute(
        sa.select(orders.c.id, orders.c.status, orders.c.next_attempt_at).where(
            orders.c.refurbisher == key,
            orders.c.status == str(S.PENDING),
            orders.c.next_attempt_at < cutoff,
        )
    ).all()
    found = [(str(r.id), str(r.status), r.since) for r in waiting]
    found += [(str(r.id), "pending past due", r.next_attempt_at) for r in overdue]
    paused = conn.execute(
        sa.select(refurbishers.c.submissions_paused_at, refurbishers.c.paused_reason).where(
            refurbishers.c.key == key
        )
    ).first()
    return StuckFacts(
        orders=sorted(found, key=lambda item: item[2]),
        paused_since=paused.submissions_paused_at if paused is not None else None,
        paused_reason=paused.paused_reason if paused is not None else None,
    )


def _unmatched(
    conn: sa.Connection, key: str, cutoff: datetime
) -> list[tuple[str | None, datetime]]:
    rows = conn.execute(
        sa.select(
            sa.func.coalesce(shipments.c.external_reference, shipments.c.given_order_id),
            shipments.c.received_at,
        ).where(
            shipments.c.refurbisher == key,
            shipments.c.order_id.is_(None),
            shipments.c.received_at < cutoff,
        )
    ).all()
    return [(row[0], row[1]) for row in rows]
