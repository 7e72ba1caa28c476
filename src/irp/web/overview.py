"""The overview's rows: one per refurbisher, every environment side by side.

Shaped like the operators' own sheet: Refurbisher ID, Supplier ID, the offer connector
(connection · type · auth kind), the order connector (connection · auth kind), the
shipment webhook or "Not configured" — then one cell per environment with its health.
This instance's environment is read from its database; the others through
``platform.peers`` (:mod:`irp.web.peers`), or shown as "not connected".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from irp.config import Config, Refurbisher
from irp.monitoring.checks import CheckResult
from irp.store.refurbishers import count_listed
from irp.store.tables import sync_runs
from irp.web.health import (
    UNSUCCESSFUL_SYNC,
    Health,
    cell_state,
    check_from_json,
    fix_link,
    near_threshold,
    stale_after_seconds,
    stored_health,
)
from irp.web.peers import PeerView

ENV_ORDER = ("acceptance", "production")


@dataclass
class Cell:
    """One refurbisher in one environment."""

    env: str
    state: str  # ok | warn | fail | none
    summary: str
    problems: list[str] = field(default_factory=list)
    listed: int | None = None
    last_sync: str | None = None
    link: str | None = None
    checked: str | None = None
    fixes: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Row:
    """One refurbisher: the sheet's columns and a cell per environment."""

    key: str
    refurbisher_id: str
    supplier_id: str
    offers: str
    order: str
    webhook: str
    errors: list[str]
    cells: dict[str, Cell]

    @property
    def worst(self) -> str:
        order = {"fail": 0, "warn": 1, "ok": 2, "none": 3}
        return min((c.state for c in self.cells.values()), key=lambda s: order[s], default="none")


def environments(config: Config) -> list[str]:
    """Acceptance and production first, then any other environment a peer serves."""
    names = {*ENV_ORDER, config.env, *config.platform.peers}
    rank = {name: index for index, name in enumerate(ENV_ORDER)}
    return sorted(names, key=lambda n: (rank.get(n, len(rank)), n))


def offers_text(ref: Refurbisher) -> str:
    """``sftp · csv · password``: connection, file type, how it logs in."""
    offers = ref.offers
    if offers is None:
        return "Not configured"
    kind = {"sftp": "password", "file": "local file"}.get(offers.connection)
    if kind is None:
        kind = "header key" if getattr(offers.auth, "headers", None) else "no auth"
    return f"{offers.connection} · {offers.type} · {kind}"


def order_text(ref: Refurbisher) -> str:
    """``web · client_id_secret``: connection and auth kind."""
    if ref.order is None:
        return "Not configured"
    return f"{ref.order.connection} · {ref.order.auth.type}"


def webhook_text(ref: Refurbisher) -> str:
    """The shipment webhook's auth kind, or "Not configured"."""
    hook = ref.shipment_webhook
    return "Not configured" if hook is None else f"configured · {hook.auth.type}"


def build_rows(
    conn: sa.Connection, config: Config, now: datetime, peers: dict[str, PeerView]
) -> list[Row]:
    """Every refurbisher of the config (broken ones included), then those only peers know."""
    envs = environments(config)
    broken: dict[str, list[Any]] = dict(config.broken)
    health = stored_health(conn, config)
    every = config.platform.monitor_every_seconds
    rows: list[Row] = []
    for ref in config.refurbishers.values():
        cells = {env: _remote_cell(env, ref.key, peers, now) for env in envs if env != config.env}
        cells[config.env] = _local_cell(conn, config.env, ref, now, health[ref.key], every)
        rows.append(
            Row(
                key=ref.key,
                refurbisher_id=str(ref.refurbisher_id),
                supplier_id=_text(ref.settings.supplier_id),
                offers=offers_text(ref),
                order=order_text(ref),
                webhook=webhook_text(ref),
                errors=[],
                cells={env: cells[env] for env in envs},
            )
        )
    for key, errors in broken.items():
        messages = [str(e) for e in errors]
        cells = {env: _remote_cell(env, key, peers, now) for env in envs if env != config.env}
        cells[config.env] = Cell(
            config.env,
            "fail",
            "config broken",
            problems=messages,
            link=f"/refurbishers/{key}",
            fixes=[("See how to fix it", f"/refurbishers/{key}")],
        )
        rows.append(Row(key, "—", "—", "—", "—", "—", messages, {env: cells[env] for env in envs}))
    known = {row.key for row in rows}
    for view in peers.values():
        for key, entry in view.refurbishers.items():
            if key in known:
                continue
            known.add(key)
            cells = {env: _remote_cell(env, key, peers, now) for env in envs if env != config.env}
            cells[config.env] = Cell(config.env, "none", f"not configured in {config.env}")
            rows.append(_peer_only_row(key, entry, envs, cells))
    return rows


