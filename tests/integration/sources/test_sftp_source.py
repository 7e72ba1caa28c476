"""SftpSource against the real sandbox SFTP server (asyncssh) on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import asyncssh
import pytest

from irp.errors import (
    HostKeyError,
    SourceAuthError,
    SourceConnectionError,
    SourceNotFoundError,
)
from irp.sandbox.sftp_server import SandboxSftpServer
from irp.sources import RemoteStat, SftpSource
from irp.sources.hostkeys import PIN_FILE_NAME, write_pinned_key
from tests.fixtures.sftp import SFTP_PASSWORD, SFTP_USERNAME

FEED = b"\xef\xbb\xbfFlex IT Part Number;Stock Quantity\r\nFLX-1001;3\r\n"
REMOTE = "Outbound/FlexIT_Feed.csv"


def put(server: SandboxSftpServer, data: bytes = FEED, path: str = REMOTE) -> Path:
    target = server.root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target


def source(server: SandboxSftpServer, config_dir: Path, **overrides: object) -> SftpSource:
    options: dict[str, object] = {
        "host": server.host,
        "port": server.port,
        "path": REMOTE,
        "username": SFTP_USERNAME,
        "password": SFTP_PASSWORD,
        "host_key": server.host_key_line,
        "config_dir": config_dir,
        "label": "flexit",
        "settle_seconds": 0.05,
        "timeout_seconds": 5.0,
    }
    options.update(overrides)
    return SftpSource(**options)  # type: ignore[arg-type]


def test_fetch_returns_the_bytes_on_disk_with_their_size_and_mtime(
    sftp_server: SandboxSftpServer, tmp_path: Path
) -> None:
    target = put(sftp_server)

    outcome = source(sftp_server, tmp_path).fetch_if_changed(None)

    assert outcome.kind == "fetched"
    assert outcome.data == target.read_bytes() == FEED
    mtime = datetime.fromtimestamp(int(target.stat().st_mtime), tz=UTC)
    assert outcome.stat == RemoteStat(size=len(FEED), mtime=mtime)


def test_fetch_with_the_last_good_stat_is_unchanged_and_downloads_nothing(
    sftp_server: SandboxSftpServer, tmp_path: Path
) -> None:
    put(sftp_server)
    feed = source(sftp_server, tmp_path)
    first = feed.fetch_if_changed(None)

    second = feed.fetch_if_changed(first.stat)

    assert (second.kind, second.data, second.stat) == ("unchanged", None, first.stat)


def test_file_changed_since_the_last_good_sync_is_fetched_again(
    sftp_server: SandboxSftpServer, tmp_path: Path
) -> None:
    put(sftp_server)
    feed = source(sftp_server, tmp_path)
    first = feed.fetch_if_changed(None)
    put(sftp_server, FEED + b"FLX-1002;0\r\n")

    second = feed.fetch_if_changed(first.stat)

    assert second.kind == "fetched"
    assert second.data == FEED + b"FLX-1002;0\r\n"
    assert second.stat.size == len(FEED) + 12


def test_file_still_growing_between_the_two_looks_is_waiting(
    sftp_server: SandboxSftpServer, tmp_path: Path
) -> None:
    target = put(sftp_server)
    stop = threading.Event()

    def supplier_still_writing() -> None:
        while not stop.is_set():
            with target.open("ab") as out:
                out.write(b"FLX-2000;1\r\n")
            time.sleep(0.02)

    writer = threading.Thread(target=supplier_still_writing)
    writer.start()
    try:
        outcome = source(sftp_server, tmp_path, settle_seconds=0.3).fetch_if_changed(None)
    finally:
        stop.set()
        writer.join()

    assert (outcome.kind, outcome.data) == ("waiting", None)
    assert outcome.stat.size > len(FEED)


def test_probe_logs_in_and_stats_the_file(sftp_server: SandboxSftpServer, tmp_path: Path) -> None:
    target = put(sftp_server)

    stat = source(sftp_server, tmp_path).probe()

    assert stat == RemoteStat(
        size=len(FEED), mtime=datetime.fromtimestamp(int(target.stat().st_mtime), tz=UTC)
    )


def test_missing_file_is_not_found_naming_the_remote_path(
    sftp_server: SandboxSftpServer, tmp_path: Path
) -> None:
    with pytest.raises(SourceNotFoundError) as caught:
        source(sftp_server, tmp_path).fetch_if_changed(None)

    assert str(caught.value) == (
        f"flexit.offers.auth.path: {REMOTE} not found on 127.0.0.1:{sftp_server.port}; "
        "check the path with the supplier (is today's export there?)"
    )


def test_wrong_password_is_an_auth_error_that_never_shows_a_password(
    sftp_server: SandboxSftpServer, tmp_path: Path
) -> None:
    put(sftp_server)
    wrong = "wrong-Secret-4711"

    with pytest.raises(SourceAuthError) as caught:
        source(sftp_server, tmp_path, password=wrong).probe()

    message = str(caught.value)
    assert message == (
        f"flexit.offers.auth: login as {SFTP_USERNAME} on 127.0.0.1:{sftp_server.port} refused; "
        "check flexit.offers.auth.username and flexit.offers.auth.password"
    )
    assert wrong not in message and wrong not in repr(caught.value)
    assert SFTP_PASSWORD not in message


def test_password_is_in_no_error_message_and_not_in_the_repr(
    sftp_server: SandboxSftpServer, tmp_path: Path
) -> None:
    feed = source(sftp_server, tmp_path, host_key=None)
    messages = [repr(feed), feed.location]
    for attempt in (feed.probe, lambda: source(sftp_server, tmp_path).probe()):
        with pytest.raises(Exception) as caught:
            attempt()
        messages.append(str(caught.value))

    assert len(messages) == 4
    assert all(SFTP_PASSWORD not in message for message in messages)


def test_closed_port_is_a_refused_connection(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    feed = SftpSource(
        host="127.0.0.1", port=port, path=REMOTE, username=SFTP_USERNAME,
        password=SFTP_PASSWORD, config_dir=tmp_path, label="flexit", timeout_seconds=5,
    )  # fmt: skip

    with pytest.raises(SourceConnectionError) as caught:
        feed.probe()

    assert str(caught.value) == (
        f"flexit.offers.auth: connection to 127.0.0.1:{port} refused; check the host and port, "
        "or ask the supplier whether the server is up"
    )


@pytest.fixture
def silent_listener() -> Iterator[int]:
    """A TCP port that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.05)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


