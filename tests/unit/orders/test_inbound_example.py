"""One example order: the HTTP API's docs, the sandbox and the tests share it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from irp.api.schemas import EXAMPLE_ORDER, inbound_orders_openapi
from irp.orders.inbound_example import example_inbound_order
from irp.orders.intake import InboundOrder
from irp.sandbox import flexit

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "orders.json"


def test_the_api_shows_the_one_example_the_sandbox_uses() -> None:
    body = inbound_orders_openapi()["requestBody"]
    documented = body["content"]["application/json"]["examples"]

    assert flexit.example_inbound_order is example_inbound_order
    assert example_inbound_order() == EXAMPLE_ORDER
    assert documented["one"]["value"] == example_inbound_order()
    assert documented["list"]["value"] == [
        example_inbound_order(),
        example_inbound_order(id="5002"),
    ]


def test_the_example_is_a_valid_inbound_order_and_each_copy_is_fresh() -> None:
    first = example_inbound_order(id="6001")
    first["items"][0]["quantity"] = 9
    order = InboundOrder.model_validate(example_inbound_order())

    assert (order.id, order.refurbisher, order.order_number) == ("5001", "flexit", "IU-100234")
    assert example_inbound_order()["items"][0]["quantity"] == 1
    shipped = json.loads(EXAMPLES.read_text())[0]
    assert {k: v for k, v in shipped.items() if k != "currency"} == example_inbound_order()


def test_the_api_schemas_import_no_sandbox() -> None:
    probe = "import sys, irp.api.schemas; print(sorted(m for m in sys.modules if 'sandbox' in m))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )

    assert done.stdout.strip() == "[]"