def _peer_only_row(key: str, entry: dict[str, Any], envs: list[str], cells: dict[str, Cell]) -> Row:
    offers = entry.get("offers") or {}
    order = entry.get("orders") or {}
    offers_line = " · ".join(str(offers[k]) for k in ("connection", "type") if offers.get(k))
    order_line = " · ".join(str(order[k]) for k in ("connection", "auth") if order.get(k))
    return Row(
        key=key,
        refurbisher_id=_text(entry.get("refurbisher_id")),
        supplier_id=_text(entry.get("supplier_id")),
        offers=offers_line or "Not configured",
        order=order_line or "Not configured",
        webhook="Not configured"
        if entry.get("shipment_webhook") in (None, "not configured")
        else "configured",
        errors=[],
        cells={env: cells[env] for env in envs},
    )


def _local_cell(
    conn: sa.Connection,
    env: str,
    ref: Refurbisher,
    now: datetime,
    health: Health,
    every: float,
) -> Cell:
    checks = health.checks
    run = last_finished_run(conn, ref.key)
    listed = None
    if ref.offers is not None:
        listed = count_listed(conn, ref.key)
    age = None if health.checked_at is None else (now - health.checked_at).total_seconds()
    stale = age is not None and age > stale_after_seconds(every)
    status = run.status if run else None
    state = cell_state(checks, broken=False, last_sync_status=status, stale=stale)
    last = None if run is None else f"{run.status}, {_ago(run.started_at, now)}"
    problems = _problems(checks)
    fixes = _fixes(ref.key, checks)
    if run is not None and run.status in UNSUCCESSFUL_SYNC:
        problems.append(f"last sync {run.status} {_ago(run.started_at, now)}")
        fixes.append(("See its sync history", f"/refurbishers/{ref.key}#syncs-title"))
    if stale and health.checked_at is not None:
        problems.append(
            f"the checks last ran {_ago(health.checked_at, now)} (they should run every "
            f"{_seconds(every)}): is irp serve running? Check now to run them"
        )
    checked = None if health.checked_at is None else f"checked {_ago(health.checked_at, now)}"
    ended = run.finished_at if run is not None else None
    if checked and ended is not None and health.checked_at and ended > health.checked_at:
        if state == "ok":
            checked += ", before the last sync ended: Check now to judge it"
        else:
            problems.append("judged before the last sync ended: Check now to judge it")
    summary = _summary(checks, state)
    if health.checked_at is None and _has_thresholds(ref):
        summary = "not checked yet"
        problems.append("monitoring has not run since the service started: Check now")
    return Cell(
        env,
        state,
        summary,
        problems,
        listed=listed,
        last_sync=last,
        link=f"/refurbishers/{ref.key}",
        checked=checked,
        fixes=_unique(fixes),
    )


