"""Secret references: ``${ENV_VAR}`` (whole or embedded) and ``op://vault/item/field``.

Resolution walks the raw (environment-merged) document before validation, so every
model sees plain strings and every failure is reported with its JSON path. Secret
values are collected for redaction and never enter a message.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from irp.config.base import dotted, is_secret_path
from irp.errors import ConfigError

ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
OP_PREFIX = "op://"
PLACEHOLDER = re.compile(r"X{8,}")
OP_TIMEOUT_SECONDS = 30.0

Path_ = tuple[str | int, ...]


@dataclass
class Resolution:
    """The document with references replaced, and what was learnt on the way."""

    data: Any
    errors: list[ConfigError] = field(default_factory=list)
    secrets: set[str] = field(default_factory=set)
    expiries: dict[str, date] = field(default_factory=dict)

    @property
    def error_paths(self) -> set[str]:
        return {e.path for e in self.errors}


def is_expiring_secret(value: object) -> bool:
    """The ``{"value": ..., "expires": "YYYY-MM-DD"}`` form of a secret."""
    return isinstance(value, dict) and "value" in value and set(value) <= {"value", "expires"}


_GROUPS = frozenset({"platform", "IRP_API_TOKENS"})
"""Roots whose secrets belong to the next segment, not to the root itself."""


def _unset_secret(written: str, resolved: str, parts: Path_) -> str:
    """What to say about a placeholder or empty secret; the path is said by the error.

    ``still the placeholder XXXX…; set it with ${FLEXIT_CLIENT_SECRET} or op://…``:
    the variable named is the one the file refers to, or one named after the
    refurbisher and the key.
    """
    reference = ENV_REFERENCE.search(written)
    state = "empty" if not resolved else "still the placeholder XXXX…"
    if reference is not None:
        return (
            f"{reference.group(0)} is {state}; set it with the real secret or op://vault/item/field"
        )
    # Named after the refurbisher, or after the section for the installation-wide ones
    # (``platform.odoo.api_key`` -> ODOO_API_KEY, a token ``ops`` -> OPS_TOKEN).
    owner = parts[1] if parts[0] in _GROUPS and len(parts) > 2 else parts[0]
    name = f"{owner}_{parts[-1]}".upper().replace("-", "_").replace(".", "_")
    return f"{state}; set it with ${{{name}}} or op://vault/item/field"


class SecretResolver:
    """Resolves references in one document; ``op read`` answers are cached per load.

    With ``resolve=False`` secret-bearing fields keep their reference text (nothing is
    read from the environment or 1Password, placeholders are not refused); other
    fields still get their ``${VAR}`` substituted, since they are plain settings.
    """

    def __init__(self, *, resolve: bool = True, environ: Mapping[str, str] | None = None) -> None:
        self.resolve = resolve
        self.environ = os.environ if environ is None else environ
        self._op_cache: dict[str, str] = {}

    def resolve_document(self, data: Any, root: Path_) -> Resolution:
        """Resolve every string below ``data`` (found at JSON path ``root``)."""
        result = Resolution(data=None)
        result.data = self._walk(data, root, result)
        return result

    def _walk(self, value: Any, parts: Path_, out: Resolution) -> Any:
        if is_secret_path(parts) and is_expiring_secret(value):
            self._record_expiry(value.get("expires"), parts, out)
            value = value["value"]
        if isinstance(value, dict):
            return {k: self._walk(v, (*parts, k), out) for k, v in value.items()}
        if isinstance(value, list):
            return [self._walk(v, (*parts, i), out) for i, v in enumerate(value)]
        if isinstance(value, str):
            return self._string(value, parts, out)
        return value

    def _record_expiry(self, expires: Any, parts: Path_, out: Resolution) -> None:
        if expires is None:
            return
        try:
            out.expiries[dotted(parts)] = date.fromisoformat(str(expires))
        except ValueError:
            out.errors.append(
                ConfigError(
                    dotted((*parts, "expires")),
                    f"expected a date YYYY-MM-DD, got {str(expires)!r}",
                )
            )

    def _string(self, value: str, parts: Path_, out: Resolution) -> str:
        secret = is_secret_path(parts)
        if secret and not self.resolve:
            return value
        path = dotted(parts)
        resolved = self._substitute_env(value, path, out)
        from_op = resolved.startswith(OP_PREFIX)
        if from_op:
            resolved = self._op_read(resolved, path, out)
        if path in out.error_paths:
            return value
        if secret and (PLACEHOLDER.search(resolved) or not resolved):
            out.errors.append(ConfigError(path, _unset_secret(value, resolved, parts)))
            return value
        if secret or from_op:
            out.secrets.add(resolved)
        return resolved

    def _substitute_env(self, value: str, path: str, out: Resolution) -> str:
        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in self.environ:
                out.errors.append(ConfigError(path, f"${{{name}}} is not set"))
                return match.group(0)
            return self.environ[name]

        return ENV_REFERENCE.sub(replace, value)

    def _op_read(self, reference: str, path: str, out: Resolution) -> str:
        if reference in self._op_cache:
            return self._op_cache[reference]
        executable = shutil.which("op")
        if executable is None:
            out.errors.append(
                ConfigError(
                    path,
                    f"{reference} cannot be read: the 1Password CLI `op` is not on PATH; "
                    "install it and sign in, or use ${ENV_VAR}",
                )
            )
            return reference
        try:
            done = subprocess.run(
                [executable, "read", reference],
                capture_output=True,
                text=True,
                timeout=OP_TIMEOUT_SECONDS,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            out.errors.append(ConfigError(path, f"{reference} cannot be read: {exc}"))
            return reference
        if done.returncode != 0:
            reason = done.stderr.strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
            out.errors.append(
                ConfigError(
                    path,
                    f"{reference} cannot be read with `op read`: {reason[0][:200]} "
                    "(is `op` signed in, and does the item exist?)",
                )
            )
            return reference
        value = done.stdout.removesuffix("\n")
        self._op_cache[reference] = value
        return value
