"""Host-key pinning: key lines, fingerprints, known_hosts files and where a pin lives."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import asyncssh
import pytest

from irp.sources.hostkeys import (
    PIN_FILE_NAME,
    fingerprint,
    host_token,
    key_line,
    parse_key_line,
    read_pinned_keys,
    resolve_pin,
    write_pinned_key,
)


@pytest.fixture(scope="module")
def key() -> asyncssh.SSHKey:
    return asyncssh.generate_private_key("ssh-ed25519")


@pytest.fixture(scope="module")
def other_key() -> asyncssh.SSHKey:
    return asyncssh.generate_private_key("ssh-ed25519")


def test_fingerprint_is_ssh_keygen_style_sha256_of_the_key_blob(key: asyncssh.SSHKey) -> None:
    blob = base64.b64decode(key_line(key).split()[1])
    expected = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")

    assert fingerprint(key) == f"SHA256:{expected}"


def test_key_line_round_trips_through_parse_key_line(key: asyncssh.SSHKey) -> None:
    line = key_line(key)

    assert line.startswith("ssh-ed25519 AAAA")
    assert len(line.split()) == 2
    assert fingerprint(parse_key_line(f"  {line} operator@laptop\n")) == fingerprint(key)


def test_parse_key_line_rejects_a_non_key_with_what_was_expected() -> None:
    with pytest.raises(ValueError) as caught:
        parse_key_line("SHA256:abc")

    assert str(caught.value) == (
        "expected an OpenSSH public key line like 'ssh-ed25519 AAAA...', got 'SHA256:abc'"
    )


def test_host_token_uses_brackets_for_a_non_default_port() -> None:
    assert (host_token("sftp.example", 22), host_token("10.0.0.1", 2222)) == (
        "sftp.example",
        "[10.0.0.1]:2222",
    )


def test_write_pinned_key_replaces_only_that_hosts_entry(
    tmp_path: Path, key: asyncssh.SSHKey, other_key: asyncssh.SSHKey
) -> None:
    path = tmp_path / "known_hosts"
    path.write_text(
        f"# pins\nkeep.example {key_line(other_key)}\n"
        f"[sftp.example]:2222,10.0.0.5 {key_line(other_key)}\n",
        encoding="utf-8",
    )

    write_pinned_key(path, "sftp.example", 2222, key)

    assert path.read_text(encoding="utf-8").splitlines() == [
        "# pins",
        f"keep.example {key_line(other_key)}",
        f"[sftp.example]:2222 {key_line(key)}",
    ]
    assert [fingerprint(k) for k in read_pinned_keys(path, "sftp.example", 2222)] == [
        fingerprint(key)
    ]
    assert [fingerprint(k) for k in read_pinned_keys(path, "keep.example", 22)] == [
        fingerprint(other_key)
    ]


def test_read_pinned_keys_of_a_missing_file_or_host_is_empty(
    tmp_path: Path, key: asyncssh.SSHKey
) -> None:
    path = tmp_path / "known_hosts"
    assert read_pinned_keys(path, "sftp.example", 22) == []

    write_pinned_key(path, "sftp.example", 22, key)

    assert read_pinned_keys(path, "elsewhere.example", 22) == []


def test_resolve_pin_prefers_host_key_then_known_hosts_then_the_irp_pin_file(
    tmp_path: Path, key: asyncssh.SSHKey, other_key: asyncssh.SSHKey
) -> None:
    write_pinned_key(tmp_path / "kh", "h", 22, other_key)
    write_pinned_key(tmp_path / PIN_FILE_NAME, "h", 22, key)
    common = {"host": "h", "port": 22, "config_dir": tmp_path, "prefix": "flexit.offers.auth"}

    in_config = resolve_pin(host_key=key_line(key), known_hosts=Path("kh"), **common)  # type: ignore[arg-type]
    in_file = resolve_pin(host_key=None, known_hosts=Path("kh"), **common)  # type: ignore[arg-type]
    in_pin_file = resolve_pin(host_key=None, known_hosts=None, **common)  # type: ignore[arg-type]

    assert (in_config.where, in_config.file) == ("flexit.offers.auth.host_key", None)
    assert [fingerprint(k) for k in in_config.keys] == [fingerprint(key)]
    assert (in_file.where, in_file.file) == ("flexit.offers.auth.known_hosts", tmp_path / "kh")
    assert [fingerprint(k) for k in in_file.keys] == [fingerprint(other_key)]
    assert (in_pin_file.where, in_pin_file.file) == (
        "flexit.offers.auth",
        tmp_path / PIN_FILE_NAME,
    )
    assert [fingerprint(k) for k in in_pin_file.keys] == [fingerprint(key)]
