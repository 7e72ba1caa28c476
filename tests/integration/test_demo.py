"""``make demo`` stays true: the whole demo runs against the bundled sandbox."""

from __future__ import annotations

import pytest

from irp.sandbox.demo import run_demo

DEMO_VARIABLES = (
    "FLEXIT_SFTP_PASSWORD",
    "FLEXIT_CLIENT_ID",
    "FLEXIT_CLIENT_SECRET",
    "GREENBYTE_FEED_TOKEN",
    "GREENBYTE_CLIENT_ID",
    "GREENBYTE_CLIENT_SECRET",
    "GREENBYTE_WEBHOOK_SECRET",
    "IRP_DEMO_EVENTS_SECRET",
    "ODOO_API_KEY",
)


def test_demo_runs_both_refurbishers_from_offers_to_delivery_and_monitoring(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key in DEMO_VARIABLES:
        monkeypatch.setenv(key, "replaced-by-the-demo")  # restored after the test
    lines: list[str] = []

    code = run_demo(lines.append, rows=40)

    assert code == 0, "\n".join(lines)
    text = "\n".join(lines)
    assert "   ok: 40 rows, 40 created, 0 invalid," in text
    assert "second sync: unchanged" in text
    assert "   greenbyte ok: 6 rows, 6 created, 0 invalid, 6 listed" in text
    assert sum(" accepted" in line for line in lines) == 5
    assert "FlexIT holds 4 order(s) for 4 placed; duplicates: 0" in text
    submitted = {line.split(":")[0].strip() for line in lines if "submitted  reference SO-" in line}
    assert submitted == {"DEMO-5001", "DEMO-5002", "DEMO-5003", "DEMO-5004"}
    # Odoo (SPEC §9): the first create's answer is swallowed, settled by a search.
    booked = [line for line in lines if line.startswith("   P0000")]
    assert len(booked) == 4
    assert all(" purchase FlexIT Distribution B.V. (21469), ref SO-" in line for line in booked)
    assert sum(": linked   P00001 (id 1)" in line for line in lines) == 1
    assert (
        "Odoo holds 4 purchase order(s) for the submitted orders; duplicates: 0; not booked: 0"
        in lines
    )
    assert "   DEMO-6001: submitted  reference GB-10001" in lines
    assert lines[lines.index("   poll 1: 4 not shipped") + 2 :][:3] == [
        "   poll 2: 4 shipped",
        "   poll 3: 4 delivered",
        "   FlexIT orders now: {'delivered': 4}",
    ]
    assert "   signed delivery   -> 200 matched=True, order_id=DEMO-6001, status=shipped" in lines
    assert "   the same again    -> 200 matched=True, order_id=DEMO-6001, status=shipped" in lines
    assert (
        "   forged signature  -> 401 detail=webhook-signature does not match "
        "(no valid v1 signature)"
    ) in lines
    assert "   delivered         -> 200 matched=True, order_id=DEMO-6001, status=delivered" in lines
    assert (
        "   21 events: 5 order.accepted, 5 order.delivered, 5 order.shipped, "
        "5 order.submitted, 1 order.uncertain"
    ) in lines
    assert any(line.startswith("   pushed 21 of 21; the marketplace refused 1") for line in lines)
    checks = [
        line.split()[:3]
        for line in lines[lines.index("10. irp monitor: every check of both refurbishers") + 1 :]
        if line.startswith("   flexit") or line.startswith("   greenbyte")
    ]
    assert len(checks) == 15 and all(mark == "ok" for _, _, mark in checks)
    assert lines[-1] == "   all checks pass"
