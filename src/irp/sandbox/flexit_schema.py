"""FlexIT's order payload schema, checked as strictly as the real API.

The simulator must refuse what FlexIT refuses, types included — a ``"218535"`` string
for ``customerNumber`` or ``"true"`` for ``isBlindShip`` is exactly the mistake a
payload template can make, and a lenient simulator would hide it. Floats are parsed
as ``Decimal`` so ``unitPrice`` can be held to at most two decimals.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pycountry


@dataclass(frozen=True)
class FieldIssue:
    """One invalid field: its dotted path and what is wrong."""

    field: str
    message: str

    def as_json(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


_TOP_KEYS = (
    "customerNumber",
    "yourReference",
    "externalDocumentNumber",
    "currencyCode",
    "shipping",
    "lines",
)
_SHIPPING_KEYS = ("isBlindShip", "contact", "address")
_CONTACT_KEYS = ("name", "email", "phoneNumber")
_ADDRESS_KEYS = ("postalCode", "name", "countryCode", "city", "addressLine1")
_LINE_KEYS = ("sku", "quantity", "unitPrice")


def parse_json(raw: bytes) -> Any:
    """Parse a request body with floats as Decimal; ValueError when it is not JSON."""

    def refuse_constant(name: str) -> Any:
        raise ValueError(f"{name} is not a JSON number")

    return json.loads(raw.decode("utf-8"), parse_float=Decimal, parse_constant=refuse_constant)


def validate_order(payload: Any) -> list[FieldIssue]:
    """Every way ``payload`` breaks FlexIT's order schema (empty list = valid)."""
    issues: list[FieldIssue] = []
    if not isinstance(payload, dict):
        return [FieldIssue("", f"the order must be a JSON object, got {_json_type(payload)}")]
    _check_keys(payload, _TOP_KEYS, "", issues)
    _check_int(payload, "customerNumber", "customerNumber", issues, minimum=1)
    _check_string(payload, "yourReference", "yourReference", issues)
    _check_string(payload, "externalDocumentNumber", "externalDocumentNumber", issues)
    if "currencyCode" in payload and payload["currencyCode"] != "EUR":
        issues.append(
            FieldIssue("currencyCode", f'must be "EUR", got {_show(payload["currencyCode"])}')
        )
    shipping = _check_object(payload, "shipping", "shipping", issues)
    if shipping is not None:
        _check_shipping(shipping, issues)
    _check_lines(payload, issues)
    return issues


def _check_shipping(shipping: dict[str, Any], issues: list[FieldIssue]) -> None:
    _check_keys(shipping, _SHIPPING_KEYS, "shipping.", issues)
    if "isBlindShip" in shipping and shipping["isBlindShip"] is not True:
        got = shipping["isBlindShip"]
        issues.append(
            FieldIssue("shipping.isBlindShip", f"must be the JSON boolean true, got {_show(got)}")
        )
    contact = _check_object(shipping, "contact", "shipping.contact", issues)
    if contact is not None:
        _check_keys(contact, _CONTACT_KEYS, "shipping.contact.", issues)
        for key in _CONTACT_KEYS:
            _check_string(contact, key, f"shipping.contact.{key}", issues)
    address = _check_object(shipping, "address", "shipping.address", issues)
    if address is not None:
        _check_keys(address, _ADDRESS_KEYS, "shipping.address.", issues)
        for key in _ADDRESS_KEYS:
            _check_string(address, key, f"shipping.address.{key}", issues)
        code = address.get("countryCode")
        if isinstance(code, str) and code.strip():
            _check_country(code, issues)


def _check_country(code: str, issues: list[FieldIssue]) -> None:
    path = "shipping.address.countryCode"
    if len(code) != 2 or not code.isascii() or not code.isalpha() or not code.isupper():
        issues.append(FieldIssue(path, f"must be an ISO 3166 alpha-2 code like NL, got {code!r}"))
    elif pycountry.countries.get(alpha_2=code) is None:
        issues.append(FieldIssue(path, f"{code!r} is not an ISO 3166 country"))


