"""Accepting inbound orders (SPEC §3): validate, snapshot the offers, store idempotently.

An inbound order's ``id`` is the idempotency key within an environment's database.
The same id with the same content is accepted again as a no-op ("unchanged"); with
different content it is refused. Content is compared through a normalised form:

- ``id`` as a string (the JSON number ``5001`` and the string ``"5001"`` are one order);
- strings stripped of surrounding white space;
- money as exact ``Decimal`` in canonical form (``"249.0"``, ``249.00`` and ``"249.00"``
  are one amount; never through binary float);
- ``country`` as the ISO 3166 alpha-2 code (``"Netherlands"``, ``"NLD"`` -> ``"NL"``);
- ``currency`` filled in with the refurbisher's ``settings.currency`` when absent;
- key order irrelevant (canonical JSON with sorted keys).

``content_hash`` is the sha256 of that canonical JSON. Unknown keys are refused (a typo
must not be dropped silently). Concurrent intakes of one id meet at the primary key:
the loser catches the IntegrityError and re-reads what the winner stored.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated, Any, Literal

import sqlalchemy as sa
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    field_validator,
)
from sqlalchemy.dialects import postgresql, sqlite

from irp import strictjson
from irp.errors import OrderError, StoreError
from irp.events.outbox import record_accepted_many
from irp.money import canonical_money
from irp.orders.context import ADDRESS_FIELDS
from irp.orders.states import OrderStatus
from irp.store.db import database_now
from irp.store.tables import offers as offers_table
from irp.store.tables import order_lines as lines_table
from irp.store.tables import orders as orders_table
from irp.template.countries import country_alpha2 as _alpha2

if TYPE_CHECKING:
    from irp.config import Config
    from irp.config.models import Refurbisher
    from irp.store.db import Database

IntakeOutcome = Literal["accepted", "unchanged", "refused"]
_MAX_MONEY_DECIMALS = 4  # what the store keeps exactly (NUMERIC(14, 4))


# --- the inbound model --------------------------------------------------------------


def _id_text(value: object) -> object:
    """Accept the id as a string or a JSON integer (marketplaces send either)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _exact_money(value: object) -> Decimal:
    """A money amount from a string or an exact JSON number; binary floats are refused."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        if isinstance(value, float):
            raise ValueError(
                f'{value!r} is a binary float; send the amount as a string such as "249.00"'
            )
        raise ValueError(f'expected a decimal amount such as "249.00", got {value!r}')
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise ValueError(f'{value!r} is not a decimal amount such as "249.00"') from None
    if not amount.is_finite():
        raise ValueError(f'{value!r} is not a decimal amount such as "249.00"')
    if amount < 0:
        raise ValueError(f"{value} is negative")
    if amount.as_tuple().exponent < -_MAX_MONEY_DECIMALS:  # type: ignore[operator]
        raise ValueError(f"{value} has more than {_MAX_MONEY_DECIMALS} decimals")
    if abs(amount) >= Decimal(10) ** 10:
        raise ValueError(f"{value} is too large")
    return canonical_money(amount)


Text = Annotated[str, Field(min_length=1, max_length=500)]
Money = Annotated[Decimal, BeforeValidator(_exact_money)]


class _Inbound(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class ShippingAddress(_Inbound):
    """Where the refurbisher ships the order; ``country`` is normalised to alpha-2."""

    full_name: Text
    full_address: Text
    zipcode: Text
    city: Text
    country: Annotated[str, BeforeValidator(_alpha2)]


class OrderItem(_Inbound):
    """One line: an offer SKU of the refurbisher, how many, and the agreed price."""

    sku: Annotated[str, Field(min_length=1, max_length=200)]
    quantity: Annotated[StrictInt, Field(gt=0)]
    unit_price_tax_excl: Money


class InboundOrder(_Inbound):
    """An order as the marketplace sends it (SPEC §3)."""

    id: Annotated[str, BeforeValidator(_id_text), Field(min_length=1, max_length=100)]
    refurbisher: Annotated[str, Field(min_length=1, max_length=64)]
    order_number: Annotated[str, Field(min_length=1, max_length=100)]
    shipping_address: ShippingAddress
    items: Annotated[list[OrderItem], Field(min_length=1)]
    currency: Annotated[str, Field(pattern=r"^[A-Za-z]{3}$")] | None = None

    @field_validator("currency")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return value.upper() if value is not None else None

    def normalised(self, currency: str) -> dict[str, Any]:
        """The canonical content (JSON-safe: money as strings) that is stored and hashed."""
        return {
            "id": self.id,
            "refurbisher": self.refurbisher,
            "order_number": self.order_number,
            "currency": currency,
            "shipping_address": {
                name: getattr(self.shipping_address, name) for name in ADDRESS_FIELDS
            },
            "items": [
                {
                    "sku": item.sku,
                    "quantity": item.quantity,
                    "unit_price_tax_excl": str(item.unit_price_tax_excl),
                }
                for item in self.items
            ],
        }


def content_hash(content: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON (sorted keys, no spaces) of normalised content."""
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- reading a document ---------------------------------------------------------------


