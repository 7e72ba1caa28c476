"""What ``GET /api/refurbishers`` says about each refurbisher (the status page reads it too).

Config facts (never a secret: the auth *type*, not its values), the last sync, how
many offers are listed, whether submissions are paused, and ``checks``: the monitoring
checks of the last run (SPEC §5; empty before the first). ``state`` is ``ok``, or
``broken`` for a refurbisher its own config errors set aside: it is listed after the
healthy ones with its ``errors`` (path and message, never a secret) and nothing else,
so a broken refurbisher shows red instead of vanishing.
"""

from __future__ import annotations

from typing import Any

from irp.config import Config, Refurbisher
from irp.errors import ConfigError
from irp.feeds.export import last_sync
from irp.monitoring.run import last_results
from irp.orders.breaker import paused
from irp.store.db import Database
from irp.store.refurbishers import count_listed

__all__ = ["refurbisher_overview"]


def refurbisher_overview(db: Database, config: Config) -> list[dict[str, Any]]:
    """One entry per configured refurbisher: the healthy ones in config order, then the
    broken ones."""
    with db.connect() as conn:
        checks = last_results(conn, config.env)
    healthy = [
        _one(db, config, ref, [c.to_json() for c in checks if c.refurbisher == ref.key])
        for ref in config.refurbishers.values()
    ]
    return healthy + [_broken(config, key, errors) for key, errors in config.broken.items()]


def _broken(config: Config, key: str, errors: list[ConfigError]) -> dict[str, Any]:
    return {
        "name": key,
        "state": "broken",
        "errors": [{"path": error.path, "message": error.message} for error in errors],
        "refurbisher_id": None,
        "supplier_id": None,
        "env": config.env,
        "offers": None,
        "orders": None,
        "shipment_webhook": None,
        "checks": [],
    }


def _one(
    db: Database, config: Config, ref: Refurbisher, checks: list[dict[str, Any]]
) -> dict[str, Any]:
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
        "state": "ok",
        "errors": [],
        "refurbisher_id": ref.refurbisher_id,
        "supplier_id": ref.settings.supplier_id,
        "env": config.env,
        "offers": offers,
        "orders": orders,
        "shipment_webhook": "configured" if ref.shipment_webhook is not None else "not configured",
        "checks": checks,
    }
