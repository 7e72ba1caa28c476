"""GreenByte, a fictional second refurbisher, simulated on 127.0.0.1.

IRP speaks to it through configuration only (``examples/greenbyte.json``); nothing
in IRP knows its name. Where FlexIT has an SFTP CSV feed in nl_NL, client-id headers
and shipment polling, GreenByte has:

- ``GET /v1/offers.json`` — an HTTP JSON feed (``Authorization: Bearer <feed token>``)
  ``{"generated_at", "offers": [{"sku", "title", "gtin", "stock", "price", "msrp"}]}``
  with en_US prices as text (``"1,249.00"``), and ``Last-Modified``;
- ``POST /oauth/token`` — OAuth2 client credentials (HTTP Basic), tokens for an hour;
- ``POST /v2/orders`` — ``Authorization: Bearer <access token>``; 422 ``{"errors"}``
  when ``reference``, ``ship_to`` or ``items`` is missing; else 201 ``{"order": {"id":
  "GB-10001", "reference", "state": "received"}}``;
- shipment webhooks, signed with Standard Webhooks: :meth:`GreenbyteApi.shipment_delivery`
  builds one (body and headers, as GreenByte would send them) for an order it holds.

>>> with GreenbyteApi(client_id="id", client_secret="secret", feed_token="t",
...                   webhook_secret="whsec_...") as api:
...     api.feed_url
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import format_datetime
from typing import Any

from standardwebhooks import Webhook

from irp.sandbox.credentials import CredentialChecker
from irp.sandbox.loopback import LoopbackHandler, LoopbackServer, ServerThread

__all__ = ["GreenbyteApi", "greenbyte_offers"]

_MODELS = (
    ("GB-IPH13-128", "Apple iPhone 13 128GB (Grade A)", "0194252707937", "1,049.00", "1,299.00"),
    ("GB-IPH12-64", "Apple iPhone 12 64GB (Grade B)", "0194252029985", "389.50", "549.00"),
    ("GB-S21-128", "Samsung Galaxy S21 5G 128GB", "8806092030478", "299.00", "449.00"),
    ("GB-PIX6-128", "Google Pixel 6 128GB", "0810029930161", "279.00", ""),
    ("GB-MBA-M1", 'Apple MacBook Air 13" M1 256GB', "0194252057100", "1,249.00", "1,499.00"),
    ("GB-X1C9", "Lenovo ThinkPad X1 Carbon Gen 9", "0196119353473", "849.99", "1,099.00"),
)


def greenbyte_offers(rows: int = 6) -> list[dict[str, Any]]:
    """GreenByte's offers as its feed lists them (en_US prices as text)."""
    offers = []
    for index in range(rows):
        sku, title, gtin, price, msrp = _MODELS[index % len(_MODELS)]
        suffix = f"-{index // len(_MODELS)}" if index >= len(_MODELS) else ""
        offers.append(
            {
                "sku": sku + suffix,
                "title": title,
                "gtin": gtin,
                "stock": 3 + index % 7,
                "price": price,
                "msrp": msrp or None,
            }
        )
    return offers


@dataclass
class GreenbyteOrder:
    id: str
    payload: dict[str, Any]
    created_at: datetime
    shipments: list[dict[str, Any]] = field(default_factory=list)


