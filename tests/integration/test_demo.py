"""``make demo`` stays true: the whole demo runs against the bundled sandbox."""

from __future__ import annotations

import pytest

from irp.sandbox.demo import run_demo


def test_demo_syncs_offers_and_submits_every_order_exactly_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key in ("FLEXIT_SFTP_PASSWORD", "FLEXIT_CLIENT_ID", "FLEXIT_CLIENT_SECRET", "ODOO_API_KEY"):
        monkeypatch.setenv(key, "replaced-by-the-demo")  # restored after the test
    lines: list[str] = []

    code = run_demo(lines.append, rows=40)

    assert code == 0, "\n".join(lines)
    text = "\n".join(lines)
    assert "   ok: 40 rows, 40 created, 0 invalid," in text
    assert "second sync: unchanged" in text
    assert sum(" accepted" in line for line in lines) == 4
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
