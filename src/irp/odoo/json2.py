"""Odoo 19's external JSON-2 API: ``POST /json/2/<model>/<method>`` with a bearer key.

The body is a JSON object of named arguments plus ``ids`` and ``context``; the answer
is the method's return value (200) or an error object ``{"name", "message",
"arguments", "context", "debug"}`` with the status telling what happened:

====  ==========================================  ==========================
401   the API key was refused ("Invalid apikey")  OdooAuthError
403   an access right or record rule              OdooAccessError
404   JSON body: unknown model, method or record  OdooNotFoundError
404   not JSON: no such database (Odoo served     OdooDatabaseError
      the request without one), or not an Odoo
400,  bad arguments, a validation error           OdooRequestError
422
5xx,  a server error, overload                    OdooServerError
429
====  ==========================================  ==========================
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from irp.odoo.errors import (
    OdooAccessError,
    OdooAuthError,
    OdooDatabaseError,
    OdooError,
    OdooNotFoundError,
    OdooRequestError,
    OdooServerError,
)
from irp.odoo.transport import Call, HttpSession, error_message, parse_json
from irp.template.payload_json import encode_payload


class Json2Transport:
    """Calls over ``/json/2``; ``database`` goes in ``X-Odoo-Database``."""

    api = "json2"

    def __init__(
        self,
        url: str,
        *,
        database: str,
        api_key: str,
        connect_timeout: float = 10.0,
        read_timeout: float = 30.0,
    ) -> None:
        self.url = url
        self.database = database
        self._session = HttpSession(
            url, secret=api_key, connect_timeout=connect_timeout, read_timeout=read_timeout
        )
        self._headers = {
            "Authorization": f"bearer {api_key}",
            "X-Odoo-Database": database,
            "Content-Type": "application/json; charset=utf-8",
        }

    def __repr__(self) -> str:
        return f"Json2Transport({self.url!r}, database={self.database!r})"

    def endpoint(self, call: Call) -> str:
        return f"{self.url}/json/2/{call.model}/{call.method}"

    def call(self, call: Call, context: Mapping[str, Any]) -> Any:
        if call.positional:
            raise ValueError(f"{call.name}: JSON-2 takes named arguments only")
        body: dict[str, Any] = {}
        if call.ids is not None:
            body["ids"] = list(call.ids)
        if context:
            body["context"] = dict(context)
        body.update(call.named)
        response = self._session.post(
            self.endpoint(call), encode_payload(body), self._headers, call.name
        )
        if response.status_code == 200:
            try:
                return parse_json(response)
            except ValueError:
                raise OdooServerError(
                    f"{call.name}: Odoo answered 200 with a body that is not JSON: "
                    f"{self._session.excerpt(response)}; is platform.odoo.url an Odoo 19 server?",
                    200,
                ) from None
        raise self._error(call, response)

    def version(self) -> str:
        response = self._session.get(f"{self.url}/web/version", "GET /web/version")
        try:
            body = parse_json(response) if response.status_code == 200 else None
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("version"), str):
            raise OdooServerError(
                f"{self.url}/web/version answered {response.status_code}: "
                f"{self._session.excerpt(response)}; platform.odoo.url does not point at an "
                "Odoo 19 server (for Odoo 17-18 set platform.odoo.api to 'jsonrpc')",
                response.status_code,
            )
        return str(body["version"])

    def close(self) -> None:
        self._session.close()

    def _error(self, call: Call, response: httpx.Response) -> OdooError:
        status = response.status_code
        try:
            body = parse_json(response)
        except ValueError:
            body = None
        detail = self._session.scrub(error_message(body) or self._session.excerpt(response))
        name = body.get("name") if isinstance(body, dict) else None
        where = f"{call.name}: Odoo answered {status}"
        if status == 401:
            return OdooAuthError(
                f"{where} ({detail}): the API key was refused; check platform.odoo.api_key "
                "(keys expire: at most three months in Odoo 19)"
            )
        if status == 403:
            return OdooAccessError(
                f"{where}: {detail} — give the Odoo user of platform.odoo.api_key the "
                "access right (e.g. the Purchase / User group)"
            )
        if status == 404 and body is None:
            return OdooDatabaseError(
                f"{where} without an Odoo error: there is no database "
                f"{self.database!r} at {self.url} (Odoo then serves no /json/2 route); "
                "check platform.odoo.database and platform.odoo.url"
            )
        if status == 404:
            return OdooNotFoundError(f"{where}: {detail} ({name or 'not found'})")
        if status in (400, 422):
            return OdooRequestError(f"{where}: {detail}")
        return OdooServerError(f"{where}: {detail}", status)