def load_order_document(data: bytes, *, source: str) -> list[object]:
    """The orders in a JSON document (one object or a list), numbers kept exact.

    Raises OrderError naming ``source`` and the line/column when it is not JSON, and
    naming what was refused when it is JSON no order needs: nested deeper than
    :data:`irp.strictjson.MAX_DEPTH` levels, ``NaN``/``Infinity``, an integer of
    thousands of digits. Nothing is stored then.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise OrderError(f"{source}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    try:
        document = strictjson.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise OrderError(
            f"{source} line {exc.lineno}, column {exc.colno}: not valid JSON: {exc.msg}"
        ) from None
    except ValueError as exc:  # JsonRefused, or an integer too long to read
        raise OrderError(f"{source}: not an order document: {exc}") from None
    if isinstance(document, dict):
        return [document]
    if isinstance(document, list):
        return list(document)
    raise OrderError(f"{source}: expected an order object or a list of orders")


# --- validation -----------------------------------------------------------------------


@dataclass(frozen=True)
class LineSnapshot:
    """An order line with the offer as it was stored when the order came in."""

    line_no: int
    sku: str
    ean: str | None
    name: str | None
    quantity: int
    unit_price_tax_excl: Decimal
    price_purchase_amount: Decimal | None
    price_selling_amount: Decimal | None

    def row(self, order_id: str) -> dict[str, Any]:
        """The ``order_lines`` row."""
        return {"order_id": order_id, **self.__dict__}

    def to_json(self) -> dict[str, Any]:
        """The line as ``irp orders show --json`` prints it; amounts as exact strings."""
        money = ("unit_price_tax_excl", "price_purchase_amount", "price_selling_amount")
        return {
            key: str(value) if key in money and value is not None else value
            for key, value in self.__dict__.items()
        }


@dataclass(frozen=True)
class ValidOrder:
    """An inbound order that passed every check: content, hash and line snapshots."""

    id: str
    refurbisher: str
    order_number: str
    currency: str
    content: dict[str, Any]
    content_hash: str
    lines: list[LineSnapshot]

    def context_row(self) -> dict[str, Any]:
        """What :func:`irp.orders.context.build_context` needs of the order."""
        return {"id": self.id, "order_number": self.order_number, "content": self.content}

    def line_rows(self) -> list[dict[str, Any]]:
        """The ``order_lines`` rows."""
        return [line.row(self.id) for line in self.lines]


def order_id_of(raw: object) -> str | None:
    """The id an inbound order carries, if it carries a usable one (for reporting)."""
    if isinstance(raw, Mapping):
        value = raw.get("id")
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
    return None


def _label(raw: object, index: int) -> str:
    return order_id_of(raw) or f"order #{index + 1}"


def _location(loc: Sequence[int | str]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "order"


def _describe(error: ValidationError) -> str:
    problems = []
    for item in error.errors(include_url=False):
        message = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key (not part of an inbound order)"
        problems.append(f"{_location(item['loc'])}: {message}")
    return "; ".join(problems)


def _refurbisher(config: Config, order: InboundOrder) -> Refurbisher:
    refurbisher = config.refurbishers.get(order.refurbisher)
    if order.refurbisher in config.broken:
        raise OrderError(
            f"{order.id}: refurbisher {order.refurbisher!r} is disabled by its own config "
            f"errors (irp config check {order.refurbisher}); send the order again once fixed"
        )
    if refurbisher is None:
        known = ", ".join(sorted(config.refurbishers)) or "none"
        raise OrderError(
            f"{order.id}: refurbisher {order.refurbisher!r} is not in the config (known: {known})"
        )
    if refurbisher.order is None:
        raise OrderError(
            f"{order.id}: refurbisher {order.refurbisher!r} has no order section in the "
            f"config ({config.env}), so its orders cannot be sent; add "
            f"{order.refurbisher}.order first"
        )
    return refurbisher


def parse_inbound(raw: object, index: int = 0) -> InboundOrder:
    """Validate the shape of one inbound order; OrderError says what is wrong where."""
    label = _label(raw, index)
    if not isinstance(raw, Mapping):
        raise OrderError(f"{label}: expected an order object, got {type(raw).__name__}")
    try:
        return InboundOrder.model_validate(raw)
    except ValidationError as exc:
        raise OrderError(f"{label}: {_describe(exc)}") from None


def validate_order(conn: sa.Connection, config: Config, raw: object, index: int = 0) -> ValidOrder:
    """Check one inbound order against the config and the stored offers.

    Raises OrderError ("5001: ...") when the order is refused. Nothing is written.
    """
    order = parse_inbound(raw, index)
    refurbisher = _refurbisher(config, order)
    currency = refurbisher.settings.currency
    if order.currency is not None and order.currency != currency:
        raise OrderError(
            f"{order.id}: currency {order.currency} does not match {order.refurbisher}'s "
            f"currency {currency} (settings.currency)"
        )
    content = order.normalised(currency)
    return ValidOrder(
        id=order.id,
        refurbisher=order.refurbisher,
        order_number=order.order_number,
        currency=currency,
        content=content,
        content_hash=content_hash(content),
        lines=_snapshot_lines(conn, order),
    )


def _snapshot_lines(conn: sa.Connection, order: InboundOrder) -> list[LineSnapshot]:
    skus = sorted({item.sku for item in order.items})
    query = sa.select(
        offers_table.c.sku,
        offers_table.c.ean,
        offers_table.c.name,
        offers_table.c.price_purchase_amount,
        offers_table.c.price_selling_amount,
    ).where(offers_table.c.refurbisher == order.refurbisher, offers_table.c.sku.in_(skus))
    stored = {row.sku: row for row in conn.execute(query)}
    missing = [sku for sku in dict.fromkeys(item.sku for item in order.items) if sku not in stored]
    if missing:
        what = "SKU" if len(missing) == 1 else "SKUs"
        verb = "is not an offer" if len(missing) == 1 else "are not offers"
        raise OrderError(
            f"{order.id}: {what} {', '.join(missing)} {verb} of {order.refurbisher}; "
            f"check the SKU or run `irp offers sync {order.refurbisher}` first"
        )
    lines = []
    for line_no, item in enumerate(order.items, start=1):
        offer = stored[item.sku]
        lines.append(
            LineSnapshot(
                line_no=line_no,
                sku=item.sku,
                ean=offer.ean,
                name=offer.name,
                quantity=item.quantity,
                unit_price_tax_excl=item.unit_price_tax_excl,
                price_purchase_amount=_optional_money(offer.price_purchase_amount),
                price_selling_amount=_optional_money(offer.price_selling_amount),
            )
        )
    return lines


def _optional_money(value: Decimal | None) -> Decimal | None:
    return canonical_money(value) if value is not None else None


# --- storing ---------------------------------------------------------------------------


@dataclass(frozen=True)
class IntakeResult:
    """What happened to one inbound order: ``accepted``, ``unchanged`` or ``refused``."""

    id: str | None
    result: IntakeOutcome
    message: str
    # Refused because the id is taken by other content (HTTP 409); the message says so.
    conflict: bool = field(default=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        """``{"id", "result", "message"}``."""
        return {"id": self.id, "result": self.result, "message": self.message}


STORE_CHUNK = 500  # orders stored per transaction: one commit for many (group commit)


def accept_orders(db: Database, config: Config, raws: Iterable[object]) -> list[IntakeResult]:
    """Take each inbound order on its own: accepted, unchanged, or refused with a reason.

    Every order is judged alone (a refusal never affects the others), but the valid
    ones are stored together, up to :data:`STORE_CHUNK` per transaction: one commit
    (one fsync) for many orders. ``irp orders add`` and ``POST /api/orders`` call this;
    the service also hands it the orders of concurrent requests together
    (:mod:`irp.jobs.intake`).
    """
    raws = list(raws)
    results: list[IntakeResult | None] = [None] * len(raws)
    valid: list[tuple[int, ValidOrder]] = []
    with db.begin() as conn:  # read only: the offers the lines snapshot
        for index, raw in enumerate(raws):
            try:
                valid.append((index, validate_order(conn, config, raw, index)))
            except OrderError as exc:
                results[index] = IntakeResult(order_id_of(raw), "refused", str(exc))
    for start in range(0, len(valid), STORE_CHUNK):
        chunk = valid[start : start + STORE_CHUNK]
        stored = _store(db, [order for _, order in chunk])
        for (index, _), result in zip(chunk, stored, strict=True):
            results[index] = result
    return [result for result in results if result is not None]


def accept_order(db: Database, config: Config, raw: object, index: int = 0) -> IntakeResult:
    """Validate and store one inbound order (SPEC §3); refusals are results, not raises."""
    try:
        with db.begin() as conn:
            order = validate_order(conn, config, raw, index)
    except OrderError as exc:
        return IntakeResult(order_id_of(raw), "refused", str(exc))
    return _store(db, [order])[0]


def _store(db: Database, batch: Sequence[ValidOrder]) -> list[IntakeResult]:
    """Store a batch of valid orders in one transaction; one result each, in order.

    A few statements for the whole batch: one read of the ids already stored, one
    insert of the new orders (``ON CONFLICT DO NOTHING``, in id order so two batches
    on PostgreSQL that share ids wait for each other instead of deadlocking), one of
    their lines, their events. Of two equal ids in one batch the first is stored and
    the second compared with it, as if they had come one after the other.
    """
    # Read-then-write: BEGIN IMMEDIATE on SQLite, or another writer between our read and
    # our insert fails the insert at once with "database is locked".
    with db.write_transaction() as conn:
        now = database_now(conn)
        stored = _stored_hashes(conn, [order.id for order in batch])
        first: dict[str, int] = {}  # id -> the position of the order that stores it
        for n, order in enumerate(batch):
            if order.id not in stored:
                first.setdefault(order.id, n)
        fresh = [batch[n] for n in sorted(first.values(), key=lambda n: batch[n].id)]
        inserted = _insert(conn, fresh, now)
        accepted = {n for n in first.values() if batch[n].id in inserted}
        record_accepted_many(conn, [order.id for n, order in enumerate(batch) if n in accepted])
        results = []
        for n, order in enumerate(batch):
            if n in accepted:
                results.append(IntakeResult(order.id, "accepted", f"{order.id}: accepted"))
                continue
            if order.id not in stored:
                # Stored just now: by the first of its id in this batch, or by another
                # process's intake that committed between our read and our insert.
                winner = _stored_hash(conn, order.id)
                if winner is None:
                    raise StoreError(f"{order.id}: neither stored nor found after the insert")
                stored[order.id] = winner
            results.append(_compared(order, *stored[order.id]))
        return results


def _insert(conn: sa.Connection, fresh: list[ValidOrder], now: datetime) -> set[str]:
    """Insert ``fresh`` orders and their lines; the ids this insert stored."""
    if not fresh:
        return set()
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    insert = (
        dialect.insert(orders_table)
        .on_conflict_do_nothing(index_elements=[orders_table.c.id])
        .returning(orders_table.c.id)
    )
    rows = [
        {
            "id": order.id,
            "refurbisher": order.refurbisher,
            "order_number": order.order_number,
            "status": str(OrderStatus.PENDING),
            "content": order.content,
            "content_hash": order.content_hash,
            "currency": order.currency,
            "attempts": 0,
            "next_attempt_at": now,
            "lookup_not_found_count": 0,
            "resend_allowed": False,
            "version": 0,
            "created_at": now,
            "updated_at": now,
        }
        for order in fresh
    ]
    inserted = set(conn.execute(insert, rows).scalars())
    lines = [row for order in fresh if order.id in inserted for row in order.line_rows()]
    if lines:
        conn.execute(sa.insert(lines_table), lines)
    return inserted


def _stored_hashes(conn: sa.Connection, order_ids: list[str]) -> dict[str, tuple[str, Any]]:
    found: dict[str, tuple[str, Any]] = {}
    for start in range(0, len(order_ids), 500):  # bound the IN list
        query = sa.select(
            orders_table.c.id, orders_table.c.content_hash, orders_table.c.content
        ).where(orders_table.c.id.in_(order_ids[start : start + 500]))
        found.update({row.id: (row.content_hash, row.content) for row in conn.execute(query)})
    return found


def _stored_hash(conn: sa.Connection, order_id: str) -> tuple[str, dict[str, Any]] | None:
    query = sa.select(orders_table.c.content_hash, orders_table.c.content).where(
        orders_table.c.id == order_id
    )
    row = conn.execute(query).first()
    return (row.content_hash, row.content) if row is not None else None


def _compared(order: ValidOrder, stored_hash: str, stored: dict[str, Any]) -> IntakeResult:
    if stored_hash == order.content_hash:
        return IntakeResult(order.id, "unchanged", f"{order.id}: already accepted, unchanged")
    differing = sorted(
        key for key in set(stored) | set(order.content) if stored.get(key) != order.content.get(key)
    )
    return IntakeResult(
        order.id,
        "refused",
        conflict=True,
        message=f"{order.id}: already accepted with different content ({', '.join(differing)} "
        "differ); an accepted order cannot be changed — send a correction as a new order "
        f"id, and cancel this one with `irp orders resolve {order.id} --cancel` if needed",
    )
