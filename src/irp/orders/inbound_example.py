"""The example marketplace order: one source for the API's docs, the sandbox and tests.

The order of the contract's example (id 5001, one FLX-1001 at 249.00 to Amsterdam), in
the inbound format ``irp orders add`` and ``POST /api/orders`` read
(:class:`irp.orders.intake.InboundOrder`). A plain module with no imports, so the
HTTP API can show it without importing the sandbox.
"""

from __future__ import annotations

import copy
from typing import Any, Final

__all__ = ["example_inbound_order"]

_EXAMPLE: Final[dict[str, Any]] = {
    "id": "5001",
    "refurbisher": "flexit",
    "order_number": "IU-100234",
    "shipping_address": {
        "full_name": "Jan Jansen",
        "full_address": "Damrak 1",
        "zipcode": "1012 AB",
        "city": "Amsterdam",
        "country": "NL",
    },
    "items": [{"sku": "FLX-1001", "quantity": 1, "unit_price_tax_excl": "249.00"}],
}


def example_inbound_order(**changes: Any) -> dict[str, Any]:
    """The example order (a fresh copy), with top-level ``changes`` applied."""
    order = copy.deepcopy(_EXAMPLE)
    order.update(changes)
    return order
