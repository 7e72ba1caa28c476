"""The records and ORM methods of the sandbox Odoo, where IRP touches Odoo.

An in-memory database of the models purchase orders need — ``res.partner`` (with
``supplier_rank``), ``res.country``, ``res.company``, ``res.users``,
``product.product`` (``default_code``, ``barcode``), ``stock.picking.type``,
``purchase.order`` and ``purchase.order.line`` — and the methods IRP calls, with
Odoo's semantics where they matter: domains in prefix notation (``&``, ``|``, ``!``),
archived records hidden unless the domain asks for ``active``, many2one fields read as
``[id, name]``, x2many create commands ``[0, 0, values]``, ``button_confirm`` moving
draft/sent to ``purchase``, and access rights per (model, operation).

Failures are :class:`OdooException` with the exception name Odoo would report and
the HTTP status JSON-2 gives it: AccessError 403, MissingError / unknown model or
method 404, UserError / ValidationError / bad arguments 422, ValueError 500.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from irp.sandbox.odoo_models import (
    METHODS,
    MODELS,
    OPERATION_OF,
    MethodSpec,
    ModelSpec,
    OdooException,
    bad_arguments,
    user_error,
)

__all__ = ["OdooException", "OdooOrm"]


class OdooOrm:
    """The records of one sandbox database and the ORM methods on them (thread-safe)."""

    def __init__(self, *, major_version: int = 19) -> None:
        self.major_version = major_version
        self._lock = threading.RLock()
        self._tables: dict[str, dict[int, dict[str, Any]]] = {m: {} for m in MODELS}
        self._next_id: dict[str, int] = dict.fromkeys(MODELS, 1)
        self._denied: set[tuple[str, str]] = set()
        self._po_sequence = 0

    # -- set-up and inspection (test controls) -------------------------------------

    def insert(self, model: str, values: Mapping[str, Any], record_id: int | None = None) -> int:
        """Add a record directly (no access check); its id."""
        with self._lock:
            return self._insert(model, values, record_id)

    def records(self, model: str) -> list[dict[str, Any]]:
        """Copies of every record of ``model``, archived ones included, by id."""
        with self._lock:
            return [dict(r) for _, r in sorted(self._tables[model].items())]

    def update(self, model: str, record_id: int, values: Mapping[str, Any]) -> None:
        with self._lock:
            self._tables[model][record_id].update(values)

    def deny(self, model: str, operation: str) -> None:
        """Take ``operation`` on ``model`` away from the API user (403 from now on)."""
        with self._lock:
            self._denied.add((model, operation))

    def allow(self, model: str, operation: str) -> None:
        with self._lock:
            self._denied.discard((model, operation))

    # -- the ORM call ----------------------------------------------------------------

    def execute(
        self, model: str, method: str, ids: Sequence[int] | None, kwargs: Mapping[str, Any]
    ) -> Any:
        """Run ``model.method`` as JSON-2 would (named arguments); OdooException on failure."""
        spec = self._method(model, method)
        if spec.model_level and ids:
            raise OdooException(
                "werkzeug.exceptions.UnprocessableEntity",
                f"cannot call {model}.{method} with ids",
                422,
            )
        unknown = sorted(set(kwargs) - set(spec.params))
        if unknown:
            raise bad_arguments(f"got an unexpected keyword argument {unknown[0]!r}")
        missing = [p for p in spec.required if p not in kwargs]
        if missing:
            raise bad_arguments(f"missing a required argument: {missing[0]!r}")
        operation = OPERATION_OF.get(method)
        with self._lock:
            if operation is not None:
                self._check_access(model, operation)
            handler: Callable[..., Any] = getattr(self, f"_m_{method}")
            return handler(model, list(ids or []), **kwargs)

    def positional(
        self, method: str, args: Sequence[Any]
    ) -> tuple[list[int] | None, dict[str, Any]]:
        """``execute_kw`` arguments -> (ids, named): the first is the ids of a record method."""
        spec = METHODS.get(method)
        if spec is None:
            return None, {}
        rest = list(args)
        ids = None
        if not spec.model_level:
            ids = list(rest.pop(0)) if rest else []
        if len(rest) > len(spec.params):
            raise bad_arguments(f"{method}() takes {len(spec.params)} positional argument(s)")
        return ids, dict(zip(spec.params, rest, strict=False))

    def _method(self, model: str, method: str) -> MethodSpec:
        if model not in MODELS:
            raise OdooException(
                "werkzeug.exceptions.NotFound", f"the model {model!r} does not exist", 404
            )
        spec = METHODS.get(method)
        allowed = spec is not None and (spec.models is None or model in spec.models)
        if spec is None or not allowed or not spec.versions(self.major_version):
            raise OdooException(
                "werkzeug.exceptions.NotFound",
                f"The method '{model}.{method}' does not exist",
                404,
            )
        return spec

    def _check_access(self, model: str, operation: str) -> None:
        if (model, operation) in self._denied:
            raise OdooException(
                "odoo.exceptions.AccessError",
                f"You are not allowed to {operation} '{MODELS[model].label}' ({model}) "
                "records.\n\nThis operation is allowed for the following groups:\n"
                "\t- Purchase/User\n\nContact your administrator to request access if "
                "necessary.",
                403,
            )

    # -- methods ---------------------------------------------------------------------

    def _m_search_read(
        self,
        model: str,
        _ids: list[int],
        domain: Sequence[Any] | None = None,
        fields: Sequence[str] | None = None,
        offset: int = 0,
        limit: int | None = None,
        order: str | None = None,
    ) -> list[dict[str, Any]]:
        found = self._search(model, domain or [], offset, limit, order)
        return [self._read_one(model, r, fields) for r in found]

    def _m_search(
        self,
        model: str,
        _ids: list[int],
        domain: Sequence[Any],
        offset: int = 0,
        limit: int | None = None,
        order: str | None = None,
    ) -> list[int]:
        return [r["id"] for r in self._search(model, domain, offset, limit, order)]

    def _m_search_count(
        self, model: str, _ids: list[int], domain: Sequence[Any], limit: int | None = None
    ) -> int:
        return len(self._search(model, domain, 0, limit, None))

    def _m_read(
        self, model: str, ids: list[int], fields: Sequence[str] | None = None, load: Any = None
    ) -> list[dict[str, Any]]:
        table = self._tables[model]
        missing = [i for i in ids if i not in table]
        if missing:
            raise OdooException(
                "odoo.exceptions.MissingError",
                "Record does not exist or has been deleted.\n(Record: "
                f"{model}({', '.join(str(i) for i in missing)},), User: 2)",
                404,
            )
        return [self._read_one(model, table[i], fields) for i in ids]

    def _m_create(self, model: str, _ids: list[int], vals_list: Any) -> list[int]:
        many = vals_list if isinstance(vals_list, list) else [vals_list]
        if not all(isinstance(v, dict) for v in many):
            raise bad_arguments("create() expects a dict or a list of dicts")
        return [self._create(model, values) for values in many]

    def _m_write(self, model: str, ids: list[int], vals: Mapping[str, Any]) -> bool:
        self._m_read(model, ids, ["id"])  # MissingError for a missing record
        for record_id in ids:
            self._tables[model][record_id].update(self._checked(model, vals, partial=True))
        return True

    def _m_button_confirm(self, model: str, ids: list[int]) -> bool:
        for record in self._m_read(model, ids, ["state"]):
            po = self._tables[model][record["id"]]
            if po["state"] in ("draft", "sent"):
                po["state"] = "purchase"
                po["date_approve"] = _now()
        return True

    def _m_context_get(self, _model: str, _ids: list[int]) -> dict[str, Any]:
        return {"lang": "en_US", "tz": "Europe/Amsterdam", "uid": 2}

    def _m_has_access(self, model: str, _ids: list[int], operation: str) -> bool:
        return (model, operation) not in self._denied

    def _m_check_access_rights(
        self, model: str, _ids: list[int], operation: str, raise_exception: bool = True
    ) -> bool:
        if raise_exception:
            self._check_access(model, operation)
        return (model, operation) not in self._denied

    # -- records -----------------------------------------------------------------------

    def _create(self, model: str, values: Mapping[str, Any]) -> int:
        spec = MODELS[model]
        own = self._checked(model, values, partial=False)
        children: dict[str, list[dict[str, Any]]] = {}
        for field, (child_model, _inverse) in (spec.one2many or {}).items():
            children[field] = [
                self._checked(child_model, v, partial=True, skip=("order_id",))
                for v in _create_commands(field, own.pop(field, []))
            ]
        for field in spec.required:
            if not own.get(field):
                raise user_error(
                    "The operation cannot be completed: a mandatory field is not set.\n"
                    f"Model: {spec.label} ({model})\nField: {field}"
                )
        if model == "purchase.order":
            self._po_sequence += 1
            own.setdefault("name", f"P{self._po_sequence:05d}")
            own.setdefault("date_order", _now())
        record_id = self._insert(model, own)
        for field, (child_model, inverse) in (spec.one2many or {}).items():
            for child in children[field]:
                self._create(child_model, {**child, inverse: record_id})
        return record_id

    def _insert(self, model: str, values: Mapping[str, Any], record_id: int | None = None) -> int:
        spec = MODELS[model]
        new_id = record_id or self._next_id[model]
        self._next_id[model] = max(self._next_id[model], new_id + 1)
        record = {"id": new_id, **{k: _copy(v) for k, v in spec.fields.items()}, **values}
        self._tables[model][new_id] = record
        if model == "purchase.order.line":
            record["price_subtotal"] = Decimal(record["product_qty"]) * Decimal(
                record["price_unit"]
            )
            order = self._tables["purchase.order"][record["order_id"]]
            order["order_line"] = [*order["order_line"], new_id]
            order["amount_total"] = order["amount_total"] + record["price_subtotal"]
        return new_id

    def _checked(
        self,
        model: str,
        values: Mapping[str, Any],
        *,
        partial: bool,
        skip: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        spec = MODELS[model]
        checked: dict[str, Any] = {}
        for field, value in values.items():
            if field not in spec.fields or field == "id":
                raise OdooException(
                    "builtins.ValueError", f"Invalid field {field!r} on model {model!r}", 500
                )
            target = spec.many2one.get(field)
            dangling = not isinstance(value, int) or value not in self._tables.get(target or "", {})
            if target and field not in skip and value is not False and dangling:
                raise user_error(
                    f"The operation cannot be completed: {field} = {value!r} is not an "
                    f"existing {target} record."
                )
            checked[field] = value
        return checked

    def _search(
        self,
        model: str,
        domain: Sequence[Any],
        offset: int,
        limit: int | None,
        order: str | None,
    ) -> list[dict[str, Any]]:
        spec = MODELS[model]
        check = _compile_domain(model, spec, domain)
        active_test = "active" in spec.fields and not _mentions(domain, "active")
        rows = [
            r
            for r in self._tables[model].values()
            if check(r) and (not active_test or r.get("active", True))
        ]
        key, reverse = _order(model, spec, order)
        rows.sort(key=lambda r: (r.get(key) is False, r.get(key)), reverse=reverse)
        end = None if limit is None else offset + limit
        return rows[offset:end]

    def _read_one(
        self, model: str, record: Mapping[str, Any], fields: Sequence[str] | None
    ) -> dict[str, Any]:
        spec = MODELS[model]
        wanted = ["id", *(fields if fields else spec.fields)]
        out: dict[str, Any] = {}
        for field in wanted:
            if field == "display_name":
                out[field] = record.get("name", "")
                continue
            if field != "id" and field not in spec.fields:
                raise OdooException(
                    "builtins.ValueError", f"Invalid field {field!r} on model {model!r}", 500
                )
            value = record.get(field, False)
            target = spec.many2one.get(field)
            if target and value:
                value = [value, self._tables[target][value].get("name", "")]
            out[field] = value
        return out


def _create_commands(field: str, commands: Any) -> list[Mapping[str, Any]]:
    """The values of ``[[0, 0, {...}], ...]``; 422 for anything else."""
    if not isinstance(commands, list):
        raise user_error(f"{field}: expected a list of x2many commands, got {commands!r}")
    values = []
    for command in commands:
        ok = (
            isinstance(command, list)
            and len(command) == 3
            and command[0] == 0
            and isinstance(command[2], dict)
        )
        if not ok:
            raise user_error(f"{field}: unsupported x2many command {command!r}")
        values.append(command[2])
    return values


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "in": lambda a, b: a in b,
    "not in": lambda a, b: a not in b,
    "<": lambda a, b: a is not False and a < b,
    ">": lambda a, b: a is not False and a > b,
    "<=": lambda a, b: a is not False and a <= b,
    ">=": lambda a, b: a is not False and a >= b,
    "ilike": lambda a, b: isinstance(a, str) and str(b).lower() in a.lower(),
}


def _compile_domain(
    model: str, spec: ModelSpec, domain: Sequence[Any]
) -> Callable[[Mapping[str, Any]], bool]:
    """A predicate for a domain in prefix notation (implicit ``&`` between terms)."""
    if not isinstance(domain, list):
        raise bad_arguments(f"a domain is a list, got {domain!r}")
    items = list(domain)

    def parse() -> Callable[[Mapping[str, Any]], bool]:
        if not items:
            raise OdooException("builtins.ValueError", f"Invalid domain {domain!r}", 500)
        item = items.pop(0)
        if item in ("&", "|"):
            left, right = parse(), parse()
            if item == "&":
                return lambda r: left(r) and right(r)
            return lambda r: left(r) or right(r)
        if item == "!":
            inner = parse()
            return lambda r: not inner(r)
        return _leaf(model, spec, item)

    terms = []
    while items:
        terms.append(parse())
    return lambda record: all(term(record) for term in terms)


def _leaf(model: str, spec: ModelSpec, term: Any) -> Callable[[Mapping[str, Any]], bool]:
    if not (isinstance(term, list) and len(term) == 3 and isinstance(term[0], str)):
        raise OdooException("builtins.ValueError", f"Invalid leaf {term!r}", 500)
    field, operator, value = term
    compare = _OPERATORS.get(operator)
    if field != "id" and field not in spec.fields:
        raise OdooException(
            "builtins.ValueError", f"Invalid field {model}.{field} in leaf {term!r}", 500
        )
    if compare is None:
        raise OdooException("builtins.ValueError", f"Invalid leaf operator {operator!r}", 500)
    return lambda record: bool(compare(record.get(field, False), value))


def _mentions(domain: Sequence[Any], field: str) -> bool:
    return any(isinstance(t, list) and t and t[0] == field for t in domain)


def _order(model: str, spec: ModelSpec, order: str | None) -> tuple[str, bool]:
    if not order:
        return "id", False
    parts = order.split()
    field = parts[0]
    if field != "id" and field not in spec.fields:
        raise OdooException("builtins.ValueError", f"Invalid order {order!r} on {model}", 500)
    return field, len(parts) > 1 and parts[1].lower() == "desc"


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