def test_server_that_never_answers_times_out_after_the_configured_timeout(
    silent_listener: int, tmp_path: Path
) -> None:
    feed = SftpSource(
        host="127.0.0.1", port=silent_listener, path=REMOTE, username=SFTP_USERNAME,
        password=SFTP_PASSWORD, config_dir=tmp_path, label="flexit", timeout_seconds=0.3,
    )  # fmt: skip
    started = time.monotonic()

    with pytest.raises(SourceConnectionError) as caught:
        feed.probe()

    assert time.monotonic() - started < 3
    assert str(caught.value) == (
        f"flexit.offers.auth: timed out after 0.3 s connecting to 127.0.0.1:{silent_listener}; "
        "check the host, the port and the firewall"
    )


def test_unresolvable_host_name_is_not_found(tmp_path: Path) -> None:
    feed = SftpSource(
        host="sftp.flexit.invalid", path=REMOTE, username=SFTP_USERNAME,
        password=SFTP_PASSWORD, config_dir=tmp_path, label="flexit", timeout_seconds=3,
    )  # fmt: skip

    with pytest.raises(SourceNotFoundError) as caught:
        feed.probe()

    assert str(caught.value).startswith(
        "flexit.offers.auth.host: the host name sftp.flexit.invalid does not resolve ("
    )
    assert str(caught.value).endswith("); check the host name")


def test_unknown_host_key_is_refused_with_its_fingerprint_and_the_trust_command(
    sftp_server: SandboxSftpServer, tmp_path: Path
) -> None:
    put(sftp_server)

    with pytest.raises(HostKeyError) as caught:
        source(sftp_server, tmp_path, host_key=None).fetch_if_changed(None)

    assert caught.value.fingerprint == sftp_server.fingerprint
    assert str(caught.value) == (
        f"flexit.offers.auth: no host key is pinned for 127.0.0.1:{sftp_server.port} in "
        f"{tmp_path / PIN_FILE_NAME}; check the fingerprint {sftp_server.fingerprint} with the "
        "supplier, then run `irp sftp trust flexit`"
    )


