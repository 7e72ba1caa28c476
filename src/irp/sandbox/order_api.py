"""FlexIT's order API, simulated on 127.0.0.1 with faults on demand.

A real HTTP/1.1 server (:mod:`irp.sandbox.http_server`, in a background thread) so the
orders service is tested through real sockets: resets are real RSTs, timeouts are real
silences. Used by the integration tests and by ``irp demo``.

Routes (credentials per ``auth_mode``, see :mod:`irp.sandbox.credentials`):

- ``POST /order/api/order`` — 401 ``{"error": "invalid client"}`` on bad credentials;
  422 ``{"errors": [{"field", "message"}]}`` for a payload FlexIT would refuse
  (:mod:`irp.sandbox.flexit_schema`; unknown keys included); else 201
  ``{"OrderNumber": "SO-000001", "externalDocumentNumber", "Status": "Open"}``.
  With ``reject_duplicates=True`` a second order with the same
  externalDocumentNumber gets 409 ``{"error": "duplicate externalDocumentNumber",
  "OrderNumber": <the first>}`` (a supplier that deduplicates); by default it is
  created again, so ``created_count`` shows duplicates.
- ``GET /order/api/order/{externalDocumentNumber}/status`` — 200 ``{"OrderNumber",
  "externalDocumentNumber", "Status": "Open" | "Shipped"}``; 404 ``{"error": "order not
  found", "code": "ORDER_NOT_FOUND"}``. An order is visible here only
  ``async_creation_seconds`` after its creation.
- ``GET /order/api/shipment/{OrderNumber}`` — 200 ``{"OrderNumber", "Carrier",
  "TrackAndTrace", "TrackingUrl", "ShippedAt"}`` after ``ship()``; else 404
  ``{"error": "shipment not found", "code": "SHIPMENT_NOT_FOUND"}``.
- ``POST /oauth/token`` — client credentials grant (``auth_mode="oauth2"`` only).
- Any other path: 404 ``{"error": "no route"}`` (unlike the markers above); a known
  path with another method: 405 ``{"error": "method not allowed"}``.
- Control, no credentials: ``POST /_sandbox/faults`` ``{"fault", "times", "on",
  ...params}``, ``GET /_sandbox/faults``, ``GET /_sandbox/orders``,
  ``POST /_sandbox/shipments`` ``{"OrderNumber"}``.

Faults (``inject(fault, times=1, on="create", **params)``), consumed first in first out
by the next request to the target (``on``: create, lookup, shipment, token). A fault is
consumed even when that request then fails on credentials or payload. "Created" is
about ``POST /order/api/order`` with valid credentials and payload:

========================  ========  ===============================================
fault                     created?  what the client sees
========================  ========  ===============================================
500 / 503 / 409           no        that status, JSON ``{"error": ...}``; before the
                                    credential check. ``create=True``: created first
429                       no        429 + ``Retry-After: <retry_after>`` (default 1)
401                       no        401 ``{"error": "invalid client"}``
422                       no        422 ``{"errors": [{"field": "", ...}]}``
reset_before_create       no        RST after the request was read (ReadError /
                                    RemoteProtocolError in httpx)
reset_after_create        yes       RST instead of the answer
timeout_after_create      yes       silence for ``seconds`` (default 5), then FIN
201_without_order_number  yes       201 ``{}``
200_instead_of_201        yes       200 with the usual body
non_json                  yes       201 ``text/html`` body (200 on other targets)
raw_body                  yes       201 ``application/json`` with the ``body`` param as
                                    it is (hostile JSON: ``NaN``, deep nesting)
slow                      as usual  the usual answer after ``seconds`` (default 1)
========================  ========  ===============================================
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

from irp.sandbox.credentials import CredentialChecker
from irp.sandbox.faults import FaultQueue, make_fault
from irp.sandbox.http_server import ServerThread
from irp.sandbox.lifecycle import StartStop
from irp.sandbox.order_routes import (
    ORDER_PATH,
    TOKEN_PATH,
    OrderApiHandler,
    RecordedRequest,
    StoredOrder,
)

__all__ = ["FlexitOrderApi", "RecordedRequest"]


class FlexitOrderApi(StartStop):
    """The FlexIT order API on 127.0.0.1; see the module docstring for routes and faults.

    >>> with FlexitOrderApi(client_id="id", client_secret="secret") as api:
    ...     api.inject("503", times=2)
    """

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        host: str = "127.0.0.1",
        port: int = 0,
        auth_mode: str = "client_id_secret",
        client_id_header: str = "client_id",
        client_secret_header: str = "client_secret",
        auth_header: str = "X-Api-Key",
        token_expires_in: float = 3600.0,
        async_creation_seconds: float = 0.0,
        reject_duplicates: bool = False,
    ) -> None:
        self._credentials = CredentialChecker(
            mode=auth_mode,
            client_id=client_id,
            client_secret=client_secret,
            client_id_header=client_id_header,
            client_secret_header=client_secret_header,
            auth_header=auth_header,
            token_expires_in=token_expires_in,
        )
        self.auth_mode = auth_mode
        self.async_creation_seconds = async_creation_seconds
        self.reject_duplicates = reject_duplicates
        self._address = (host, port)
        self._faults = FaultQueue()
        self._lock = threading.Lock()
        self._orders: list[StoredOrder] = []
        self._requests: list[RecordedRequest] = []
        self._runner = ServerThread("flexit-order-api")
        self._stopping = self._runner.stopping

    def __repr__(self) -> str:
        where = self.base_url if self._runner.running else "stopped"
        return f"FlexitOrderApi({where}, auth_mode={self.auth_mode!r})"

    # -- lifecycle ---------------------------------------------------------------

    def start(self) -> FlexitOrderApi:
        self._runner.start(self._address, OrderApiHandler, self)
        return self

    def stop(self) -> None:
        """Stop serving; wakes sleeping fault handlers and drops open connections."""
        self._runner.stop()

    # -- addresses ---------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host, port = self._runner.address
        return f"http://{host}:{port}"

    @property
    def endpoint(self) -> str:
        return self.base_url + ORDER_PATH

    @property
    def lookup_endpoint(self) -> str:
        """The lookup URL template, as an IRP ``order.lookup.endpoint``."""
        return self.base_url + ORDER_PATH + "/{externalDocumentNumber}/status"

    @property
    def shipment_endpoint(self) -> str:
        return self.base_url + "/order/api/shipment/{reference}"

    @property
    def token_url(self) -> str:
        return self.base_url + TOKEN_PATH

    # -- test controls -----------------------------------------------------------

    def inject(self, fault: str, *, times: int = 1, on: str = "create", **params: Any) -> None:
        """Queue ``fault`` for the next ``times`` requests to ``on``'s endpoint."""
        self._faults.push(make_fault(fault, on, params), times)

    def pending_faults(self) -> list[str]:
        return [f.fault.value for f in self._faults.pending()]

    def ship(self, order_number: str, *, carrier: str = "PostNL") -> dict[str, str]:
        """Mark an order shipped; its shipment and status endpoints show it from now on."""
        with self._lock:
            order = next((o for o in self._orders if o.order_number == order_number), None)
            if order is None:
                raise LookupError(f"the simulator holds no order {order_number!r}")
            sequence = int(order.order_number.removeprefix("SO-"))
            code = f"3SABCD{sequence:09d}"
            postal = str(order.payload["shipping"]["address"]["postalCode"]).replace(" ", "")
            country = order.payload["shipping"]["address"]["countryCode"]
            order.shipment = {
                "OrderNumber": order.order_number,
                "Carrier": carrier,
                "TrackAndTrace": code,
                "TrackingUrl": f"https://jouw.postnl.nl/track-and-trace/{code}-{country}-{postal}",
                "ShippedAt": datetime.now(UTC).isoformat(),
            }
            return dict(order.shipment)

    def revoke_tokens(self) -> None:
        """OAuth2: every issued token answers 401 from now on (the client must refresh)."""
        self._credentials.revoke_tokens()

    @property
    def token_requests(self) -> int:
        return self._credentials.token_requests

    @property
    def orders(self) -> list[dict[str, Any]]:
        """Created orders, oldest first: order_number, external_document_number,
        payload (floats as Decimal), created_at (UTC), shipped."""
        with self._lock:
            return [o.as_dict() for o in self._orders]

    def created_count(self, external_document_number: str) -> int:
        with self._lock:
            return sum(
                1 for o in self._orders if o.external_document_number == external_document_number
            )

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    # -- used by the handler -----------------------------------------------------

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _create(self, payload: dict[str, Any]) -> tuple[StoredOrder, bool]:
        """Store an order; (the order, False) for a refused duplicate."""
        with self._lock:
            if self.reject_duplicates:
                number = str(payload["externalDocumentNumber"])
                for existing in self._orders:
                    if existing.external_document_number == number:
                        return existing, False
            order = StoredOrder(
                order_number=f"SO-{len(self._orders) + 1:06d}",
                payload=payload,
                created_at=datetime.now(UTC),
                visible_at=time.monotonic() + self.async_creation_seconds,
            )
            self._orders.append(order)
            return order, True

    def _find_visible(self, external_document_number: str) -> StoredOrder | None:
        now = time.monotonic()
        with self._lock:
            for order in self._orders:
                if order.external_document_number == external_document_number and (
                    order.visible_at <= now
                ):
                    return order
            return None

    def _find_shipment(self, order_number: str) -> dict[str, str] | None:
        with self._lock:
            for order in self._orders:
                if order.order_number == order_number and order.shipment is not None:
                    return dict(order.shipment)
            return None
