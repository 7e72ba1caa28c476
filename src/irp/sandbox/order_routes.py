"""The HTTP side of the FlexIT order-API simulator: routing, answers and faults.

``irp.sandbox.order_api.FlexitOrderApi`` owns the state (orders, faults, credentials);
this module turns one HTTP request into one answer — or into a reset or a silence, as
the queued fault says. Routes and faults are described in ``order_api``'s docstring.
"""

from __future__ import annotations

import json
import socket
import struct
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from irp.sandbox.faults import STATUS_FAULTS, Fault, InjectedFault, Target
from irp.sandbox.flexit_schema import parse_json, validate_order
from irp.sandbox.http_server import TrackedHandler

if TYPE_CHECKING:
    from irp.sandbox.order_api import FlexitOrderApi

ORDER_PATH = "/order/api/order"
TOKEN_PATH = "/oauth/token"
MASK = "***"

ORDER_NOT_FOUND = {"error": "order not found", "code": "ORDER_NOT_FOUND"}
SHIPMENT_NOT_FOUND = {"error": "shipment not found", "code": "SHIPMENT_NOT_FOUND"}
NO_ROUTE = {"error": "no route"}
INVALID_CLIENT = {"error": "invalid client"}

_FAULT_BODIES: dict[Fault, dict[str, Any]] = {
    Fault.HTTP_500: {"error": "internal server error"},
    Fault.HTTP_503: {"error": "service unavailable"},
    Fault.HTTP_429: {"error": "too many requests"},
    Fault.HTTP_401: INVALID_CLIENT,
    Fault.HTTP_409: {"error": "conflict"},
    Fault.HTTP_422: {"errors": [{"field": "", "message": "refused (injected fault)"}]},
}
_HTML = b"<html><body><h1>Order received</h1></body></html>"


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the simulator saw it; credential values replaced by ``***``."""

    method: str
    path: str
    headers: dict[str, str]
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class StoredOrder:
    order_number: str
    payload: dict[str, Any]
    created_at: datetime
    visible_at: float
    shipment: dict[str, str] | None = field(default=None)

    @property
    def external_document_number(self) -> str:
        return str(self.payload.get("externalDocumentNumber", ""))

    def as_dict(self) -> dict[str, Any]:
        return {
            "order_number": self.order_number,
            "external_document_number": self.external_document_number,
            "payload": self.payload,
            "created_at": self.created_at,
            "shipped": self.shipment is not None,
        }


def _order_answer(order: StoredOrder) -> dict[str, Any]:
    return {
        "OrderNumber": order.order_number,
        "externalDocumentNumber": order.external_document_number,
        "Status": "Shipped" if order.shipment else "Open",
    }


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


class OrderApiHandler(TrackedHandler):
    _handled: bool = False

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    # -- plumbing ----------------------------------------------------------------

    @property
    def api(self) -> FlexitOrderApi:
        api: FlexitOrderApi = self.server.owner
        return api

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        path = urlsplit(self.path).path
        self._record(path, headers, body)
        parts = [unquote(p) for p in path.strip("/").split("/")]
        method = self.command
        route = self._route(parts)
        if route is None:
            self._send_json(404, NO_ROUTE)
        elif route[0] != method:
            self._send_json(405, {"error": "method not allowed"})
        else:
            route[1](headers, body, parts)

    def _route(self, parts: list[str]) -> tuple[str, Any] | None:
        joined = "/".join(parts)
        if joined == "order/api/order":
            return "POST", self._create_order
        if len(parts) == 5 and parts[:3] == ["order", "api", "order"] and parts[4] == "status":
            return "GET", self._lookup_order
        if len(parts) == 4 and parts[:3] == ["order", "api", "shipment"]:
            return "GET", self._get_shipment
        if joined == "oauth/token":
            return "POST", self._issue_token
        control = {
            "_sandbox/faults": ("POST", self._control_faults),
            "_sandbox/orders": ("GET", self._control_orders),
            "_sandbox/shipments": ("POST", self._control_ship),
        }
        if joined == "_sandbox/faults" and self.command == "GET":
            return "GET", self._control_list_faults
        return control.get(joined)

    def _record(self, path: str, headers: dict[str, str], body: bytes) -> None:
        secret = self.api._credentials.secret_headers()
        masked = {k: (MASK if k in secret else v) for k, v in headers.items()}
        text = body.decode("utf-8", "replace")
        if path == TOKEN_PATH:
            form = {k: v[0] for k, v in parse_qs(text).items()}
            form.update({k: MASK for k in ("client_secret",) if k in form})
            text = urlencode(form, safe="*")
        self.api._record(RecordedRequest(self.command, path, masked, text))

    def _send_json(
        self, status: int, body: object, extra_headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(body, default=_json_default).encode("utf-8")
        self._send(status, "application/json", data, extra_headers)

    def _send(
        self,
        status: int,
        content_type: str,
        data: bytes,
        extra_headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (extra_headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _reset(self) -> None:
        """Close the connection with RST (SO_LINGER 0), answering nothing."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()

    def _send_fault_status(self, fault: InjectedFault) -> None:
        headers = {}
        if fault.fault is Fault.HTTP_429:
            headers["Retry-After"] = str(fault.params.get("retry_after", 1))
        self._send_json(int(fault.fault.value), _FAULT_BODIES[fault.fault], headers)

    def _pre_fault(self, target: Target) -> InjectedFault | None:
        """Apply the part of the next fault that comes before any work.

        Returns the fault still to apply after creating, or None. Sets
        ``close_connection`` and answers when the fault ends the request here.
        """
        fault = self.api._faults.pop(target)
        if fault is None:
            return None
        if fault.fault is Fault.SLOW:
            self.api._stopping.wait(fault.seconds(1.0))
            return None
        if fault.fault is Fault.RESET_BEFORE_CREATE:
            self._reset()
            self._handled = True
            return None
        creates = target is Target.CREATE and fault.creates_on_status
        if fault.fault in STATUS_FAULTS and not creates:
            self._send_fault_status(fault)
            self._handled = True
            return None
        if fault.fault is Fault.NON_JSON and target is not Target.CREATE:
            self._send(200, "text/html", _HTML)
            self._handled = True
            return None
        return fault

    # -- routes ------------------------------------------------------------------

    def _create_order(self, headers: dict[str, str], body: bytes, _parts: list[str]) -> None:
        self._handled = False
        fault = self._pre_fault(Target.CREATE)
        if self._handled:
            return
        if not self.api._credentials.accepts(headers):
            self._send_json(401, INVALID_CLIENT)
            return
        try:
            payload = parse_json(body)
        except ValueError as exc:
            self._send_json(422, {"errors": [{"field": "", "message": f"not JSON: {exc}"}]})
            return
        issues = validate_order(payload)
        if issues:
            self._send_json(422, {"errors": [i.as_json() for i in issues]})
            return
        order, created = self.api._create(payload)
        if not created:
            answer = {
                "error": "duplicate externalDocumentNumber",
                "OrderNumber": order.order_number,
            }
            self._send_json(409, answer)
            return
        self._answer_created(order, fault)

    def _answer_created(self, order: StoredOrder, fault: InjectedFault | None) -> None:
        kind = fault.fault if fault else None
        if fault is not None and kind in STATUS_FAULTS:
            self._send_fault_status(fault)
        elif kind is Fault.RESET_AFTER_CREATE:
            self._reset()
        elif fault is not None and kind is Fault.TIMEOUT_AFTER_CREATE:
            self.api._stopping.wait(fault.seconds(5.0))
            self.close_connection = True
        elif kind is Fault.CREATED_WITHOUT_ORDER_NUMBER:
            self._send_json(201, {})
        elif kind is Fault.OK_INSTEAD_OF_CREATED:
            self._send_json(200, _order_answer(order))
        elif kind is Fault.NON_JSON:
            self._send(201, "text/html", _HTML)
        elif fault is not None and kind is Fault.RAW_BODY:
            self._send(201, "application/json", str(fault.params.get("body", "")).encode())
        else:
            self._send_json(201, _order_answer(order))

    def _lookup_order(self, headers: dict[str, str], _body: bytes, parts: list[str]) -> None:
        self._handled = False
        self._pre_fault(Target.LOOKUP)
        if self._handled:
            return
        if not self.api._credentials.accepts(headers):
            self._send_json(401, INVALID_CLIENT)
            return
        order = self.api._find_visible(parts[3])
        if order is None:
            self._send_json(404, ORDER_NOT_FOUND)
        else:
            self._send_json(200, _order_answer(order))

    def _get_shipment(self, headers: dict[str, str], _body: bytes, parts: list[str]) -> None:
        self._handled = False
        self._pre_fault(Target.SHIPMENT)
        if self._handled:
            return
        if not self.api._credentials.accepts(headers):
            self._send_json(401, INVALID_CLIENT)
            return
        shipment = self.api._find_shipment(parts[3])
        if shipment is None:
            self._send_json(404, SHIPMENT_NOT_FOUND)
        else:
            self._send_json(200, shipment)

    def _issue_token(self, headers: dict[str, str], body: bytes, _parts: list[str]) -> None:
        self._handled = False
        self._pre_fault(Target.TOKEN)
        if self._handled:
            return
        answer = self.api._credentials.issue_token(headers, body)
        self._send_json(answer.status, answer.body, {"Cache-Control": "no-store"})

    def _control_faults(self, _headers: dict[str, str], body: bytes, _parts: list[str]) -> None:
        try:
            request = json.loads(body or b"{}")
            if not isinstance(request, dict) or "fault" not in request:
                raise ValueError('send {"fault": ..., "times": 1, "on": "create", ...params}')
            params = {k: v for k, v in request.items() if k not in {"fault", "times", "on"}}
            times = int(request.get("times", 1))
            self.api.inject(
                str(request["fault"]), times=times, on=str(request.get("on", "create")), **params
            )
        except ValueError as exc:
            self._send_json(400, {"error": str(exc)})
            return
        self._send_json(201, {"queued": times, "pending": self.api.pending_faults()})

    def _control_list_faults(self, _h: dict[str, str], _b: bytes, _p: list[str]) -> None:
        self._send_json(200, {"pending": self.api.pending_faults()})

    def _control_orders(self, _h: dict[str, str], _b: bytes, _p: list[str]) -> None:
        self._send_json(200, {"orders": self.api.orders})

    def _control_ship(self, _headers: dict[str, str], body: bytes, _parts: list[str]) -> None:
        try:
            number = json.loads(body or b"{}").get("OrderNumber")
            shipment = self.api.ship(str(number))
        except (ValueError, AttributeError, LookupError) as exc:
            self._send_json(404, {"error": str(exc)})
            return
        self._send_json(201, shipment)
