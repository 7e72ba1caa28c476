"""What every config model shares: refusal of unknown keys, exact decimals, secret names.

Models are frozen: a loaded config is shared by the scheduler, workers and the web app,
and nobody may change it behind the others' backs.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

# Keys whose string value is a credential: placeholders are refused there, the value
# becomes a SecretStr and is collected for log redaction.
SECRET_KEYS = frozenset(
    {
        "password",
        "client_id",
        "client_secret",
        "token",
        "secret",
        "api_key",
        "passphrase",
        "webhook_url",
    }
)
# Every value of these objects is a secret (HTTP headers usually carry API keys).
SECRET_CONTAINERS = frozenset({"headers"})

Amount = Annotated[Decimal, Field(ge=0)]
"""A non-negative exact amount: "10.00", 10 and 10.1 (read as Decimal) all fit."""

Seconds = Annotated[float, Field(gt=0)]


def is_secret_path(parts: tuple[str | int, ...]) -> bool:
    """True when the value at ``parts`` (a JSON path) is a credential.

    A secret-bearing key (``password``...), any value under ``headers``, and the
    ``value`` of an auth object (the ``header`` auth type: ``{"header", "value"}``).
    """
    if not parts:
        return False
    last = parts[-1]
    parent = parts[-2] if len(parts) > 1 else None
    if isinstance(last, str) and last in SECRET_KEYS:
        return True
    if parent in SECRET_CONTAINERS:
        return True
    return last == "value" and parent == "auth"


class ConfigModel(BaseModel):
    """Base of every config object: unknown keys are errors, instances are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Fields whose model depends on a sibling (``offers.auth`` on ``connection``): the
    # error formatter asks ``variant`` which model to list the allowed keys of.
    variant_fields: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def variant(cls, field: str, data: Mapping[str, Any]) -> type[ConfigModel] | None:
        """The model that validates ``field`` given this object's raw ``data``."""
        return None

    @classmethod
    def allowed_keys(cls) -> list[str]:
        """The keys this object accepts, for "unknown key" messages."""
        return sorted(f.alias or name for name, f in cls.model_fields.items())


ModelClass = type[ConfigModel]
"""A config model class (an alias: some models have a field called ``type``)."""


def fail_at(key: str, error_type: str, message: str, value: Any) -> ValidationError:
    """A ValidationError located at ``key`` below the field being validated.

    Raised inside a field validator, pydantic prefixes the field's own location, so
    the message lands on e.g. ``flexit.order.auth.type`` instead of ``...auth``.
    """
    detail: InitErrorDetails = {
        "type": PydanticCustomError(error_type, message),
        "loc": (key,),
        "input": value,
    }
    return ValidationError.from_exception_data("config", [detail])


_DECIMAL: TypeAdapter[Decimal] = TypeAdapter(Amount)


def validate_amount(value: Any) -> Decimal:
    """Validate a non-negative exact amount (errors stay at the caller's location)."""
    return _DECIMAL.validate_python(value)


def dotted(parts: tuple[str | int, ...]) -> str:
    """``("flexit", "order", "resend_on", 0)`` -> ``"flexit.order.resend_on[0]"``."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text
