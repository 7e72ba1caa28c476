"""The monitoring checks of SPEC §5, as pure judgements over gathered facts.

Each ``judge_*`` takes what :mod:`irp.monitoring.gather` read from the database (and
the probes saw), the threshold and ``now``, and returns one :class:`CheckResult` with
``value``, ``threshold``, ``ok`` and a ``detail`` an operator can act on ("last order
submitted 51.0 h ago, more than 48 h: ..."). Nothing here reads a clock, a database or
the network, so every check can be tested at any moment.

Thresholds may be fractional (``latest_order_hours: 0.5``); values are compared
unrounded and reported to four decimals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

__all__ = [
    "CHECK_NAMES",
    "CheckResult",
    "OpenOrder",
    "StuckFacts",
    "judge_latest_order",
    "judge_offers_endpoint",
    "judge_offers_stock",
    "judge_open_orders",
    "judge_order_endpoint",
    "judge_secret_expiry",
    "judge_stuck_orders",
    "judge_unmatched_shipments",
]

CHECK_NAMES = (
    "latest_order",
    "offers_stock",
    "open_orders",
    "offers_endpoint",
    "order_endpoint",
    "stuck_orders",
    "unmatched_shipments",
    "secret_expiry",
)
"""Every check, in the order ``irp monitor`` shows them."""


@dataclass(frozen=True)
class CheckResult:
    """One check of one refurbisher in one environment (``irp monitor --json`` row)."""

    refurbisher: str
    env: str
    check: str
    value: float | None
    threshold: float | None
    ok: bool
    detail: str

    def to_json(self) -> dict[str, Any]:
        """``{"refurbisher", "env", "check", "value", "threshold", "ok", "detail"}``."""
        return {
            "refurbisher": self.refurbisher,
            "env": self.env,
            "check": self.check,
            "value": self.value,
            "threshold": self.threshold,
            "ok": self.ok,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Subject:
    """Who is checked: refurbisher key, environment."""

    refurbisher: str
    env: str

    def result(
        self, check: str, value: float | None, threshold: float | None, ok: bool, detail: str
    ) -> CheckResult:
        shown = None if value is None else round(value, 4)
        return CheckResult(self.refurbisher, self.env, check, shown, threshold, ok, detail)


def _hours(start: datetime, now: datetime) -> float:
    return (now - start).total_seconds() / 3600


def _h(value: float) -> str:
    """An age for people: hours, or minutes/seconds under an hour ("0.0 h" says nothing)."""
    if value >= 1:
        return f"{value:.1f} h"
    seconds = value * 3600
    return f"{seconds / 60:.0f} min" if seconds >= 60 else f"{seconds:.0f} s"


def _days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


# --- latest_order ------------------------------------------------------------------------


def judge_latest_order(
    who: Subject,
    threshold_hours: float,
    now: datetime,
    *,
    last_submitted: tuple[str, datetime] | None,
    first_synced_at: datetime | None,
) -> CheckResult:
    """Hours since the last order was submitted; before any, since the first sync."""
    name, limit = "latest_order", threshold_hours
    if last_submitted is not None:
        order_id, at = last_submitted
        hours = _hours(at, now)
        if hours <= limit:
            detail = f"last order {order_id} submitted {_h(hours)} ago; within {limit:g} h"
            return who.result(name, hours, limit, True, detail)
        detail = (
            f"last order {order_id} submitted {_h(hours)} ago ({_when(at)}), more than "
            f"{limit:g} h: check that {who.refurbisher}'s offers are listed on the "
            "marketplace and that orders reach IRP (irp orders list)"
        )
        return who.result(name, hours, limit, False, detail)
    if first_synced_at is None:
        detail = (
            f"no order was ever submitted to {who.refurbisher} and its offers were never "
            f"synced: run `irp offers sync {who.refurbisher}` and list its offers"
        )
        return who.result(name, None, limit, False, detail)
    hours = _hours(first_synced_at, now)
    ok = hours <= limit
    detail = f"no order submitted yet; first synced {_h(hours)} ago" + (
        f", within {limit:g} h"
        if ok
        else f", more than {limit:g} h: check that its offers are listed on the marketplace"
    )
    return who.result(name, hours, limit, ok, detail)


# --- offers_stock --------------------------------------------------------------------------


def judge_offers_stock(
    who: Subject,
    threshold_hours: float,
    now: datetime,
    *,
    published_at: datetime | None,
    stale_after_hours: float | None,
) -> CheckResult:
    """Hours since the newest feed version was published (freshness, SPEC §2)."""
    name, limit = "offers_stock", threshold_hours
    if published_at is None:
        detail = (
            f"{who.refurbisher}'s offers were never synced successfully: run "
            f"`irp offers sync {who.refurbisher}` and read its report"
        )
        return who.result(name, None, limit, False, detail)
    hours = _hours(published_at, now)
    if hours <= limit:
        detail = f"newest feed version published {_h(hours)} ago; within {limit:g} h"
        return who.result(name, hours, limit, True, detail)
    unlist = (
        f"; its stock is unlisted after {stale_after_hours:g} h"
        if stale_after_hours is not None
        else ""
    )
    detail = (
        f"newest feed version published {_h(hours)} ago ({_when(published_at)}), more than "
        f"{limit:g} h: the supplier's export may have stopped, ask {who.refurbisher} and "
        f"check `irp offers sync {who.refurbisher}`{unlist}"
    )
    return who.result(name, hours, limit, False, detail)


# --- open_orders ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenOrder:
    """A submitted order that has not shipped: id, the refurbisher's reference, when."""

    order_id: str
    external_reference: str | None
    submitted_at: datetime


