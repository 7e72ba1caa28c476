"""The HTTP side of the sandbox Odoo: JSON-2, ``/jsonrpc``, ``/web/version``, faults.

:class:`~irp.sandbox.odoo.OdooSimulator` owns the records, the key and the faults; this
module turns one request into one answer as Odoo would give it (see that module's
docstring for the routes and the error shapes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from irp.sandbox.http_server import TrackedHandler
from irp.sandbox.odoo_orm import OdooException

if TYPE_CHECKING:
    from irp.sandbox.odoo import OdooSimulator

MASK = "***"
_NOT_FOUND_PAGE = (
    b"<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n"
    b"<p>The requested URL was not found on the server. If you entered the URL manually "
    b"please check your spelling and try again.</p>\n"
)

# What a reverse proxy answers while Odoo is restarting or overloaded.
_UNAVAILABLE_PAGE = (
    b"<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n"
    b"<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n"
    b"<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


@dataclass(frozen=True)
class OdooRequest:
    """One request as the simulator saw it (the key masked): which API, which call."""

    api: str  # json2 | jsonrpc | web
    model: str
    method: str
    body: str


def _default(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)  # Odoo answers floats
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def error_body(exc: OdooException) -> dict[str, Any]:
    """Odoo's serialised exception: name, message, arguments, context, debug."""
    return {
        "name": exc.name,
        "message": exc.message,
        "arguments": [exc.message, exc.status]
        if exc.name.startswith("werkzeug")
        else [exc.message],
        "context": {},
        "debug": f"Traceback (most recent call last):\n  (sandbox)\n{exc.name}: {exc.message}\n",
    }


class OdooHandler(TrackedHandler):
    @property
    def sim(self) -> OdooSimulator:
        simulator: OdooSimulator = self.server.owner
        return simulator

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        self._read_body()
        if path == "/web/version" and self.sim.orm.major_version >= 18:
            self._json(200, self.sim.version_info())
        elif path == "/_sandbox/purchase_orders":
            self._json(200, {"purchase_orders": self.sim.purchase_orders()})
        else:
            self._send(404, "text/html; charset=utf-8", _NOT_FOUND_PAGE)

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        body = self._read_body()
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if len(parts) == 4 and parts[:2] == ["json", "2"] and self.sim.serves_json2:
            self._json2(parts[2], parts[3], body)
        elif path == "/jsonrpc":
            self._jsonrpc(body)
        else:
            self._send(404, "text/html; charset=utf-8", _NOT_FOUND_PAGE)

    # -- JSON-2 -------------------------------------------------------------------------

    def _json2(self, model: str, method: str, body: bytes) -> None:
        text = body.decode("utf-8", "replace")
        self.sim._record(OdooRequest("json2", model, method, self.sim.mask(text)))
        database = self.headers.get("X-Odoo-Database")
        if database is not None and database != self.sim.database:
            # Odoo serves the request without a database: no /json/2 route exists then.
            self._send(404, "text/html; charset=utf-8", _NOT_FOUND_PAGE)
            return
        authorization = self.headers.get("Authorization", "")
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() != "bearer" or key.strip() != self.sim.api_key:
            unauthorized = OdooException("werkzeug.exceptions.Unauthorized", "Invalid apikey", 401)
            self._json(401, error_body(unauthorized))
            return
        fault = self.sim._faults.pop(model, method)
        if fault is not None and fault.kind == "503":
            self._send(503, "text/html", _UNAVAILABLE_PAGE)
            return
        if fault is not None and fault.kind == "500":
            self._json(500, error_body(fault.exception()))
            return
        try:
            request = json.loads(body or b"{}", parse_float=Decimal)
            if not isinstance(request, dict):
                raise ValueError("expecting a json object")
        except ValueError as exc:
            bad = OdooException(
                "werkzeug.exceptions.BadRequest", f"could not parse the body: {exc}", 400
            )
            self._json(400, error_body(bad))
            return
        ids = request.pop("ids", None)
        request.pop("context", None)
        try:
            result = self.sim.orm.execute(model, method, ids, request)
        except OdooException as exc:
            self._json(exc.status, error_body(exc))
            return
        if fault is not None and fault.kind == "timeout_after_create":
            self._silence(fault.seconds)
            return
        self._json(200, result)

    # -- /jsonrpc -----------------------------------------------------------------------

    def _jsonrpc(self, body: bytes) -> None:
        try:
            envelope = json.loads(body or b"{}", parse_float=Decimal)
            params = envelope["params"]
            service, method, args = params["service"], params["method"], list(params["args"])
        except (ValueError, KeyError, TypeError) as exc:
            self._json(
                200,
                {
                    "jsonrpc": "2.0",
                    "id": None,
                    "error": _rpc_error(
                        OdooException(
                            "werkzeug.exceptions.BadRequest", f"invalid JSON-RPC: {exc}", 400
                        )
                    ),
                },
            )
            return
        call_id = envelope.get("id")
        label = args[4] if service == "object" and len(args) > 4 else method
        model = args[3] if service == "object" and len(args) > 3 else service
        self.sim._record(
            OdooRequest("jsonrpc", str(model), str(label), self.sim.mask(body.decode()))
        )
        fault = self.sim._faults.pop(str(model), str(label))
        if fault is not None and fault.kind == "503":
            self._send(503, "text/html", _UNAVAILABLE_PAGE)
            return
        if fault is not None and fault.kind == "500":
            self._json(
                200, {"jsonrpc": "2.0", "id": call_id, "error": _rpc_error(fault.exception())}
            )
            return
        try:
            result = self.sim._rpc(service, method, args)
        except OdooException as exc:
            self._json(200, {"jsonrpc": "2.0", "id": call_id, "error": _rpc_error(exc)})
            return
        if fault is not None and fault.kind == "timeout_after_create":
            self._silence(fault.seconds)
            return
        self._json(200, {"jsonrpc": "2.0", "id": call_id, "result": result})

    # -- plumbing -----------------------------------------------------------------------

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _json(self, status: int, body: object) -> None:
        data = json.dumps(body, default=_default).encode("utf-8")
        self._send(status, "application/json; charset=utf-8", data)

    def _send(self, status: int, content_type: str, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _silence(self, seconds: float) -> None:
        """The work is done (committed); the answer never comes."""
        self.sim._stopping.wait(seconds)
        self.close_connection = True


def _rpc_error(exc: OdooException) -> dict[str, Any]:
    return {"code": 200, "message": "Odoo Server Error", "data": error_body(exc)}
