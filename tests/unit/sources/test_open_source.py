"""open_source builds the source an offers config describes (with simple stand-ins)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from irp.errors import ConfigError
from irp.sources import HttpSource, LocalFileSource, SftpSource, open_source


@dataclass
class Secret:
    value: str

    def get_secret_value(self) -> str:
        return self.value


@dataclass
class SftpAuth:
    host: str = "sftp.flexitdistribution.com"
    path: str = "Outbound/FlexIT_Feed.csv"
    username: str = "xmlorder_218535"
    password: Secret = field(default_factory=lambda: Secret("pw-123456"))
    port: int = 22
    host_key: str | None = None
    known_hosts: Path | None = None


@dataclass
class HttpAuth:
    url: str = "https://feeds.example/flexit.csv?token=t0k3n"
    headers: dict[str, Secret] = field(default_factory=lambda: {"X-Api-Key": Secret("k3y")})


@dataclass
class FileAuth:
    path: Path = Path("feeds/flexit.csv")


@dataclass
class Offers:
    connection: str
    auth: object
    settle_seconds: float = 2.0
    timeout_seconds: float = 30.0


def test_sftp_config_gives_an_sftp_source_with_its_settings(tmp_path: Path) -> None:
    auth = SftpAuth(port=2222, known_hosts=Path("pins"))
    source = open_source(Offers("sftp", auth, 0.5, 7.0), config_dir=tmp_path, label="flexit")

    assert isinstance(source, SftpSource)
    assert (
        source.location
        == "sftp://xmlorder_218535@sftp.flexitdistribution.com:2222/Outbound/FlexIT_Feed.csv"
    )
    assert (source.settle_seconds, source.timeout_seconds) == (0.5, 7.0)
    assert (source.known_hosts, source.config_dir, source.label) == (
        Path("pins"),
        tmp_path,
        "flexit",
    )
    assert "pw-123456" not in repr(source)


def test_settle_seconds_can_be_overridden(tmp_path: Path) -> None:
    source = open_source(Offers("sftp", SftpAuth()), config_dir=tmp_path, settle_seconds=0.1)

    assert isinstance(source, SftpSource)
    assert source.settle_seconds == 0.1


def test_http_location_hides_the_query_string_that_may_hold_a_token(tmp_path: Path) -> None:
    source = open_source(Offers("http", HttpAuth()), config_dir=tmp_path)

    assert isinstance(source, HttpSource)
    assert source.location == "https://feeds.example/flexit.csv"
    assert "k3y" not in repr(source) and "t0k3n" not in repr(source)


def test_file_path_is_relative_to_the_config_folder(tmp_path: Path) -> None:
    source = open_source(Offers("file", FileAuth(), 0.0), config_dir=tmp_path)

    assert isinstance(source, LocalFileSource)
    assert source.path == tmp_path / "feeds" / "flexit.csv"


def test_unknown_connection_is_a_config_error_with_its_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        open_source(Offers("ftp", FileAuth()), config_dir=tmp_path, label="flexit")

    assert str(caught.value) == (
        "flexit.offers.connection: expected 'sftp', 'http' or 'file', got 'ftp'"
    )
