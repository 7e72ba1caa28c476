"""A sandbox Odoo on 127.0.0.1: the marketplace's purchasing, where IRP touches it.

A real HTTP server (stdlib ``ThreadingHTTPServer`` in a thread) over the in-memory
records of :mod:`irp.sandbox.odoo_orm`, so the Odoo client is tested through real
sockets. Used by the integration tests and ``irp demo``.

Routes:

- ``POST /json/2/<model>/<method>`` (Odoo 19; ``major_version`` >= 19) — named
  arguments plus ``ids`` and ``context``; ``Authorization: bearer <key>`` and
  ``X-Odoo-Database``. 200 with the result; errors as Odoo gives them, a JSON object
  ``{"name", "message", "arguments", "context", "debug"}``: 401 ``Invalid apikey``,
  403 AccessError, 404 unknown model / method / record, 422 bad arguments or a
  refused value, 400 a body that is not JSON, 500 an invalid field. A database other
  than ``database``: 404 with Werkzeug's HTML page (Odoo serves it without a database).
- ``POST /jsonrpc`` — ``common.version``, ``common.authenticate`` / ``login``
  (``false`` for a wrong login or key), ``object.execute_kw(db, uid, key, model,
  method, args, kw)``; always HTTP 200, failures as the envelope's ``error``
  ``{"code": 200, "message": "Odoo Server Error", "data": {...}}`` (AccessDenied for a
  wrong key, an OperationalError naming a database that does not exist).
- ``GET /web/version`` — ``{"version_info", "version"}``, no key needed (Odoo 18 and
  later; the simulated Odoo 17 answers 404 there, its version is ``common.version``).
- ``GET /_sandbox/purchase_orders`` — the purchase orders with their lines (no key).

Faults (``inject(fault, times=1, on=...)``; ``on`` is an ORM method (``create``), a
model's method (``purchase.order.create``) or ``*`` for any), consumed by the next
matching call with a valid key:

=======================  =============================================================
``500``                  an unexpected server error, nothing done: JSON-2 500 with an
                         Odoo error body; /jsonrpc an ``error`` (RuntimeError)
``503``                  a reverse proxy's 503 HTML page (Odoo restarting); nothing done
``timeout_after_create`` the call is done (the PO exists), then ``seconds`` (default 5)
                         of silence and the connection closes: no answer ever comes
=======================  =============================================================

``stop()`` then ``start()`` is Odoo being down and back: the records stay, the port
is kept.
"""

from __future__ import annotations

import csv
import io
import secrets
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from irp.sandbox.http_server import ServerThread
from irp.sandbox.lifecycle import StartStop
from irp.sandbox.odoo_orm import OdooException, OdooOrm
from irp.sandbox.odoo_routes import MASK, OdooHandler, OdooRequest

__all__ = ["FLEXIT_VENDOR_ID", "OdooSimulator"]

FLEXIT_VENDOR_ID = 21469
DROPSHIP_PICKING_TYPE_ID = 7
USER_ID = 2
FAULTS = frozenset({"500", "503", "timeout_after_create"})
_COUNTRIES = {"NL": "Netherlands", "BE": "Belgium", "DE": "Germany", "FR": "France"}


@dataclass(frozen=True)
class OdooFault:
    """A queued misbehaviour for the next call of ``on``."""

    kind: str
    on: str
    seconds: float = 5.0

    def exception(self) -> OdooException:
        """The 500 fault: an exception Odoo did not expect."""
        return OdooException("builtins.RuntimeError", "internal server error", 500)


class _FaultQueue:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[OdooFault] = deque()

    def push(self, fault: OdooFault, times: int) -> None:
        with self._lock:
            self._queue.extend([fault] * times)

    def pop(self, model: str, method: str) -> OdooFault | None:
        with self._lock:
            for fault in self._queue:
                if fault.on in (method, f"{model}.{method}", "*"):
                    self._queue.remove(fault)
                    return fault
            return None

    def pending(self) -> list[str]:
        with self._lock:
            return [f"{f.kind} on {f.on}" for f in self._queue]