class _Handler(LoopbackHandler):
    server: LoopbackServer

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        api: GreenbyteApi = self.server.owner
        route = (self.command, self.path.split("?")[0])
        if route == ("GET", "/v1/offers.json"):
            if not api._feed_auth.accepts(headers):
                self._json(401, {"error": "invalid token"})
                return
            self._json(200, api._feed_document(), {"Last-Modified": api._feed_modified()})
        elif route == ("POST", "/oauth/token"):
            answer = api._order_auth.issue_token(headers, body)
            self._json(answer.status, answer.body, {"Cache-Control": "no-store"})
        elif route == ("POST", "/v2/orders"):
            if not api._order_auth.accepts(headers):
                self._json(401, {"error": "invalid_token"})
                return
            status, created = api._create(body)
            self._json(status, created)
        elif route[1] in ("/v1/offers.json", "/oauth/token", "/v2/orders"):
            self._json(405, {"error": "method not allowed"})
        else:
            self._json(404, {"error": "no route"})

    def _json(self, status: int, body: Any, extra: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class GreenbyteApi(ServerThread):
    """GreenByte's feed, token endpoint and order API; see the module docstring."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        feed_token: str,
        webhook_secret: str,
        rows: int = 6,
        host: str = "127.0.0.1",
    ) -> None:
        self._order_auth = CredentialChecker(
            mode="oauth2",
            client_id=client_id,
            client_secret=client_secret,
            client_id_header="client_id",
            client_secret_header="client_secret",
            auth_header="X-Api-Key",
            token_expires_in=3600,
        )
        self._feed_auth = CredentialChecker(
            mode="bearer",
            client_id="feed",
            client_secret=feed_token,
            client_id_header="client_id",
            client_secret_header="client_secret",
            auth_header="X-Api-Key",
            token_expires_in=3600,
        )
        super().__init__(host)
        self.handler = _Handler
        self.thread_name = "greenbyte-api"
        self._webhook = Webhook(webhook_secret)
        self._lock = threading.Lock()
        self.offers = greenbyte_offers(rows)
        self.modified = datetime.now(UTC).replace(microsecond=0)
        self._orders: list[GreenbyteOrder] = []

    @property
    def feed_url(self) -> str:
        return self.base_url + "/v1/offers.json"

    @property
    def orders_url(self) -> str:
        return self.base_url + "/v2/orders"

    @property
    def token_url(self) -> str:
        return self.base_url + "/oauth/token"

    @property
    def orders(self) -> list[GreenbyteOrder]:
        with self._lock:
            return list(self._orders)

    def shipment_delivery(
        self,
        order_id: str,
        *,
        status: str = "shipped",
        webhook_id: str | None = None,
        at: datetime | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """The signed webhook GreenByte sends when order ``order_id`` ships (or arrives).

        One parcel per order line-set, tracked by DHL; ``status``: shipped, in_transit or
        delivered. Returns the exact body bytes and the Standard Webhooks headers.
        """
        with self._lock:
            order = next((o for o in self._orders if o.id == order_id), None)
            if order is None:
                raise LookupError(f"GreenByte holds no order {order_id!r}")
            number = f"JVGL{int(order.id.removeprefix('GB-')):014d}"
            parcel = {
                "order_id": order.id,
                "reference": order.payload.get("reference"),
                "carrier": "DHL",
                "tracking": {
                    "number": number,
                    "url": f"https://www.dhl.com/nl-en/home/tracking.html?tracking-id={number}",
                },
                "shipped_at": order.created_at.isoformat(),
                "status": status,
                "items": [
                    {"sku": item["sku"], "quantity": item["qty"]}
                    for item in order.payload.get("items", [])
                ],
            }
            order.shipments.append(parcel)
        moment = at or datetime.now(UTC)
        document = {
            "type": "shipment.updated",
            "timestamp": moment.isoformat(),
            "data": {"shipments": [parcel]},
        }
        body = json.dumps(document).encode()
        message_id = webhook_id or f"msg_{order.id}_{status}_{len(order.shipments)}"
        headers = {
            "content-type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(moment.timestamp())),
            "webhook-signature": self._webhook.sign(message_id, moment, body.decode()),
        }
        return body, headers

    # -- used by the handler -------------------------------------------------------

    def _feed_document(self) -> dict[str, Any]:
        return {"generated_at": self.modified.isoformat(), "offers": self.offers}

    def _feed_modified(self) -> str:
        return format_datetime(self.modified, usegmt=True)

    def _create(self, body: bytes) -> tuple[int, dict[str, Any]]:
        try:
            payload = json.loads(body, parse_float=Decimal)
        except ValueError as exc:
            return 422, {"errors": [f"not JSON: {exc}"]}
        if not isinstance(payload, dict):
            return 422, {"errors": ["expected an object"]}
        missing = [k for k in ("reference", "ship_to", "items") if not payload.get(k)]
        if missing:
            return 422, {"errors": [f"{key} is required" for key in missing]}
        with self._lock:
            order = GreenbyteOrder(
                id=f"GB-{10001 + len(self._orders)}",
                payload=payload,
                created_at=datetime.now(UTC).replace(microsecond=0),
            )
            self._orders.append(order)
        answer = {"id": order.id, "reference": payload["reference"], "state": "received"}
        return 201, {"order": answer}
