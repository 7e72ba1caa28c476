"""Faults the FlexIT order-API simulator can inject, and the queue that holds them.

A fault is queued with ``FlexitOrderApi.inject`` (or ``POST /_sandbox/faults``) and
consumed, first in first out, by the next request to its target endpoint. Whether the
simulator *created the order* is the point of most faults — the orders service must
tell "certainly not acted on" from "maybe acted on" — so it is part of the table in
``irp.sandbox.order_api``'s docstring and of :data:`CREATES_ORDER` here.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Fault(StrEnum):
    """One misbehaviour of the supplier's API."""

    # Answer with this status (JSON body); nothing created unless params create=True.
    HTTP_500 = "500"
    HTTP_503 = "503"
    HTTP_429 = "429"  # with Retry-After: <seconds> (param, default 1)
    HTTP_401 = "401"
    HTTP_409 = "409"
    HTTP_422 = "422"
    # Read the request, then close the socket with RST; nothing created.
    RESET_BEFORE_CREATE = "reset_before_create"
    # Create the order, then close the socket with RST.
    RESET_AFTER_CREATE = "reset_after_create"
    # Create the order, then sleep (param seconds, default 5) and close without answering.
    TIMEOUT_AFTER_CREATE = "timeout_after_create"
    # Create the order, answer 201 with an empty JSON object.
    CREATED_WITHOUT_ORDER_NUMBER = "201_without_order_number"
    # Create the order, answer 200 (not 201) with the usual body.
    OK_INSTEAD_OF_CREATED = "200_instead_of_201"
    # Create the order, answer 201 with an HTML body.
    NON_JSON = "non_json"
    # Create the order, answer 201 with the param body as application/json (hostile
    # JSON: NaN, nesting 100,000 deep...).
    RAW_BODY = "raw_body"
    # Sleep (param seconds, default 1), then behave normally.
    SLOW = "slow"


class Target(StrEnum):
    """The endpoint whose next request consumes a fault."""

    CREATE = "create"  # POST /order/api/order
    LOOKUP = "lookup"  # GET /order/api/order/{externalDocumentNumber}/status
    SHIPMENT = "shipment"  # GET /order/api/shipment/{OrderNumber}
    TOKEN = "token"  # POST /oauth/token


STATUS_FAULTS: frozenset[Fault] = frozenset(
    {Fault.HTTP_500, Fault.HTTP_503, Fault.HTTP_429, Fault.HTTP_401, Fault.HTTP_409, Fault.HTTP_422}
)

# Faults that only make sense on the create endpoint: they create an order first.
CREATE_ONLY: frozenset[Fault] = frozenset(
    {
        Fault.RESET_AFTER_CREATE,
        Fault.TIMEOUT_AFTER_CREATE,
        Fault.CREATED_WITHOUT_ORDER_NUMBER,
        Fault.OK_INSTEAD_OF_CREATED,
        Fault.RAW_BODY,
    }
)

# Whether a POST that consumes the fault creates the order (given valid credentials and
# a valid payload). None: as without the fault. Status faults create only with create=True.
CREATES_ORDER: dict[Fault, bool | None] = {
    Fault.HTTP_500: False,
    Fault.HTTP_503: False,
    Fault.HTTP_429: False,
    Fault.HTTP_401: False,
    Fault.HTTP_409: False,
    Fault.HTTP_422: False,
    Fault.RESET_BEFORE_CREATE: False,
    Fault.RESET_AFTER_CREATE: True,
    Fault.TIMEOUT_AFTER_CREATE: True,
    Fault.CREATED_WITHOUT_ORDER_NUMBER: True,
    Fault.OK_INSTEAD_OF_CREATED: True,
    Fault.NON_JSON: True,
    Fault.RAW_BODY: True,
    Fault.SLOW: None,
}

_ALLOWED_PARAMS: dict[Fault, frozenset[str]] = {
    **{fault: frozenset({"create"}) for fault in STATUS_FAULTS},
    Fault.HTTP_429: frozenset({"create", "retry_after"}),
    Fault.TIMEOUT_AFTER_CREATE: frozenset({"seconds"}),
    Fault.SLOW: frozenset({"seconds"}),
    Fault.RAW_BODY: frozenset({"body"}),
}


@dataclass(frozen=True)
class InjectedFault:
    """A queued fault with its parameters (``seconds``, ``retry_after``, ``create``)."""

    fault: Fault
    target: Target
    params: dict[str, Any] = field(default_factory=dict)

    def seconds(self, default: float) -> float:
        return float(self.params.get("seconds", default))

    @property
    def creates_on_status(self) -> bool:
        return bool(self.params.get("create", False))


def make_fault(fault: str, on: str, params: dict[str, Any]) -> InjectedFault:
    """Check a fault request and build it; ValueError names what is wrong."""
    try:
        kind = Fault(fault)
    except ValueError:
        known = ", ".join(f.value for f in Fault)
        raise ValueError(f"unknown fault {fault!r}; known faults: {known}") from None
    try:
        target = Target(on)
    except ValueError:
        known = ", ".join(t.value for t in Target)
        raise ValueError(f"unknown fault target {on!r}; known targets: {known}") from None
    if kind in CREATE_ONLY and target is not Target.CREATE:
        raise ValueError(f"fault {kind.value!r} only applies to on='create'")
    if kind is Fault.NON_JSON and target is Target.TOKEN:
        raise ValueError("fault 'non_json' does not apply to on='token'")
    unknown = set(params) - _ALLOWED_PARAMS.get(kind, frozenset())
    if unknown:
        raise ValueError(f"fault {kind.value!r} takes no parameter(s) {sorted(unknown)}")
    return InjectedFault(kind, target, dict(params))


class FaultQueue:
    """Thread-safe FIFO queues of faults, one per target endpoint."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[Target, deque[InjectedFault]] = {t: deque() for t in Target}

    def push(self, fault: InjectedFault, times: int) -> None:
        if times < 1:
            raise ValueError(f"times must be >= 1, got {times}")
        with self._lock:
            self._queues[fault.target].extend([fault] * times)

    def pop(self, target: Target) -> InjectedFault | None:
        with self._lock:
            queue = self._queues[target]
            return queue.popleft() if queue else None

    def pending(self) -> list[InjectedFault]:
        with self._lock:
            return [f for queue in self._queues.values() for f in queue]

    def clear(self) -> None:
        with self._lock:
            for queue in self._queues.values():
                queue.clear()