def test_changed_host_key_in_config_is_refused_naming_both_fingerprints(
    sftp_server: SandboxSftpServer, tmp_path: Path
) -> None:
    old = asyncssh.generate_private_key("ssh-ed25519")
    old_line = old.export_public_key().decode().strip()

    with pytest.raises(HostKeyError) as caught:
        source(sftp_server, tmp_path, host_key=old_line).probe()

    assert caught.value.fingerprint == sftp_server.fingerprint
    assert str(caught.value) == (
        f"flexit.offers.auth.host_key: the server's key {sftp_server.fingerprint} is not the "
        f"pinned one (pinned: {old.get_fingerprint()}); if the supplier rotated it, "
        "run `irp sftp trust flexit`"
    )


def test_host_key_rotated_to_another_type_is_refused_with_the_new_fingerprint(
    sftp_root: Path, tmp_path: Path
) -> None:
    ecdsa = asyncssh.generate_private_key("ecdsa-sha2-nistp256")
    pinned_ed25519 = asyncssh.generate_private_key("ssh-ed25519")
    with SandboxSftpServer(sftp_root, password=SFTP_PASSWORD, host_key=ecdsa) as server:
        line = pinned_ed25519.export_public_key().decode().strip()
        with pytest.raises(HostKeyError) as caught:
            source(server, tmp_path, host_key=line).probe()

    assert caught.value.fingerprint == ecdsa.get_fingerprint()
    assert str(caught.value).startswith(
        f"flexit.offers.auth.host_key: the server's key {ecdsa.get_fingerprint()} is not the "
        "pinned one"
    )


def test_key_pinned_in_the_irp_known_hosts_file_is_trusted(
    sftp_server: SandboxSftpServer, tmp_path: Path
) -> None:
    put(sftp_server)
    feed = source(sftp_server, tmp_path, host_key=None)
    with pytest.raises(HostKeyError):
        feed.probe()

    write_pinned_key(
        tmp_path / PIN_FILE_NAME, "127.0.0.1", sftp_server.port, feed.server_host_key()
    )

    assert feed.fetch_if_changed(None).data == FEED


def test_changed_key_in_a_configured_known_hosts_file_names_that_file(
    sftp_server: SandboxSftpServer, tmp_path: Path
) -> None:
    other = asyncssh.generate_private_key("ssh-ed25519")
    write_pinned_key(tmp_path / "pins" / "known_hosts", "127.0.0.1", sftp_server.port, other)
    feed = source(sftp_server, tmp_path, host_key=None, known_hosts=Path("pins/known_hosts"))

    with pytest.raises(HostKeyError) as caught:
        feed.probe()

    assert str(caught.value) == (
        f"flexit.offers.auth.known_hosts: the server's key {sftp_server.fingerprint} is not the "
        f"pinned one in {tmp_path / 'pins' / 'known_hosts'} (pinned: {other.get_fingerprint()}); "
        "if the supplier rotated it, run `irp sftp trust flexit`"
    )


def test_server_host_key_is_read_without_logging_in(
    sftp_server: SandboxSftpServer, tmp_path: Path
) -> None:
    feed = source(sftp_server, tmp_path, host_key=None, password="not-the-password")

    key = feed.server_host_key()

    assert key.get_fingerprint() == sftp_server.fingerprint


def test_file_changed_during_the_download_is_waiting(
    sftp_server: SandboxSftpServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = put(sftp_server)
    real_read = SftpSource._read

    async def read_then_supplier_appends(self: SftpSource, sftp: asyncssh.SFTPClient) -> bytes:
        data = await real_read(self, sftp)
        with target.open("ab") as out:
            out.write(b"FLX-3000;2\r\n")
        return data

    monkeypatch.setattr(SftpSource, "_read", read_then_supplier_appends)

    outcome = source(sftp_server, tmp_path).fetch_if_changed(None)

    assert (outcome.kind, outcome.data, outcome.stat.size) == ("waiting", None, len(FEED) + 12)


def test_sync_methods_also_work_when_called_from_inside_an_event_loop(
    sftp_server: SandboxSftpServer, tmp_path: Path
) -> None:
    put(sftp_server)
    feed = source(sftp_server, tmp_path)

    async def handler() -> int:
        return feed.probe().size

    assert asyncio.run(handler()) == len(FEED)
