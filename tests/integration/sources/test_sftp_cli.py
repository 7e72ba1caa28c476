"""``irp sftp trust`` and the feed side of ``irp check``, end to end through the CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncssh
import pytest
from typer.testing import CliRunner

from irp.cli.app import app
from irp.sandbox.sftp_server import SandboxSftpServer
from irp.sources.hostkeys import PIN_FILE_NAME, key_line, read_pinned_keys, write_pinned_key
from tests.fixtures.sftp import SFTP_PASSWORD, SFTP_USERNAME

REMOTE = "Outbound/FlexIT_Feed.csv"


def write_config(tmp_path: Path, server: SandboxSftpServer, **auth: Any) -> Path:
    config = {
        "flexit": {
            "name": "flexit",
            "refurbisher_id": 15,
            "settings": {"currency": "EUR", "shipping_costs": "10.00", "home_copy_tax": "3.18",
                         "default_margin": "17", "stock_threshold": 1},
            "offers": {
                "connection": "sftp",
                "auth": {"host": server.host, "port": server.port, "path": REMOTE,
                         "username": SFTP_USERNAME, "password": "${FLEXIT_SFTP_PASSWORD}", **auth},
                "type": "csv", "separator": ";", "price_locale": "nl_NL",
                "settle_seconds": 0.05, "timeout_seconds": 5,
                "mapping": {"sku": "Flex IT Part Number", "stock_available": "Stock Quantity",
                            "price_purchase_amount": "Sales Price"},
            },
        }
    }  # fmt: skip
    path = tmp_path / "irp.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def sftp_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLEXIT_SFTP_PASSWORD", SFTP_PASSWORD)
    monkeypatch.delenv("IRP_CONFIG", raising=False)
    monkeypatch.delenv("IRP_ENV", raising=False)


def irp(config: Path, *args: str) -> Any:
    return CliRunner().invoke(app, ["--config", str(config), *args])


def put_feed(server: SandboxSftpServer, data: bytes) -> Path:
    target = server.root / REMOTE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target


def test_check_refuses_an_unpinned_server_then_trust_pins_it_and_check_passes(
    sftp_server: SandboxSftpServer, tmp_path: Path
) -> None:
    target = put_feed(sftp_server, b"x" * 1234)
    config = write_config(tmp_path, sftp_server)

    refused = irp(config, "check", "flexit")
    trusted = irp(config, "sftp", "trust", "flexit")
    checked = irp(config, "check", "flexit")

    assert refused.exit_code == 1
    assert sftp_server.fingerprint in refused.output
    assert "run `irp sftp trust flexit`" in refused.output
    assert trusted.exit_code == 0, trusted.output
    assert trusted.output == (
        f"flexit: 127.0.0.1:{sftp_server.port} presents the host key {sftp_server.fingerprint}\n"
        f"pinned in {tmp_path / PIN_FILE_NAME}\n"
    )
    pinned = read_pinned_keys(tmp_path / PIN_FILE_NAME, "127.0.0.1", sftp_server.port)
    assert [k.get_fingerprint() for k in pinned] == [sftp_server.fingerprint]
    modified = int(target.stat().st_mtime)
    stamp = datetime.fromtimestamp(modified, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert checked.exit_code == 0, checked.output
    assert checked.output == (
        f"offers: OK — sftp://{SFTP_USERNAME}@127.0.0.1:{sftp_server.port}/{REMOTE}, "
        f"1234 bytes, modified {stamp}\n"
    )


def test_trust_json_replaces_a_rotated_key_in_the_configured_known_hosts(
    sftp_server: SandboxSftpServer, tmp_path: Path
) -> None:
    old = asyncssh.generate_private_key("ssh-ed25519")
    known_hosts = tmp_path / "known_hosts"
    write_pinned_key(known_hosts, "127.0.0.1", sftp_server.port, old)
    config = write_config(tmp_path, sftp_server, known_hosts="known_hosts")

    result = irp(config, "sftp", "trust", "flexit", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "refurbisher": "flexit",
        "host": "127.0.0.1",
        "port": sftp_server.port,
        "fingerprint": sftp_server.fingerprint,
        "pinned_to": str(known_hosts),
    }
    assert known_hosts.read_text(encoding="utf-8") == (
        f"[127.0.0.1]:{sftp_server.port} {sftp_server.host_key_line}\n"
    )
    assert not (tmp_path / PIN_FILE_NAME).exists()


def test_trust_with_a_stale_host_key_in_config_prints_the_new_line_and_fails(
    sftp_server: SandboxSftpServer, tmp_path: Path
) -> None:
    old = asyncssh.generate_private_key("ssh-ed25519")
    config = write_config(tmp_path, sftp_server, host_key=key_line(old))

    result = irp(config, "sftp", "trust", "flexit")
    as_json = irp(config, "sftp", "trust", "flexit", "--json")

    assert result.exit_code == 1
    assert result.output == (
        f"flexit: 127.0.0.1:{sftp_server.port} presents the host key {sftp_server.fingerprint}\n"
        f"flexit.offers.auth.host_key pins another key ({old.get_fingerprint()}). "
        "If the supplier confirms the fingerprint above, set it in the config to:\n"
        f"  {sftp_server.host_key_line}\n"
    )
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["pinned_to"] is None
    assert not (tmp_path / PIN_FILE_NAME).exists()


def test_check_json_reports_a_missing_file_and_exits_1(
    sftp_server: SandboxSftpServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path, sftp_server, host_key=sftp_server.host_key_line)

    result = irp(config, "check", "flexit", "--json")

    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "refurbisher": "flexit",
        "checks": [
            {
                "check": "offers",
                "ok": False,
                "detail": f"flexit.offers.auth.path: {REMOTE} not found on "
                f"127.0.0.1:{sftp_server.port}; check the path with the supplier "
                "(is today's export there?)",
            }
        ],
    }


def test_check_with_a_wrong_password_fails_without_showing_it(
    sftp_server: SandboxSftpServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_feed(sftp_server, b"data")
    monkeypatch.setenv("FLEXIT_SFTP_PASSWORD", "Wrong-Pa55-0815")
    config = write_config(tmp_path, sftp_server, host_key=sftp_server.host_key_line)

    result = irp(config, "check", "flexit")

    assert result.exit_code == 1
    assert result.output == (
        f"offers: FAILED — flexit.offers.auth: login as {SFTP_USERNAME} on "
        f"127.0.0.1:{sftp_server.port} refused; check flexit.offers.auth.username and "
        "flexit.offers.auth.password\n"
    )
    assert "Wrong-Pa55-0815" not in result.output


def test_unknown_refurbisher_is_a_usage_error(
    sftp_server: SandboxSftpServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path, sftp_server)

    check = irp(config, "check", "acme")
    trust = irp(config, "sftp", "trust", "acme")

    assert (check.exit_code, trust.exit_code) == (2, 2)
    assert "unknown refurbisher 'acme'; the config defines: flexit" in check.output
    assert "unknown refurbisher 'acme'; the config defines: flexit" in trust.output


def test_check_of_a_file_feed_reports_its_path_size_and_mtime(tmp_path: Path) -> None:
    feed = tmp_path / "feeds" / "flexit.csv"
    feed.parent.mkdir()
    feed.write_bytes(b"a;b\n1;2\n")
    config = tmp_path / "irp.json"
    config.write_text(
        json.dumps(
            {
                "flexit": {
                    "name": "flexit",
                    "refurbisher_id": 15,
                    "offers": {
                        "connection": "file",
                        "auth": {"path": "feeds/flexit.csv"},
                        "mapping": {
                            "sku": "a",
                            "stock_available": "b",
                            "price_purchase_amount": "b",
                        },
                    },
                    "settings": {"default_margin": "17"},
                }
            }
        ),
        encoding="utf-8",
    )
    stamp = datetime.fromtimestamp(feed.stat().st_mtime, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    result = irp(config, "check", "flexit")

    assert result.exit_code == 0, result.output
    assert result.output == f"offers: OK — file://{feed}, 8 bytes, modified {stamp}\n"
