"""What ``GET /api/refurbishers`` says about each refurbisher (the status page reads it too).

Config facts (never a secret: the auth *type*, not its values), the last sync, how
many offers are listed, whether submissions are paused. ``checks`` stays empty until
monitoring records its results (SPEC §5).
"""

from __future__ import annotations

from typing import Any

from irp.config import Config, Refurbisher
from irp.feeds.export import last_sync
from irp.orders.breaker import paused
from irp.store.db import Database
from irp.store.refurbishers import count_listed

__all__ = ["refurbisher_overview"]


def refurbisher_overview(db: Database, config: Config) -> list[dict[str, Any]]:
    """One entry per configured refurbisher, in config order."""
    return [_one(db, config, ref) for ref in config.refurbishers.values()]


def _one(db: Database, config: Config, ref: Refurbisher) -> dict[str, Any]:
    offers = None
    if ref.offers is not None:
        run = last_sync(db, ref.key)
        with db.connect() as conn:
            listed = count_listed(conn, ref.key)
        offers = {
            "connection": ref.offers.connection,
            "type": ref.offers.type,
            "schedule": ref.offers.schedule,
            "last_sync": None
            if run is None
            else {
                "run_id": run["id"],
                "status": run["status"],
                "started_at": run["started_at"],
                "finished_at": run["finished_at"],
            },
            "listed": listed,
        }
    orders = None
    if ref.order is not None:
        with db.connect() as conn:
            pause = paused(conn, ref.key)
        orders = {
            "connection": ref.order.connection,
            "auth": ref.order.auth.type,
            "paused": pause is not None,
            "paused_reason": pause[1] if pause is not None else None,
        }
    return {
        "name": ref.key,
        "refurbisher_id": ref.refurbisher_id,
        "supplier_id": ref.settings.supplier_id,
        "env": config.env,
        "offers": offers,
        "orders": orders,
        "shipment_webhook": "configured" if ref.shipment_webhook is not None else "not configured",
        "checks": [],
    }
