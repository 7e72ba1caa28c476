"""Order payload templates: compiled at config load, rendered once per order.

An operator describes the payload a refurbisher's API expects as two flat objects,
``order_object`` and ``item_object``, whose keys are dotted output paths and whose
values are expressions (see ``docs/templates.md`` and :mod:`irp.template.parser`).
Compiling checks every expression — syntax, casts, filters, context paths, key
nesting — so a bad template fails when the config loads, not when the first order
arrives. Rendering is a pure function of the order context.

The context (built by the orders service) is::

    {"id": "5001", "order": {"order_number": "IU-100234"},
     "orderShippingAddress": {"full_name", "full_address", "zipcode", "city", "country"},
     "items": [{"quantity": 1, "unit_price_tax_excl": Decimal("249.00"),
                "productVariant": {"refurbisherOffer": {"sku", "ean", "name",
                    "price_purchase_amount", "price_selling_amount"}}}]}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

from irp.errors import ConfigError, ConfigErrors, TemplateError
from irp.template.casts import apply_cast
from irp.template.filters import FILTERS
from irp.template.parser import (
    ITEMS_PLACEHOLDER,
    Expression,
    ItemsExpr,
    LiteralExpr,
    LookupExpr,
    parse_expression,
)
from irp.template.paths import MISSING, resolve_path

__all__ = [
    "ITEM_CONTEXT_PATHS",
    "ORDER_CONTEXT_PATHS",
    "PayloadTemplate",
    "compile_template",
]

ORDER_CONTEXT_PATHS: Final = (
    "id",
    "order.order_number",
    "orderShippingAddress.full_name",
    "orderShippingAddress.full_address",
    "orderShippingAddress.zipcode",
    "orderShippingAddress.city",
    "orderShippingAddress.country",
)
"""Every leaf path an ``order_object`` expression may read."""

ITEM_CONTEXT_PATHS: Final = (
    "quantity",
    "unit_price_tax_excl",
    "productVariant.refurbisherOffer.sku",
    "productVariant.refurbisherOffer.ean",
    "productVariant.refurbisherOffer.name",
    "productVariant.refurbisherOffer.price_purchase_amount",
    "productVariant.refurbisherOffer.price_selling_amount",
)
"""Leaf paths of one order line; ``item_object`` may also read the order paths."""


@dataclass(frozen=True)
class _Field:
    """One output key and its compiled expression (a literal is already cast)."""

    key: str
    expression: Expression
    constant: object = None


_Tree: TypeAlias = dict[str, "_Tree | _Field"]


def _known_prefixes(paths: Sequence[str]) -> frozenset[str]:
    prefixes = set(paths)
    for path in paths:
        parts = path.split(".")
        prefixes.update(".".join(parts[:n]) for n in range(1, len(parts)))
    return frozenset(prefixes)


_ORDER_SCOPE: Final = _known_prefixes(ORDER_CONTEXT_PATHS)
_ITEM_SCOPE: Final = _known_prefixes(ORDER_CONTEXT_PATHS + ITEM_CONTEXT_PATHS)


def _first_key(tree: _Tree) -> str:
    for node in tree.values():
        return node.key if isinstance(node, _Field) else _first_key(node)
    raise AssertionError("an output object is never empty")


class _Compiler:
    """Compiles one of order_object / item_object, collecting every error."""

    def __init__(self, where: str, *, in_items: bool, has_items: bool) -> None:
        self.where = where
        self.in_items = in_items
        self.has_items = has_items
        self.errors: list[ConfigError] = []
        self.uses_items = False

    def fail(self, key: str, message: str) -> None:
        self.errors.append(ConfigError(f"{self.where}.{key}", message))

    def compile(self, spec: Mapping[str, object]) -> _Tree:
        tree: _Tree = {}
        for key, source in spec.items():
            field = self.compile_field(str(key), source)
            # A failed field still takes its place so key conflicts are reported too;
            # the tree is thrown away when there is any error.
            self.place(tree, field or _Field(str(key), ItemsExpr()))
        return tree

    def compile_field(self, key: str, source: object) -> _Field | None:
        if not isinstance(source, str):
            self.fail(key, f"expected an expression string, got {type(source).__name__}")
            return None
        try:
            expression = parse_expression(source)
        except TemplateError as exc:
            self.fail(key, str(exc))
            return None
        if isinstance(expression, ItemsExpr):
            return self.check_items(key, source, expression)
        if isinstance(expression, LiteralExpr):
            if expression.cast is None:
                return _Field(key, expression, expression.text)
            try:
                return _Field(key, expression, apply_cast(expression.cast, expression.text))
            except TemplateError as exc:
                self.fail(key, f"{source!r}: ({expression.cast}) {exc}")
                return None
        return self.check_lookup(key, source, expression)

    def check_items(self, key: str, source: str, expression: ItemsExpr) -> _Field | None:
        if self.in_items:
            self.fail(key, f"{source!r}: {ITEMS_PLACEHOLDER} cannot be used inside item_object")
            return None
        if not self.has_items:
            self.fail(key, f"{source!r}: {ITEMS_PLACEHOLDER} needs an item_object; none is set")
            return None
        self.uses_items = True
        return _Field(key, expression)

    def check_lookup(self, key: str, source: str, expression: LookupExpr) -> _Field | None:
        ok = True
        scope = _ITEM_SCOPE if self.in_items else _ORDER_SCOPE
        if expression.path_text not in scope:
            known = ORDER_CONTEXT_PATHS + (ITEM_CONTEXT_PATHS if self.in_items else ())
            self.fail(
                key,
                f"{source!r}: {expression.path_text!r} is not in the "
                f"{'item' if self.in_items else 'order'} context; known paths: "
                f"{', '.join(known)}"
                + (
                    f". For a constant, write '!{source.strip()}'"
                    if not expression.filters and expression.cast is None
                    else ""
                ),
            )
            ok = False
        for name in expression.filters:
            if name not in FILTERS:
                self.fail(
                    key,
                    f"{source!r}: unknown filter {name!r}; known filters: {', '.join(FILTERS)}",
                )
                ok = False
        return _Field(key, expression) if ok else None

    def place(self, tree: _Tree, field: _Field) -> None:
        parts = field.key.split(".")
        if any(not part for part in parts):
            self.fail(field.key, f"output key {field.key!r} has an empty part between dots")
            return
        node = tree
        for depth, part in enumerate(parts[:-1]):
            child = node.setdefault(part, {})
            if isinstance(child, _Field):
                self.conflict(field.key, child.key, ".".join(parts[: depth + 1]))
                return
            node = child
        existing = node.get(parts[-1])
        if existing is not None:
            other = existing.key if isinstance(existing, _Field) else _first_key(existing)
            self.conflict(field.key, other, field.key)
            return
        node[parts[-1]] = field

    def conflict(self, key: str, other: str, shared: str) -> None:
        self.fail(
            key,
            f"output keys {other!r} and {key!r} conflict: {shared!r} cannot be both a value "
            "and an object; rename one of them",
        )


class PayloadTemplate:
    """A compiled payload template; :meth:`render` turns an order context into a payload."""

    def __init__(self, order_tree: _Tree, item_tree: _Tree | None) -> None:
        self._order_tree = order_tree
        self._item_tree = item_tree

    def render(self, context: Mapping[str, Any]) -> dict[str, Any]:
        """Build the payload for one order; raises TemplateError naming every bad key.

        Each problem reads "<output key>: <path> <what is wrong>", e.g.
        "shipping.address.countryCode: orderShippingAddress.country 'Atlantis' is not a
        known country"; item keys are prefixed with the list key and line index.
        """
        problems: list[str] = []
        payload = self._render_tree(self._order_tree, (context,), "", problems)
        if problems:
            raise TemplateError("; ".join(problems))
        return payload

    def _render_tree(
        self,
        tree: _Tree,
        scopes: tuple[Mapping[str, Any], ...],
        prefix: str,
        problems: list[str],
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, node in tree.items():
            if isinstance(node, _Field):
                try:
                    out[name] = self._render_field(node, scopes, prefix, problems)
                except TemplateError as exc:
                    problems.append(f"{prefix}{node.key}: {exc}")
            else:
                out[name] = self._render_tree(node, scopes, prefix, problems)
        return out

    def _render_field(
        self,
        field: _Field,
        scopes: tuple[Mapping[str, Any], ...],
        prefix: str,
        problems: list[str],
    ) -> object:
        expression = field.expression
        if isinstance(expression, LiteralExpr):
            return field.constant
        if isinstance(expression, ItemsExpr):
            return self._render_items(field, scopes[-1], prefix, problems)
        value: object = MISSING
        for scope in scopes:
            value = resolve_path(scope, expression.path)
            if value is not MISSING:
                break
        source = expression.path_text
        if value is MISSING:
            raise TemplateError(f"{source} is missing from the order")
        for name in expression.filters:
            if value is None:
                raise TemplateError(f"{source} is null; ->{name} needs a value")
            try:
                value = FILTERS[name].apply(value)
            except TemplateError as exc:
                raise TemplateError(f"{source} {exc}") from None
            source = f"{source}->{name}"
        if expression.cast is not None:
            if value is None:
                raise TemplateError(f"{source} is null; ({expression.cast}) needs a value")
            try:
                value = apply_cast(expression.cast, value)
            except TemplateError as exc:
                raise TemplateError(f"({expression.cast}){source} {exc}") from None
        return value

    def _render_items(
        self,
        field: _Field,
        order: Mapping[str, Any],
        prefix: str,
        problems: list[str],
    ) -> list[dict[str, Any]]:
        items = order.get("items", MISSING)
        if not isinstance(items, list | tuple):
            raise TemplateError(f"{ITEMS_PLACEHOLDER} needs the order's items (a list)")
        assert self._item_tree is not None  # guaranteed by compile_template
        rendered: list[dict[str, Any]] = []
        for index, item in enumerate(items):
            if not isinstance(item, Mapping):
                problems.append(f"{prefix}{field.key}[{index}]: the order line is not an object")
                continue
            item_prefix = f"{prefix}{field.key}[{index}]."
            scopes = (item, order)
            rendered.append(self._render_tree(self._item_tree, scopes, item_prefix, problems))
        return rendered


def compile_template(
    order_object: Mapping[str, str],
    item_object: Mapping[str, str] | None,
    *,
    path: str,
) -> PayloadTemplate:
    """Compile a refurbisher's payload template, or raise ConfigErrors listing every fault.

    ``path`` is the JSON path of the order config (e.g. ``"flexit.order"``); errors are
    reported at ``<path>.order_object.<key>`` / ``<path>.item_object.<key>``.
    """
    has_items = bool(item_object)
    order_compiler = _Compiler(f"{path}.order_object", in_items=False, has_items=has_items)
    order_tree = order_compiler.compile(order_object)
    errors = order_compiler.errors
    item_tree: _Tree | None = None
    if item_object:
        item_compiler = _Compiler(f"{path}.item_object", in_items=True, has_items=True)
        item_tree = item_compiler.compile(item_object)
        errors.extend(item_compiler.errors)
        if not order_compiler.uses_items and not any(
            ITEMS_PLACEHOLDER in str(v) for v in order_object.values()
        ):
            errors.append(
                ConfigError(
                    f"{path}.item_object",
                    f"item_object is set but no order_object value is {ITEMS_PLACEHOLDER}; "
                    f'add e.g. "lines": "{ITEMS_PLACEHOLDER}"',
                )
            )
    if errors:
        raise ConfigErrors(errors)
    return PayloadTemplate(order_tree, item_tree)
