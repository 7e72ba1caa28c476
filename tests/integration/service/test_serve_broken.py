"""``irp serve`` starts beside a broken refurbisher and shows it, with its errors.

``acme`` refers to ``${ACME_TOKEN}``, which is not set: its own config error sets it
aside. The service starts all the same, serves FlexIT, and ``GET /api/refurbishers``
lists acme as ``broken`` with the error's path and message, instead of leaving it out.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

from irp.sandbox.flexit import FlexitSandbox
from tests.integration.service.support import Services, order, wait_for, write_config


def test_serve_starts_and_lists_the_broken_refurbisher_with_its_errors(
    services: Services, sandbox: FlexitSandbox, tmp_path: Path
) -> None:
    path = write_config(tmp_path / "irp.json", sandbox)
    document = json.loads(path.read_text())
    acme = copy.deepcopy(document["flexit"])
    acme.update(name="acme", refurbisher_id=16)
    acme["order"]["auth"] = {"type": "bearer", "token": "${ACME_TOKEN}"}
    document["acme"] = acme
    path.write_text(json.dumps(document))
    services.env.pop("ACME_TOKEN", None)

    served = services.serve(path)
    sku = wait_for(served.listed_skus, "FlexIT's first sync lists offers")[0]
    accepted = served.api("POST", "/api/orders", json=order("8001", sku))
    refurbishers = served.api("GET", "/api/refurbishers")
    sync = served.api("POST", "/api/refurbishers/acme/sync")

    assert accepted.status_code == 201
    wait_for(lambda: served.order_status("8001") == "submitted", "FlexIT's order is sent")
    assert refurbishers.status_code == 200
    listed = refurbishers.json()
    assert [(r["name"], r["state"], r["errors"]) for r in listed] == [
        ("flexit", "ok", []),
        (
            "acme",
            "broken",
            [{"path": "acme.order.auth.token", "message": "${ACME_TOKEN} is not set"}],
        ),
    ]
    assert listed[1] == {
        "name": "acme",
        "state": "broken",
        "errors": [{"path": "acme.order.auth.token", "message": "${ACME_TOKEN} is not set"}],
        "refurbisher_id": None,
        "supplier_id": None,
        "env": "acceptance",
        "offers": None,
        "orders": None,
        "shipment_webhook": None,
        "checks": [],
    }
    assert (sync.status_code, sync.json()) == (
        422,
        {
            "detail": "acme is disabled by its configuration (acme.order.auth.token: "
            "${ACME_TOKEN} is not set); fix it"
        },
    )