class OdooSimulator(StartStop):
    """The sandbox Odoo; see the module docstring for routes, errors and faults.

    >>> with OdooSimulator(api_key="k") as odoo:                       # doctest: +SKIP
    ...     odoo.add_product("FLX-1001", barcode="8712345678906", name="iPhone 13")
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        database: str = "marketplace",
        login: str = "irp-bot@example.com",
        major_version: int = 19,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.api_key = api_key or secrets.token_hex(20)
        self.database = database
        self.login = login
        self.orm = OdooOrm(major_version=major_version)
        self._address = (host, port)
        self._faults = _FaultQueue()
        self._lock = threading.Lock()
        self._requests: list[OdooRequest] = []
        self._runner = ServerThread("odoo-simulator")
        self._stopping = self._runner.stopping
        self._seed()

    def __repr__(self) -> str:
        where = self.url if self._runner.running else "stopped"
        return f"OdooSimulator({where}, database={self.database!r})"

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> OdooSimulator:
        self._runner.start(self._address, OdooHandler, self)
        self._address = self._runner.address  # a restart keeps the port
        return self

    def stop(self) -> None:
        """Stop serving (Odoo is down); the records stay for a later ``start()``."""
        self._runner.stop()

    @property
    def url(self) -> str:
        host, port = self._address
        return f"http://{host}:{port}"

    @property
    def serves_json2(self) -> bool:
        return self.orm.major_version >= 19

    def platform_config(self, api: str = "json2", **changes: Any) -> dict[str, Any]:
        """A ``platform.odoo`` block for this simulator (the key written in as given)."""
        block: dict[str, Any] = {
            "url": self.url,
            "database": self.database,
            "api_key": self.api_key,
            "api": api,
        }
        if api == "jsonrpc":
            block["login"] = self.login
        block.update(changes)
        return block

    # -- test controls ------------------------------------------------------------------

    def inject(
        self, fault: str, *, times: int = 1, on: str = "create", seconds: float = 5.0
    ) -> None:
        """Queue ``fault`` for the next ``times`` calls of ``on`` (``create``,
        ``purchase.order.create``, or ``*`` for any)."""
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; known: {', '.join(sorted(FAULTS))}")
        if times < 1:
            raise ValueError(f"times must be >= 1, got {times}")
        self._faults.push(OdooFault(fault, on, seconds), times)

    def pending_faults(self) -> list[str]:
        return self._faults.pending()

    def add_product(
        self, default_code: str | None, *, barcode: str | None = None, name: str = ""
    ) -> int:
        """A product variant with Internal Reference ``default_code`` and ``barcode``."""
        values = {"default_code": default_code or False, "barcode": barcode or False}
        return self.orm.insert("product.product", {**values, "name": name or default_code or ""})

    def add_products(self, rows: Iterable[tuple[str, str | None, str]]) -> None:
        """Many products at once: ``(default_code, barcode, name)``."""
        for code, barcode, name in rows:
            self.add_product(code, barcode=barcode, name=name)

    def add_feed_products(self, feed: bytes) -> int:
        """Every offer of a FlexIT feed (:mod:`irp.sandbox.feed`) as a product; how many."""
        reader = csv.DictReader(io.StringIO(feed.decode("utf-8-sig")), delimiter=";")
        rows = [
            (row["Flex IT Part Number"], row["EAN"] or None, row["Description"]) for row in reader
        ]
        self.add_products(rows)
        return len(rows)

    def purchase_orders(self) -> list[dict[str, Any]]:
        """Every purchase order with its lines, oldest first."""
        lines = self.orm.records("purchase.order.line")
        return [
            {**po, "lines": [line for line in lines if line["order_id"] == po["id"]]}
            for po in self.orm.records("purchase.order")
        ]

    @property
    def requests(self) -> list[OdooRequest]:
        with self._lock:
            return list(self._requests)

    def calls(self, method: str) -> int:
        """How many calls of ORM method ``method`` reached the simulator."""
        return sum(1 for r in self.requests if r.method == method)

    def mask(self, text: str) -> str:
        return text.replace(self.api_key, MASK)

    def version_info(self) -> dict[str, Any]:
        major = self.orm.major_version
        return {"version_info": [major, 0, 0, "final", 0, ""], "version": f"{major}.0"}

    # -- used by the handler ------------------------------------------------------------

    def _record(self, request: OdooRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _rpc(self, service: str, method: str, args: list[Any]) -> Any:
        """One ``/jsonrpc`` call: ``common`` or ``object`` service."""
        if service == "common" and method == "version":
            return {"server_version": f"{self.orm.major_version}.0", "protocol_version": 1}
        if service == "common" and method in ("authenticate", "login"):
            database, login, key = [*args, None, None, None][:3]
            self._check_database(database)
            return USER_ID if (login, key) == (self.login, self.api_key) else False
        if service == "object" and method == "execute_kw" and len(args) >= 6:
            database, uid, key, model, name, positional = args[:6]
            named = args[6] if len(args) > 6 and isinstance(args[6], Mapping) else {}
            self._check_database(database)
            if uid != USER_ID or key != self.api_key:
                raise OdooException("odoo.exceptions.AccessDenied", "Access Denied", 403)
            return self._execute_kw(str(model), str(name), list(positional), dict(named))
        raise OdooException("builtins.KeyError", f"no method {service}.{method}", 404)

    def _execute_kw(self, model: str, method: str, args: list[Any], named: dict[str, Any]) -> Any:
        named.pop("context", None)
        ids, from_args = self.orm.positional(method, args)
        overlap = set(from_args) & set(named)
        if overlap:
            raise OdooException(
                "builtins.TypeError",
                f"got multiple values for argument {sorted(overlap)[0]!r}",
                422,
            )
        try:
            result = self.orm.execute(model, method, ids, {**from_args, **named})
        except OdooException as exc:
            if exc.name != "werkzeug.exceptions.NotFound":
                raise
            # execute_kw reports an unknown model as the registry's KeyError, an unknown
            # method as the model's AttributeError.
            if exc.message.startswith("the model"):
                raise OdooException("builtins.KeyError", repr(model), 404) from None
            message = f"The method '{method}' does not exist on the model '{model}'"
            raise OdooException("builtins.AttributeError", message, 404) from None
        if method == "create" and args and isinstance(args[0], Mapping):
            return result[0]  # one dict in, one id out (Odoo's create over RPC)
        return result

    def _check_database(self, database: Any) -> None:
        if database != self.database:
            raise OdooException(
                "psycopg2.OperationalError",
                'connection to server at "127.0.0.1", port 5432 failed: FATAL:  database '
                f'"{database}" does not exist',
                500,
            )

    def _seed(self) -> None:
        """FlexIT's vendor 21469, a company, countries, the API user, the drop-ship type."""
        orm = self.orm
        orm.insert("res.company", {"name": "iUsed B.V."}, 1)
        orm.insert("res.users", {"name": "IRP bot", "login": self.login}, USER_ID)
        for number, (code, name) in enumerate(_COUNTRIES.items(), start=1):
            orm.insert("res.country", {"code": code, "name": name}, number)
        orm.insert("stock.picking.type", {"name": "Receipts", "code": "incoming"}, 1)
        orm.insert(
            "stock.picking.type",
            {"name": "Dropship", "code": "dropship"},
            DROPSHIP_PICKING_TYPE_ID,
        )
        orm.insert(
            "res.partner",
            {"name": "FlexIT Distribution B.V.", "supplier_rank": 1},
            FLEXIT_VENDOR_ID,
        )
