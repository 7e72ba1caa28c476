"""SSH host-key pinning: OpenSSH key lines, SHA256 fingerprints, known_hosts files.

IRP never trusts a host key silently. The key is pinned in one of three places, in
this order of precedence:

1. ``offers.auth.host_key`` — an OpenSSH public key line in the config;
2. ``offers.auth.known_hosts`` — an OpenSSH known_hosts file (relative to the config);
3. ``<config folder>/irp_known_hosts`` — the file ``irp sftp trust NAME`` writes when
   neither is configured.

An unknown or changed key is refused with the server's fingerprint in the message.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import asyncssh

PIN_FILE_NAME = "irp_known_hosts"


def parse_key_line(line: str) -> asyncssh.SSHKey:
    """Read an OpenSSH public key line (``ssh-ed25519 AAAA... comment``).

    Raises ValueError naming what was expected; the caller adds the config path.
    """
    try:
        return asyncssh.import_public_key(line.strip())
    except (asyncssh.KeyImportError, ValueError) as exc:
        raise ValueError(
            f"expected an OpenSSH public key line like 'ssh-ed25519 AAAA...', got {line[:40]!r}"
        ) from exc


def fingerprint(key: asyncssh.SSHKey) -> str:
    """The SHA256 fingerprint as ``ssh-keygen -l`` prints it: ``SHA256:base64``."""
    return key.get_fingerprint("sha256")


def key_line(key: asyncssh.SSHKey) -> str:
    """The OpenSSH public key line of ``key`` without a comment (``ssh-ed25519 AAAA...``)."""
    algorithm, data = key.export_public_key("openssh").decode("ascii").split()[:2]
    return f"{algorithm} {data}"


def host_token(host: str, port: int) -> str:
    """How known_hosts names a host: ``host`` on port 22, ``[host]:port`` otherwise."""
    return host if port == 22 else f"[{host}]:{port}"


def read_pinned_keys(path: Path, host: str, port: int) -> list[asyncssh.SSHKey]:
    """The keys ``path`` (OpenSSH known_hosts format, hashed entries too) pins for host:port.

    A missing file pins nothing.
    """
    if not path.exists():
        return []
    known = asyncssh.import_known_hosts(path.read_text(encoding="utf-8"))
    keys, *_ = asyncssh.match_known_hosts(known, host, "", port)
    return list(keys)


def write_pinned_key(path: Path, host: str, port: int, key: asyncssh.SSHKey) -> None:
    """Pin ``key`` for host:port in ``path``, replacing that host's previous entries.

    Other hosts' lines and comments are kept. The file is replaced atomically.
    """
    token = host_token(host, port)
    kept: list[str] = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            fields = line.split()
            if fields and not line.lstrip().startswith("#") and token in fields[0].split(","):
                continue
            kept.append(line)
    kept.append(f"{token} {key_line(key)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(kept) + "\n", encoding="utf-8")
    os.replace(tmp, path)


@dataclass(frozen=True)
class HostKeyPin:
    """Where a refurbisher's host key is pinned and which keys that place holds.

    ``where`` is the config path messages name (``flexit.offers.auth.host_key``);
    ``file`` is the known_hosts file, or None when the key is in the config itself.
    """

    keys: tuple[asyncssh.SSHKey, ...]
    where: str
    file: Path | None


def resolve_pin(
    *,
    host: str,
    port: int,
    host_key: str | None,
    known_hosts: Path | None,
    config_dir: Path,
    prefix: str,
) -> HostKeyPin:
    """Find the pinned keys for host:port following the precedence in the module docstring.

    ``known_hosts`` is taken relative to ``config_dir``; ``prefix`` is the config path of
    ``offers.auth`` (``flexit.offers.auth``) used in messages.
    """
    if host_key:
        return HostKeyPin((parse_key_line(host_key),), f"{prefix}.host_key", None)
    if known_hosts is not None:
        path = config_dir / known_hosts
        return HostKeyPin(tuple(read_pinned_keys(path, host, port)), f"{prefix}.known_hosts", path)
    path = config_dir / PIN_FILE_NAME
    return HostKeyPin(tuple(read_pinned_keys(path, host, port)), prefix, path)