def _check_lines(payload: dict[str, Any], issues: list[FieldIssue]) -> None:
    if "lines" not in payload:
        return
    lines = payload["lines"]
    if not isinstance(lines, list) or not lines:
        issues.append(FieldIssue("lines", f"must be a non-empty array, got {_show(lines)}"))
        return
    for index, line in enumerate(lines):
        prefix = f"lines.{index}"
        if not isinstance(line, dict):
            issues.append(FieldIssue(prefix, f"must be an object, got {_json_type(line)}"))
            continue
        _check_keys(line, _LINE_KEYS, f"{prefix}.", issues)
        _check_string(line, "sku", f"{prefix}.sku", issues)
        _check_int(line, "quantity", f"{prefix}.quantity", issues, minimum=1)
        _check_price(line, f"{prefix}.unitPrice", issues)


def _check_price(line: dict[str, Any], path: str, issues: list[FieldIssue]) -> None:
    if "unitPrice" not in line:
        return
    value = line["unitPrice"]
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        issues.append(FieldIssue(path, f"must be a JSON number, got {_show(value)}"))
        return
    amount = Decimal(value)
    if amount <= 0:
        issues.append(FieldIssue(path, f"must be greater than 0, got {value}"))
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        issues.append(FieldIssue(path, f"must have at most 2 decimals, got {value}"))


def _check_keys(
    obj: dict[str, Any], expected: tuple[str, ...], prefix: str, issues: list[FieldIssue]
) -> None:
    for key in expected:
        if key not in obj:
            issues.append(FieldIssue(f"{prefix}{key}", "is required"))
    for key in obj:
        if key not in expected:
            issues.append(FieldIssue(f"{prefix}{key}", "is not a known field"))


def _check_object(
    obj: dict[str, Any], key: str, path: str, issues: list[FieldIssue]
) -> dict[str, Any] | None:
    if key not in obj:
        return None
    value = obj[key]
    if not isinstance(value, dict):
        issues.append(FieldIssue(path, f"must be an object, got {_json_type(value)}"))
        return None
    return value


def _check_string(obj: dict[str, Any], key: str, path: str, issues: list[FieldIssue]) -> None:
    if key not in obj:
        return
    value = obj[key]
    if not isinstance(value, str):
        issues.append(FieldIssue(path, f"must be a string, got {_show(value)}"))
    elif not value.strip():
        issues.append(FieldIssue(path, "must not be empty"))


def _check_int(
    obj: dict[str, Any], key: str, path: str, issues: list[FieldIssue], *, minimum: int
) -> None:
    if key not in obj:
        return
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, int):
        issues.append(FieldIssue(path, f"must be an integer, got {_show(value)}"))
    elif value < minimum:
        issues.append(FieldIssue(path, f"must be at least {minimum}, got {value}"))


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | Decimal):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _show(value: Any) -> str:
    """A value as JSON would print it, with its JSON type: ``string "218535"``."""
    kind = _json_type(value)
    if kind in {"object", "array", "null"}:
        return kind
    text = json.dumps(value) if not isinstance(value, Decimal) else str(value)
    return f"{kind} {text}"


def example_order(external_document_number: str = "5001") -> dict[str, Any]:
    """A valid FlexIT order, as IRP's template renders the SPEC §1 example."""
    return {
        "customerNumber": 218535,
        "yourReference": "IU-100234",
        "externalDocumentNumber": external_document_number,
        "currencyCode": "EUR",
        "shipping": {
            "isBlindShip": True,
            "contact": {
                "name": "Jan Jansen",
                "email": "no-reply@iused.nl",
                "phoneNumber": "0612345678",
            },
            "address": {
                "postalCode": "1012 AB",
                "name": "Jan Jansen",
                "countryCode": "NL",
                "city": "Amsterdam",
                "addressLine1": "Damrak 1",
            },
        },
        "lines": [{"sku": "FLX-1001", "quantity": 1, "unitPrice": 249.00}],
    }
