"""API tokens (``IRP_API_TOKENS``) and the bearer check of every ``/api`` route.

``IRP_API_TOKENS=name:token,name2:token2``: each token is a secret like any in the
config — ``${VAR}`` and ``op://vault/item/field`` references are resolved, the
placeholder ``XXXXXXXX`` is refused — and must be at least
:data:`MIN_TOKEN_LENGTH` characters. The name is the actor recorded on operator
actions (``retry``, ``resolve``).

A presented token is compared with *every* configured token, each through
``hmac.compare_digest`` of SHA-256 digests (equal lengths, no early exit), so the
time taken says nothing about which token came close. A missing or wrong token gets
the same 401.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from irp.config.secrets import SecretResolver
from irp.errors import ConfigError, ConfigErrors

__all__ = ["MIN_TOKEN_LENGTH", "TOKENS_ENV", "ApiTokens"]

TOKENS_ENV = "IRP_API_TOKENS"
MIN_TOKEN_LENGTH = 16
_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")


@dataclass(frozen=True)
class ApiTokens:
    """The configured tokens, kept as digests; :meth:`identify` names a presented one."""

    _digests: tuple[tuple[str, bytes], ...] = ()
    secrets: frozenset[str] = field(default=frozenset(), repr=False)

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self._digests]

    @classmethod
    def from_environment(
        cls, environ: Mapping[str, str] | None = None, resolver: SecretResolver | None = None
    ) -> ApiTokens:
        """Parse ``IRP_API_TOKENS``; ConfigErrors (every problem at once) if it is wrong."""
        environ = os.environ if environ is None else environ
        return cls.parse(environ.get(TOKENS_ENV, ""), resolver or SecretResolver())

    @classmethod
    def parse(cls, text: str, resolver: SecretResolver) -> ApiTokens:
        errors: list[ConfigError] = []
        digests: list[tuple[str, bytes]] = []
        secrets: set[str] = set()
        for number, entry in enumerate(e.strip() for e in text.split(",")):
            if not entry:
                continue
            name, colon, raw = entry.partition(":")
            name, raw = name.strip(), raw.strip()
            where = f"{TOKENS_ENV}[{number}]"
            if not colon or not _NAME.match(name):
                errors.append(
                    ConfigError(
                        where,
                        "expected name:token (a name of letters, digits, '.', '@', '-', '_')",
                    )
                )
                continue
            resolved = resolver.resolve_document({"token": raw}, (TOKENS_ENV, name))
            if resolved.errors:
                errors.extend(resolved.errors)
                continue
            token = str(resolved.data["token"])
            if len(token) < MIN_TOKEN_LENGTH:
                errors.append(
                    ConfigError(
                        f"{TOKENS_ENV}.{name}",
                        f"the token is shorter than {MIN_TOKEN_LENGTH} characters; use a "
                        "random one, e.g. `openssl rand -hex 32`",
                    )
                )
                continue
            if name in (known for known, _ in digests):
                errors.append(ConfigError(f"{TOKENS_ENV}.{name}", "the name is given twice"))
                continue
            digest = _digest(token)
            if any(hmac.compare_digest(digest, other) for _, other in digests):
                errors.append(
                    ConfigError(
                        f"{TOKENS_ENV}.{name}",
                        "the same token is given to another name; each needs its own",
                    )
                )
                continue
            digests.append((name, digest))
            secrets.add(token)
        if errors:
            raise ConfigErrors(errors)
        return cls(tuple(digests), frozenset(secrets))

    def identify(self, presented: str) -> str | None:
        """The name of the token ``presented`` is, or None; constant time over all."""
        digest = _digest(presented)
        found: str | None = None
        for name, expected in self._digests:
            if hmac.compare_digest(digest, expected):
                found = name
        return found


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).digest()