def last_finished_run(conn: sa.Connection, key: str) -> sa.Row[Any] | None:
    """``status``, ``started_at``, ``finished_at`` of the newest sync that ended."""
    return conn.execute(
        sa.select(sync_runs.c.status, sync_runs.c.started_at, sync_runs.c.finished_at)
        .where(sync_runs.c.refurbisher == key, sync_runs.c.status != "running")
        .order_by(sync_runs.c.started_at.desc(), sync_runs.c.id.desc())
        .limit(1)
    ).first()


def _has_thresholds(ref: Refurbisher) -> bool:
    return any(
        getattr(ref.monitoring, name) not in (None, False)
        for name in type(ref.monitoring).model_fields
    )


def _remote_cell(env: str, key: str, peers: dict[str, PeerView], now: datetime) -> Cell:
    view = peers.get(env)
    if view is None:
        return Cell(env, "none", "not connected")
    if view.error is not None:
        return Cell(env, "warn", "peer unreachable", [view.error])
    entry = view.refurbishers.get(key)
    if entry is None:
        return Cell(env, "none", f"not configured in {env}")
    base = view.url.rstrip("/")
    if entry.get("state") == "broken":
        errors = [
            f"{e.get('path')}: {e.get('message')}" if isinstance(e, dict) else str(e)
            for e in entry.get("errors") or []
        ]
        return Cell(
            env,
            "fail",
            "config broken",
            errors or ["its config has errors"],
            link=f"{base}/refurbishers/{key}",
            fixes=[("See how to fix it", f"{base}/refurbishers/{key}")],
        )
    checks = [
        check_from_json(c, env, key) for c in entry.get("checks") or [] if isinstance(c, dict)
    ]
    offers = entry.get("offers") or {}
    sync = offers.get("last_sync") or {}
    status = sync.get("status") if isinstance(sync, dict) else None
    paused = bool((entry.get("orders") or {}).get("paused"))
    state = cell_state(checks, broken=paused, last_sync_status=status)
    problems = _problems(checks)
    if paused:
        reason = (entry.get("orders") or {}).get("paused_reason")
        problems.append(f"order submissions paused: {reason or 'no reason recorded'}")
    listed = offers.get("listed")
    started = sync.get("started_at") if isinstance(sync, dict) else None
    return Cell(
        env,
        state,
        _summary(checks, state),
        problems,
        listed=listed if isinstance(listed, int) else None,
        last_sync=f"{status}, {_ago_text(started, now)}" if status else None,
        link=f"{base}/refurbishers/{key}",
        fixes=[(label, base + path) for label, path in _fixes(key, checks)],
    )


def _problems(checks: list[CheckResult]) -> list[str]:
    failing = [c.detail for c in checks if not c.ok]
    return failing or [c.detail for c in checks if near_threshold(c)]


def _fixes(key: str, checks: list[CheckResult]) -> list[tuple[str, str]]:
    found = [fix_link(key, c.check) for c in checks if not c.ok or near_threshold(c)]
    return _unique([f for f in found if f is not None])


def _unique(items: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return list(dict.fromkeys(items))


def _seconds(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def _summary(checks: list[CheckResult], state: str) -> str:
    if not checks:
        return "no thresholds set"
    failing = sum(not c.ok for c in checks)
    if failing:
        return f"{failing} of {len(checks)} checks failing"
    return f"all {len(checks)} checks pass" + (" (close to a threshold)" if state == "warn" else "")


def _ago(moment: datetime, now: datetime) -> str:
    seconds = max((now - moment).total_seconds(), 0)
    if seconds < 90:
        return f"{seconds:.0f} s ago"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h ago"
    return f"{seconds / 86400:.1f} days ago"


def _ago_text(moment: object, now: datetime) -> str:
    """An ISO time from a peer as "5 min ago" (as given when it is not one)."""
    try:
        return _ago(datetime.fromisoformat(str(moment)), now)
    except (TypeError, ValueError):
        return str(moment)


def _text(value: object) -> str:
    return "—" if value is None else str(value)


__all__ = ["Cell", "Row", "build_rows", "environments", "last_finished_run"]
