"""The sandbox SFTP server: real password auth, chroot to its root, clean stop."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import asyncssh
import pytest

from irp.sandbox.sftp_server import SandboxSftpServer
from tests.fixtures.sftp import SFTP_PASSWORD, SFTP_USERNAME


async def _list_root(server: SandboxSftpServer, password: str, path: str = ".") -> list[str]:
    async with (
        asyncssh.connect(
            server.host, server.port, username=SFTP_USERNAME, password=password,
            known_hosts=None, config=None, client_keys=None, agent_path=None,
        ) as conn,
        conn.start_sftp_client() as sftp,
    ):  # fmt: skip
        return sorted(await sftp.listdir(path))


def test_serves_its_root_as_slash_and_nothing_above_it(sftp_server: SandboxSftpServer) -> None:
    (sftp_server.root / "Outbound").mkdir()
    (sftp_server.root.parent / "outside.txt").write_text("secret", encoding="utf-8")

    assert asyncio.run(_list_root(sftp_server, SFTP_PASSWORD, "/")) == [".", "..", "Outbound"]
    assert asyncio.run(_list_root(sftp_server, SFTP_PASSWORD, "/..")) == [".", "..", "Outbound"]


def test_wrong_password_is_refused(sftp_server: SandboxSftpServer) -> None:
    with pytest.raises(asyncssh.PermissionDenied):
        asyncio.run(_list_root(sftp_server, "not-it"))


def test_host_key_line_and_fingerprint_describe_the_served_key(tmp_path: Path) -> None:
    key = asyncssh.generate_private_key("ssh-ed25519")
    with SandboxSftpServer(tmp_path, password=SFTP_PASSWORD, host_key=key) as server:
        served = asyncio.run(asyncssh.get_server_host_key(server.host, server.port, config=None))

    assert served is not None
    assert served.get_fingerprint() == server.fingerprint == key.get_fingerprint()
    assert server.host_key_line == " ".join(key.export_public_key().decode().split()[:2])


def test_stop_with_a_client_still_connected_returns_quickly(tmp_path: Path) -> None:
    server = SandboxSftpServer(tmp_path, password=SFTP_PASSWORD).start()

    async def hold_open_then_stop() -> float:
        async with asyncssh.connect(
            server.host, server.port, username=SFTP_USERNAME, password=SFTP_PASSWORD,
            known_hosts=None, config=None, client_keys=None, agent_path=None,
        ) as conn:  # fmt: skip
            started = time.monotonic()
            await asyncio.to_thread(server.stop)
            elapsed = time.monotonic() - started
            await conn.wait_closed()
            return elapsed

    assert asyncio.run(hold_open_then_stop()) < 2
    with pytest.raises(RuntimeError, match="not started"):
        _ = server.port
