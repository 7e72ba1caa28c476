"""Each monitoring check crossing its threshold both ways, at an injected moment."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

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

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
WHO = Subject("flexit", "acceptance")


def ago(hours: float) -> datetime:
    return NOW - timedelta(hours=hours)


def test_latest_order_passes_within_and_fails_past_the_threshold() -> None:
    inside = judge_latest_order(
        WHO, 48, NOW, last_submitted=("5001", ago(47.5)), first_synced_at=None
    )
    past = judge_latest_order(WHO, 48, NOW, last_submitted=("5001", ago(51)), first_synced_at=None)

    assert inside == CheckResult(
        "flexit",
        "acceptance",
        "latest_order",
        47.5,
        48,
        True,
        "last order 5001 submitted 47.5 h ago; within 48 h",
    )
    assert past == CheckResult(
        "flexit",
        "acceptance",
        "latest_order",
        51.0,
        48,
        False,
        "last order 5001 submitted 51.0 h ago (2026-11-26 09:00 UTC), more than 48 h: check "
        "that flexit's offers are listed on the marketplace and that orders reach IRP "
        "(irp orders list)",
    )


def test_latest_order_with_a_fractional_threshold() -> None:
    results = [
        judge_latest_order(WHO, 0.5, NOW, last_submitted=("5001", ago(h)), first_synced_at=None)
        for h in (0.49, 0.51)
    ]

    assert [(r.value, r.ok) for r in results] == [(0.49, True), (0.51, False)]
    assert results[0].detail == "last order 5001 submitted 29 min ago; within 0.5 h"


def test_ages_under_an_hour_are_given_in_minutes_or_seconds() -> None:
    details = [
        judge_latest_order(
            WHO, 48, NOW, last_submitted=("5001", ago(h)), first_synced_at=None
        ).detail
        for h in (1.0, 0.25, 10 / 3600)
    ]

    assert details == [
        "last order 5001 submitted 1.0 h ago; within 48 h",
        "last order 5001 submitted 15 min ago; within 48 h",
        "last order 5001 submitted 10 s ago; within 48 h",
    ]


def test_latest_order_without_orders_counts_from_the_first_sync() -> None:
    fresh = judge_latest_order(WHO, 48, NOW, last_submitted=None, first_synced_at=ago(5))
    quiet = judge_latest_order(WHO, 48, NOW, last_submitted=None, first_synced_at=ago(60))
    never = judge_latest_order(WHO, 48, NOW, last_submitted=None, first_synced_at=None)

    assert (fresh.ok, fresh.value, fresh.detail) == (
        True,
        5.0,
        "no order submitted yet; first synced 5.0 h ago, within 48 h",
    )
    assert (quiet.ok, quiet.value, quiet.detail) == (
        False,
        60.0,
        "no order submitted yet; first synced 60.0 h ago, more than 48 h: check that its "
        "offers are listed on the marketplace",
    )
    assert (never.ok, never.value, never.detail) == (
        False,
        None,
        "no order was ever submitted to flexit and its offers were never synced: run "
        "`irp offers sync flexit` and list its offers",
    )


def test_offers_stock_is_the_age_of_the_newest_published_feed() -> None:
    fresh = judge_offers_stock(WHO, 48, NOW, published_at=ago(2), stale_after_hours=72)
    stale = judge_offers_stock(WHO, 48, NOW, published_at=ago(50), stale_after_hours=72)
    never = judge_offers_stock(WHO, 48, NOW, published_at=None, stale_after_hours=72)

    assert (fresh.ok, fresh.value, fresh.detail) == (
        True,
        2.0,
        "newest feed version published 2.0 h ago; within 48 h",
    )
    assert (stale.ok, stale.value, stale.detail) == (
        False,
        50.0,
        "newest feed version published 50.0 h ago (2026-11-26 10:00 UTC), more than 48 h: "
        "the supplier's export may have stopped, ask flexit and check `irp offers sync "
        "flexit`; its stock is unlisted after 72 h",
    )
    assert (never.ok, never.value) == (False, None)


def test_open_orders_counts_the_overdue_and_names_the_oldest() -> None:
    none = judge_open_orders(WHO, 4, NOW, overdue=[])
    late = judge_open_orders(
        WHO,
        4,
        NOW,
        overdue=[
            OpenOrder("5002", "SO-000002", ago(4.5 * 24)),
            OpenOrder("5001", None, ago(5.25 * 24)),
        ],
    )

    assert (none.ok, none.value, none.threshold, none.detail) == (
        True,
        0,
        0,
        "no order submitted more than 4 days ago is unshipped",
    )
    assert (late.ok, late.value, late.threshold, late.detail) == (
        False,
        2,
        0,
        "2 order(s) submitted more than 4 days ago are not shipped; oldest 5001 (no "
        "reference) submitted 5.2 days ago: ask flexit about it",
    )


def test_offers_endpoint_compares_the_status() -> None:
    good = judge_offers_endpoint(
        WHO, 200, status=200, detail="GET https://x/feed answered HTTP 200"
    )
    bad = judge_offers_endpoint(WHO, 200, status=503, detail="GET https://x/feed answered HTTP 503")
    gone = judge_offers_endpoint(WHO, 200, status=None, detail="connection refused")

    assert (good.ok, good.value, good.detail) == (
        True,
        200,
        "GET https://x/feed answered HTTP 200; expected 200",
    )
    assert (bad.ok, bad.value, bad.detail) == (
        False,
        503,
        "got 503, expected 200: GET https://x/feed answered HTTP 503",
    )
    assert (gone.ok, gone.value, gone.detail) == (
        False,
        None,
        "got no answer, expected 200: connection refused",
    )


def test_order_endpoint_is_one_when_reachable() -> None:
    assert judge_order_endpoint(WHO, ok=True, detail="reachable") == CheckResult(
        "flexit", "acceptance", "order_endpoint", 1, 1, True, "reachable"
    )
    assert judge_order_endpoint(WHO, ok=False, detail="401").value == 0


def test_stuck_orders_count_orders_past_the_threshold_and_a_paused_breaker() -> None:
    calm = judge_stuck_orders(WHO, 4, NOW, facts=StuckFacts(orders=[]))
    stuck = judge_stuck_orders(
        WHO,
        4,
        NOW,
        facts=StuckFacts(
            orders=[("5001", "failed", ago(6)), ("5002", "uncertain", ago(4.5))],
            paused_since=ago(6),
            paused_reason="order 5001: authentication refused",
        ),
    )

    assert (calm.ok, calm.value, calm.detail) == (
        True,
        0,
        "no order waits longer than 4 h for an operator",
    )
    assert (stuck.ok, stuck.value, stuck.detail) == (
        False,
        3,
        "2 order(s) waiting more than 4 h (1 failed, 1 uncertain); oldest 5001 failed for "
        "6.0 h: see `irp orders show 5001`; submissions paused since 2026-11-28 06:00 UTC "
        "(order 5001: authentication refused): fix it, then `irp check flexit`",
    )


def test_unmatched_shipments_past_the_threshold() -> None:
    calm = judge_unmatched_shipments(WHO, 1, NOW, unmatched=[])
    waiting = judge_unmatched_shipments(WHO, 1, NOW, unmatched=[("SO-000009", ago(3))])

    assert (calm.ok, calm.value) == (True, 0)
    assert (waiting.ok, waiting.value, waiting.detail) == (
        False,
        1,
        "1 shipment(s) matched no order for more than 1 h; oldest for SO-000009 received "
        "3.0 h ago: check the reference with flexit; see `irp shipments list --unmatched`",
    )


def test_secret_expiry_alerts_within_the_threshold_days() -> None:
    today = date(2026, 11, 28)
    path = "flexit.order.auth.client_secret"
    far = judge_secret_expiry(WHO, 30, today, expiries={path: date(2027, 3, 1)})
    near = judge_secret_expiry(WHO, 30, today, expiries={path: date(2026, 12, 20)})
    expired = judge_secret_expiry(WHO, 30, today, expiries={path: date(2026, 11, 20)})
    none = judge_secret_expiry(WHO, 30, today, expiries={})

    assert (far.ok, far.value, far.detail) == (
        True,
        93,
        "flexit.order.auth.client_secret expires 2027-03-01, in 93 days; alert at 30",
    )
    assert (near.ok, near.value, near.detail) == (
        False,
        22,
        "flexit.order.auth.client_secret expires 2026-12-20, in 22 days (alert at 30 days): "
        "rotate it with flexit, then update the secret and its expires date in the config",
    )
    assert (expired.ok, expired.value) == (False, -8)
    assert expired.detail.startswith(f"{path} expires 2026-11-20, 8 days ago (alert at 30 days)")
    assert (none.ok, none.value, none.detail) == (
        True,
        None,
        "no credential of flexit carries an expires date",
    )


def test_secret_expiry_picks_the_first_credential_to_expire() -> None:
    result = judge_secret_expiry(
        WHO,
        0.5,
        date(2026, 11, 28),
        expiries={"flexit.order.auth.client_id": date(2027, 1, 1), "flexit.x": date(2026, 11, 29)},
    )

    assert (result.ok, result.value, result.threshold) == (True, 1, 0.5)
    assert result.detail == "flexit.x expires 2026-11-29, in 1 day; alert at 0.5"
