"""The colour of a cell from monitoring's check results (pure)."""

from __future__ import annotations

from irp.monitoring.checks import CheckResult
from irp.web.health import cell_state, check_from_json, fix_link, near_threshold


def check(name: str, value: float | None, threshold: float | None, ok: bool) -> CheckResult:
    return CheckResult("flexit", "acceptance", name, value, threshold, ok, f"{name} detail")


def test_a_failing_check_or_a_broken_config_is_red() -> None:
    passing = check("latest_order", 1.0, 48.0, True)
    assert cell_state([passing, check("stuck_orders", 2, 0, False)], broken=False,
                      last_sync_status="ok") == "fail"  # fmt: skip
    assert cell_state([passing], broken=True, last_sync_status="ok") == "fail"


def test_amber_near_a_threshold_after_an_unsuccessful_sync_or_when_stale() -> None:
    near = check("offers_stock", 36.0, 48.0, True)  # 75 % of the threshold
    below = check("offers_stock", 35.9, 48.0, True)
    assert (near_threshold(near), near_threshold(below)) == (True, False)
    assert cell_state([near], broken=False, last_sync_status="ok") == "warn"
    assert cell_state([below], broken=False, last_sync_status="ok") == "ok"
    for status in ("refused", "failed", "waiting", "busy"):
        assert cell_state([below], broken=False, last_sync_status=status) == "warn"
    assert cell_state([below], broken=False, last_sync_status="ok", stale=True) == "warn"
    # Counts with threshold 0 and days left are never "near": only hours since something.
    assert not near_threshold(check("secret_expiry", 40, 30, True))
    assert cell_state([], broken=False, last_sync_status=None) == "none"


def test_a_peer_check_is_read_as_given_and_odd_values_become_none() -> None:
    read = check_from_json(
        {"check": "offers_stock", "value": 0.5, "threshold": 0.0003, "ok": False, "detail": "d"},
        "production",
        "flexit",
    )
    assert read == CheckResult("flexit", "production", "offers_stock", 0.5, 0.0003, False, "d")
    odd = check_from_json({"value": "x", "ok": "yes"}, "production", "flexit")
    assert (odd.check, odd.value, odd.threshold, odd.ok) == ("?", None, None, False)


def test_each_check_links_to_where_it_is_fixed() -> None:
    assert fix_link("flexit", "offers_stock") == ("Sync now", "/refurbishers/flexit#sync")
    assert fix_link("flexit", "open_orders") == (
        "See submitted orders", "/orders?state=submitted&refurbisher=flexit",
    )  # fmt: skip
    assert fix_link("flexit", "stuck_orders") == (
        "See its waiting orders", "/orders?state=operator&refurbisher=flexit",
    )  # fmt: skip
    assert fix_link("flexit", "no_such_check") is None
