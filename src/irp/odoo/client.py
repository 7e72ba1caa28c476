"""A small typed Odoo client: the ORM calls IRP makes, on either external API.

Why not ``odoorpc``: it speaks Odoo's XML-RPC/JSON-RPC object service, which Odoo 19
deprecates and schedules for removal, and it cannot use JSON-2 (see ``docs/odoo.md``).
This client is the handful of calls purchase orders need — ``search_read``,
``search_count``, ``read``, ``create``, a button, an access check — over
:class:`~irp.odoo.json2.Json2Transport` (default) or
:class:`~irp.odoo.jsonrpc.JsonRpcTransport`.

>>> with open_client(config.platform.odoo) as odoo:          # doctest: +SKIP
...     odoo.search_read("res.partner", [("id", "=", 21469)], ["name"])
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from irp.config.odoo import OdooConfig
from irp.odoo.errors import OdooNotFoundError, OdooServerError
from irp.odoo.transport import Call, Transport

Domain = Sequence[Any]
"""An Odoo domain: ``[("origin", "=", "IU-1"), ("partner_id", "=", 21469)]``."""


class OdooClient:
    """The ORM calls IRP makes, with ``company_id`` (if any) in every call's context."""

    def __init__(self, transport: Transport, *, company_id: int | None = None) -> None:
        self.transport = transport
        self._legacy_access_check = False  # Odoo 17: check_access_rights, no has_access
        self.context: dict[str, Any] = (
            {"allowed_company_ids": [company_id]} if company_id is not None else {}
        )

    def __repr__(self) -> str:
        return f"OdooClient({self.transport!r})"

    @property
    def api(self) -> str:
        return self.transport.api

    def endpoint(self, model: str, method: str) -> str:
        """Where ``model.method`` is posted (for attempt records)."""
        return self.transport.endpoint(Call(model, method))

    def version(self) -> str:
        """The server's version, e.g. ``"19.0"``."""
        return self.transport.version()

    def user_context(self) -> dict[str, Any]:
        """The key's user context (``uid``, ``lang``, ``tz``): proves database and key."""
        result = self._call(Call("res.users", "context_get"))
        if not isinstance(result, dict):
            raise OdooServerError(f"res.users.context_get answered {result!r}, not a context")
        return result

    def search_read(
        self,
        model: str,
        domain: Domain,
        fields: Sequence[str],
        *,
        order: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """The records matching ``domain``, with ``fields`` (and ``id``)."""
        named: dict[str, Any] = {"domain": _domain(domain), "fields": list(fields)}
        if order is not None:
            named["order"] = order
        if limit is not None:
            named["limit"] = limit
        return _records(self._call(Call(model, "search_read", named=named)), model)

    def search_count(self, model: str, domain: Domain) -> int:
        """How many records match ``domain``."""
        result = self._call(Call(model, "search_count", named={"domain": _domain(domain)}))
        if not isinstance(result, int):
            raise OdooServerError(f"{model}.search_count answered {result!r}, not a number")
        return result

    def read(self, model: str, ids: Sequence[int], fields: Sequence[str]) -> list[dict[str, Any]]:
        """``fields`` of the records ``ids``; OdooNotFoundError when one does not exist."""
        call = Call(model, "read", ids=list(ids), named={"fields": list(fields)})
        return _records(self._call(call), model)

    def create(self, model: str, values: Mapping[str, Any]) -> int:
        """Create one record; its id. Not idempotent: search before creating."""
        if self.api == "json2":
            call = Call(model, "create", named={"vals_list": [dict(values)]})
        else:
            # execute_kw's create reads its argument positionally (a list -> a list of ids).
            call = Call(model, "create", positional=[[dict(values)]])
        result = self._call(call)
        if isinstance(result, list) and len(result) == 1 and isinstance(result[0], int):
            return result[0]
        if isinstance(result, int) and not isinstance(result, bool):
            return result
        raise OdooServerError(f"{model}.create answered {result!r}, not one new id")

    def call_button(self, model: str, method: str, ids: Sequence[int]) -> Any:
        """A record method without arguments, such as ``button_confirm``."""
        return self._call(Call(model, method, ids=list(ids)))

    def has_access(self, model: str, operation: str) -> bool:
        """Whether the key's user may ``operation`` (read, write, create, unlink) ``model``.

        ``has_access`` exists from Odoo 18; Odoo 17 (over ``/jsonrpc``) only has
        ``check_access_rights``, which later versions deprecate.
        """
        if not self._legacy_access_check:
            try:
                call = Call(model, "has_access", ids=[], named={"operation": operation})
                return bool(self._call(call))
            except OdooNotFoundError:
                if self.api == "json2":
                    raise
                self._legacy_access_check = True
        named = {"operation": operation, "raise_exception": False}
        return bool(self._call(Call(model, "check_access_rights", named=named)))

    def close(self) -> None:
        self.transport.close()

    def _call(self, call: Call) -> Any:
        return self.transport.call(call, self.context)


def make_transport(config: OdooConfig) -> Transport:
    """The transport ``config.api`` names, with its timeouts and key."""
    key = config.api_key.get_secret_value()
    if config.api == "jsonrpc":
        from irp.odoo.jsonrpc import JsonRpcTransport

        assert config.login is not None  # the config refuses jsonrpc without login
        return JsonRpcTransport(
            config.url,
            database=config.database,
            login=config.login,
            api_key=key,
            connect_timeout=config.connect_timeout,
            read_timeout=config.read_timeout,
        )
    from irp.odoo.json2 import Json2Transport

    return Json2Transport(
        config.url,
        database=config.database,
        api_key=key,
        connect_timeout=config.connect_timeout,
        read_timeout=config.read_timeout,
    )


@contextmanager
def open_client(config: OdooConfig) -> Iterator[OdooClient]:
    """An :class:`OdooClient` for ``platform.odoo``, closed when the block ends."""
    client = OdooClient(make_transport(config), company_id=config.company_id)
    try:
        yield client
    finally:
        client.close()


def _domain(domain: Domain) -> list[Any]:
    return [list(term) if isinstance(term, tuple) else term for term in domain]


def _records(result: Any, model: str) -> list[dict[str, Any]]:
    if not isinstance(result, list) or not all(isinstance(r, dict) for r in result):
        raise OdooServerError(f"{model}: expected a list of records, Odoo answered {result!r}")
    return result
