"""Odoo 17-18's ``/jsonrpc``: ``object.execute_kw(db, uid, key, model, method, args, kw)``.

Deprecated in Odoo 19 and scheduled for removal, kept for installations that have not
moved yet. The user id comes from ``common.authenticate(db, login, key, {})`` (once per
transport). Every answer is HTTP 200; a failure is the envelope's ``error`` object,
``{"code", "message", "data": {"name", "message", "arguments", "debug"}}``, and
``data.name`` — the Python exception — says what happened:

================================================  ===================
``odoo.exceptions.AccessDenied``, authenticate    OdooAuthError
answering ``false``
``odoo.exceptions.AccessError``                   OdooAccessError
``odoo.exceptions.MissingError``, ``KeyError``    OdooNotFoundError
(unknown model), ``AttributeError`` (method)
an error naming a database that does not exist    OdooDatabaseError
``ValidationError``, ``UserError``,               OdooRequestError
``TypeError``, ``ValueError``
anything else                                     OdooServerError
================================================  ===================
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

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

_NOT_FOUND = ("odoo.exceptions.MissingError", "builtins.KeyError", "builtins.AttributeError")
_REFUSED = (
    "odoo.exceptions.ValidationError",
    "odoo.exceptions.UserError",
    "builtins.TypeError",
    "builtins.ValueError",
)


class JsonRpcTransport:
    """Calls over ``/jsonrpc`` as ``login`` (authenticated with the API key)."""

    api = "jsonrpc"

    def __init__(
        self,
        url: str,
        *,
        database: str,
        login: str,
        api_key: str,
        connect_timeout: float = 10.0,
        read_timeout: float = 30.0,
    ) -> None:
        self.url = url
        self.database = database
        self.login = login
        self._key = api_key
        self._uid: int | None = None
        self._ids = itertools.count(1)
        self._session = HttpSession(
            url, secret=api_key, connect_timeout=connect_timeout, read_timeout=read_timeout
        )

    def __repr__(self) -> str:
        return f"JsonRpcTransport({self.url!r}, database={self.database!r}, login={self.login!r})"

    def endpoint(self, call: Call) -> str:
        return f"{self.url}/jsonrpc"

    def call(self, call: Call, context: Mapping[str, Any]) -> Any:
        uid = self._authenticate()
        args: list[Any] = [list(call.ids)] if call.ids is not None else []
        args.extend(call.positional)
        kwargs = dict(call.named)
        if context:
            kwargs["context"] = dict(context)
        params = [self.database, uid, self._key, call.model, call.method, args, kwargs]
        return self._rpc("object", "execute_kw", params, call.name)

    def version(self) -> str:
        result = self._rpc("common", "version", [], "common.version")
        version = result.get("server_version") if isinstance(result, dict) else None
        if not isinstance(version, str):
            raise OdooServerError(f"common.version answered {result!r}: not an Odoo server")
        return version

    def authenticate(self) -> int:
        """The user id of ``login``; OdooAuthError when Odoo refuses the login and key."""
        return self._authenticate()

    def close(self) -> None:
        self._session.close()

    def _authenticate(self) -> int:
        if self._uid is None:
            params = [self.database, self.login, self._key, {}]
            uid = self._rpc("common", "authenticate", params, "common.authenticate")
            if not isinstance(uid, int) or isinstance(uid, bool):
                raise OdooAuthError(
                    f"Odoo refused login {self.login!r} with the API key on database "
                    f"{self.database!r}: check platform.odoo.login and platform.odoo.api_key"
                )
            self._uid = uid
        return self._uid

    def _rpc(self, service: str, method: str, args: list[Any], what: str) -> Any:
        envelope = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"service": service, "method": method, "args": args},
            "id": next(self._ids),
        }
        response = self._session.post(
            f"{self.url}/jsonrpc",
            encode_payload(envelope),
            {"Content-Type": "application/json; charset=utf-8"},
            what,
        )
        try:
            body = parse_json(response)
        except ValueError:
            body = None
        if not isinstance(body, dict) or not ("result" in body or "error" in body):
            hint = (
                "platform.odoo.url does not serve /jsonrpc (Odoo 17-18)"
                if response.status_code in (404, 405)
                else "Odoo or a proxy before it failed"
            )
            raise OdooServerError(
                f"{what}: {self.url}/jsonrpc answered {response.status_code}: "
                f"{self._session.excerpt(response)}; {hint}",
                response.status_code,
            )
        if "error" in body:
            raise self._error(what, body["error"])
        return body["result"]

    def _error(self, what: str, error: Any) -> OdooError:
        data = error.get("data") if isinstance(error, dict) else None
        name = str(data.get("name", "")) if isinstance(data, dict) else ""
        detail = self._session.scrub(
            error_message(data) or error_message(error) or "an error without a message"
        )
        where = f"{what}: Odoo answered {name or 'an error'}"
        if name == "odoo.exceptions.AccessDenied":
            return OdooAuthError(
                f"{where}: {detail}; check platform.odoo.login and platform.odoo.api_key"
            )
        if name == "odoo.exceptions.AccessError":
            return OdooAccessError(
                f"{where}: {detail} — give the Odoo user {self.login!r} the access right "
                "(e.g. the Purchase / User group)"
            )
        if "database" in detail and "does not exist" in detail:
            return OdooDatabaseError(
                f"{where}: there is no database {self.database!r} at {self.url}; check "
                "platform.odoo.database"
            )
        if name in _NOT_FOUND:
            return OdooNotFoundError(f"{where}: {detail}")
        if name in _REFUSED:
            return OdooRequestError(f"{where}: {detail}")
        return OdooServerError(f"{where}: {detail}")