def judge_open_orders(
    who: Subject, threshold_days: float, now: datetime, *, overdue: list[OpenOrder]
) -> CheckResult:
    """Orders submitted more than ``threshold_days`` ago and not shipped (threshold 0)."""
    name = "open_orders"
    if not overdue:
        detail = f"no order submitted more than {threshold_days:g} days ago is unshipped"
        return who.result(name, 0, 0, True, detail)
    oldest = min(overdue, key=lambda o: o.submitted_at)
    days = _hours(oldest.submitted_at, now) / 24
    detail = (
        f"{len(overdue)} order(s) submitted more than {threshold_days:g} days ago are not "
        f"shipped; oldest {oldest.order_id} ({oldest.external_reference or 'no reference'}) "
        f"submitted {days:.1f} days ago: ask {who.refurbisher} about it"
    )
    return who.result(name, len(overdue), 0, False, detail)


# --- endpoints -----------------------------------------------------------------------------


def judge_offers_endpoint(
    who: Subject, expected: int, *, status: int | None, detail: str
) -> CheckResult:
    """The feed source answers as expected now (HTTP status; 200 for a good SFTP login)."""
    ok = status == expected
    shown = "no answer" if status is None else str(status)
    text = f"{detail}; expected {expected}" if ok else f"got {shown}, expected {expected}: {detail}"
    return who.result("offers_endpoint", status, expected, ok, text)


def judge_order_endpoint(who: Subject, *, ok: bool, detail: str) -> CheckResult:
    """The order API is reachable with the configured auth (no order is sent)."""
    return who.result("order_endpoint", 1 if ok else 0, 1, ok, detail)


# --- stuck_orders --------------------------------------------------------------------------


@dataclass(frozen=True)
class StuckFacts:
    """Orders nobody handled in time: (id, state, since) each, and a paused breaker."""

    orders: list[tuple[str, str, datetime]]
    paused_since: datetime | None = None
    paused_reason: str | None = None


def judge_stuck_orders(
    who: Subject, threshold_hours: float, now: datetime, *, facts: StuckFacts
) -> CheckResult:
    """Orders uncertain/failed/rejected (or pending past due) for longer than the threshold,
    plus a paused circuit breaker (each counts one)."""
    name = "stuck_orders"
    count = len(facts.orders) + (1 if facts.paused_since is not None else 0)
    if count == 0:
        detail = f"no order waits longer than {threshold_hours:g} h for an operator"
        return who.result(name, 0, 0, True, detail)
    parts: list[str] = []
    if facts.orders:
        by_state: dict[str, int] = {}
        for _, state, _ in facts.orders:
            by_state[state] = by_state.get(state, 0) + 1
        states = ", ".join(f"{n} {state}" for state, n in sorted(by_state.items()))
        order_id, state, since = min(facts.orders, key=lambda o: o[2])
        parts.append(
            f"{len(facts.orders)} order(s) waiting more than {threshold_hours:g} h ({states}); "
            f"oldest {order_id} {state} for {_h(_hours(since, now))}: see "
            f"`irp orders show {order_id}`"
        )
    if facts.paused_since is not None:
        parts.append(
            f"submissions paused since {_when(facts.paused_since)} "
            f"({facts.paused_reason or 'no reason'}): fix it, then `irp check {who.refurbisher}`"
        )
    return who.result(name, count, 0, False, "; ".join(parts))


# --- unmatched_shipments ---------------------------------------------------------------------


def judge_unmatched_shipments(
    who: Subject,
    threshold_hours: float,
    now: datetime,
    *,
    unmatched: list[tuple[str | None, datetime]],
) -> CheckResult:
    """Shipments that matched no order for longer than the threshold (threshold 0)."""
    name = "unmatched_shipments"
    if not unmatched:
        detail = f"no shipment has waited more than {threshold_hours:g} h for its order"
        return who.result(name, 0, 0, True, detail)
    reference, received = min(unmatched, key=lambda u: u[1])
    detail = (
        f"{len(unmatched)} shipment(s) matched no order for more than {threshold_hours:g} h; "
        f"oldest for {reference or 'an order'} received {_h(_hours(received, now))} ago: "
        f"check the reference with {who.refurbisher}; see `irp shipments list --unmatched`"
    )
    return who.result(name, len(unmatched), 0, False, detail)


# --- secret_expiry ---------------------------------------------------------------------------


def judge_secret_expiry(
    who: Subject, threshold_days: float, today: date, *, expiries: dict[str, date]
) -> CheckResult:
    """Days until the first credential's ``expires`` date; ok above the threshold."""
    name = "secret_expiry"
    if not expiries:
        detail = f"no credential of {who.refurbisher} carries an expires date"
        return who.result(name, None, threshold_days, True, detail)
    path, expires = min(expiries.items(), key=lambda item: (item[1], item[0]))
    days = (expires - today).days
    when = f"{path} expires {expires.isoformat()}"
    if days > threshold_days:
        detail = f"{when}, in {_days(days)}; alert at {threshold_days:g}"
        return who.result(name, days, threshold_days, True, detail)
    left = f"in {_days(days)}" if days >= 0 else f"{_days(-days)} ago"
    detail = (
        f"{when}, {left} (alert at {threshold_days:g} days): rotate it with "
        f"{who.refurbisher}, then update the secret and its expires date in the config"
    )
    return who.result(name, days, threshold_days, False, detail)
