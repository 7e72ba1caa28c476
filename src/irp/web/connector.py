"""A refurbisher's connector config as loaded, for the page: every secret as ``••••``.

Values come from the loaded models (defaults included: that is what runs). A secret
value never leaves here: in its place the page shows ``••••`` and where the value
comes from — the ``${VAR}`` or ``op://…`` reference written in the file, or "written
in the file" for a literal. The references are read from the file as merged for the
environment, never resolved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from irp.config import Config, Refurbisher, merge_environment
from irp.config.base import ConfigModel, dotted, is_secret_path
from irp.config.document import read_document
from irp.config.secrets import ENV_REFERENCE, OP_PREFIX, is_expiring_secret
from irp.errors import IrpError

MASK = "••••"
SECTIONS = ("offers", "order", "shipment_webhook", "shipment_poll")

Parts = tuple[str | int, ...]


@dataclass(frozen=True)
class ConfigLine:
    """One leaf of the connector config: its dotted path, the value shown, its source."""

    path: str
    value: str
    secret: bool = False
    source: str | None = None


def connector_lines(config: Config, ref: Refurbisher) -> dict[str, list[ConfigLine]]:
    """Section name -> its leaves, for the sections ``ref`` has."""
    raw = _raw_refurbisher(config, ref.key)
    found: dict[str, list[ConfigLine]] = {}
    for section in SECTIONS:
        model = getattr(ref, section, None)
        if isinstance(model, ConfigModel):
            lines: list[ConfigLine] = []
            _walk(model, (section,), raw, lines)
            found[section] = lines
    return found


def _raw_refurbisher(config: Config, key: str) -> Any:
    """The refurbisher's object as written, merged for the environment; {} if unreadable."""
    try:
        document = read_document(config.path)
    except IrpError:
        return {}
    if not isinstance(document, dict):
        return {}
    merged, _errors = merge_environment(document.get(key), config.env, key)
    return merged if isinstance(merged, dict) else {}


def _walk(value: Any, parts: Parts, raw: Any, out: list[ConfigLine]) -> None:
    if isinstance(value, SecretStr) or (is_secret_path(parts) and isinstance(value, str)):
        out.append(ConfigLine(dotted(parts), MASK, True, _source(_at(raw, parts))))
        return
    if isinstance(value, ConfigModel):
        fields = type(value).model_fields
        for name in fields:
            key = fields[name].alias or name
            _walk(getattr(value, name), (*parts, key), raw, out)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            _walk(item, (*parts, str(key)), raw, out)
        return
    if isinstance(value, list | tuple):
        out.append(ConfigLine(dotted(parts), ", ".join(_text(v) for v in value) or "[]"))
        return
    out.append(ConfigLine(dotted(parts), _text(value)))


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _at(raw: Any, parts: Parts) -> Any:
    node = raw
    for part in parts:
        if isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    return node


def _source(written: Any) -> str:
    """Where a secret comes from, without its value."""
    expires = ""
    if is_expiring_secret(written):
        if written.get("expires") is not None:
            expires = f", expires {written['expires']}"
        written = written.get("value")
    if not isinstance(written, str):
        return "not in the file" + expires
    if written.startswith(OP_PREFIX):
        return written + expires
    references = ENV_REFERENCE.findall(written)
    if references:
        return " ".join(f"${{{name}}}" for name in references) + expires
    return "written in the file" + expires
