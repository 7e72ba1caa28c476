"""HttpSource against a real HTTP server (stdlib http.server) on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from irp.errors import SourceAuthError, SourceConnectionError, SourceNotFoundError
from irp.sources import HttpSource, RemoteStat

FEED = b"sku,stock\nFLX-1001,3\n"
MODIFIED = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
API_KEY = "feed-Api-Key-31337"


class FeedHandler(BaseHTTPRequestHandler):
    """/feed.csv needs X-Api-Key and honours If-Modified-Since; /static.csv ignores it;
    /plain sends neither Content-Length nor Last-Modified."""

    requests: ClassVar[list[dict[str, str]]] = []

    def do_GET(self) -> None:
        FeedHandler.requests.append(dict(self.headers))
        if self.path.startswith("/moved"):
            self._redirect("/feed.csv")
        elif self.path.startswith("/away?to="):
            self._redirect(self.path.removeprefix("/away?to="))
        elif self.path.startswith("/plain"):
            self._send(200, FEED, chunked=True)
        elif self.path.startswith("/static.csv"):
            self._send(200, FEED, last_modified=MODIFIED)
        elif not self.path.startswith("/feed.csv"):
            self._send(404, b"not here")
        elif self.headers.get("X-Api-Key") != API_KEY:
            self._send(401, b"no")
        elif (since := self.headers.get("If-Modified-Since")) and parsedate_to_datetime(
            since
        ) >= MODIFIED:
            self._send(304, b"")
        else:
            self._send(200, FEED, last_modified=MODIFIED)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(
        self,
        status: int,
        body: bytes,
        *,
        last_modified: datetime | None = None,
        chunked: bool = False,
    ) -> None:
        self.send_response(status)
        if last_modified is not None:
            self.send_header("Last-Modified", format_datetime(last_modified, usegmt=True))
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
            return
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


def serve() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FeedHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join()
    server.server_close()


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    yield from serve()


@pytest.fixture(scope="module")
def other_origin() -> Iterator[str]:
    yield from serve()


def feed(url: str, **options: object) -> HttpSource:
    return HttpSource(url, headers={"X-Api-Key": API_KEY}, label="acme", **options)  # type: ignore[arg-type]


def test_fetch_returns_the_body_with_size_and_last_modified(base_url: str) -> None:
    outcome = feed(f"{base_url}/feed.csv").fetch_if_changed(None)

    assert (outcome.kind, outcome.data) == ("fetched", FEED)
    assert outcome.stat == RemoteStat(size=len(FEED), mtime=MODIFIED)
    assert FeedHandler.requests[-1]["X-Api-Key"] == API_KEY


def test_conditional_request_answered_304_is_unchanged(base_url: str) -> None:
    last_good = RemoteStat(size=len(FEED), mtime=MODIFIED)

    outcome = feed(f"{base_url}/feed.csv").fetch_if_changed(last_good)

    assert (outcome.kind, outcome.data, outcome.stat) == ("unchanged", None, last_good)
    assert FeedHandler.requests[-1]["If-Modified-Since"] == "Fri, 27 Nov 2026 03:00:00 GMT"


def test_same_size_and_last_modified_on_a_200_is_unchanged(base_url: str) -> None:
    source = feed(f"{base_url}/static.csv")

    same = source.fetch_if_changed(RemoteStat(len(FEED), MODIFIED))
    newer = source.fetch_if_changed(RemoteStat(len(FEED), datetime(2026, 11, 26, tzinfo=UTC)))

    assert (same.kind, same.data, same.stat) == ("unchanged", None, RemoteStat(len(FEED), MODIFIED))
    assert (newer.kind, newer.data) == ("fetched", FEED)


def test_server_without_validators_gives_size_and_no_mtime(base_url: str) -> None:
    source = feed(f"{base_url}/plain")

    assert source.probe() == RemoteStat(size=len(FEED), mtime=None)
    assert source.fetch_if_changed(RemoteStat(len(FEED), None)).data == FEED


def test_probe_reads_headers(base_url: str) -> None:
    assert feed(f"{base_url}/feed.csv").probe() == RemoteStat(len(FEED), MODIFIED)


def test_missing_url_is_not_found(base_url: str) -> None:
    with pytest.raises(SourceNotFoundError) as caught:
        feed(f"{base_url}/gone.csv?token=abc").probe()

    assert str(caught.value) == (
        f"acme.offers.auth.url: {base_url}/gone.csv answered HTTP 404; check the URL"
    )


def test_refused_api_key_is_an_auth_error_without_the_key(base_url: str) -> None:
    with pytest.raises(SourceAuthError) as caught:
        HttpSource(f"{base_url}/feed.csv", headers={"X-Api-Key": "wrong-k3y"}, label="acme").probe()

    assert str(caught.value) == (
        f"acme.offers.auth: {base_url}/feed.csv answered HTTP 401; check acme.offers.auth.headers"
    )
    assert "wrong-k3y" not in str(caught.value)


def test_closed_port_is_a_refused_connection_naming_host_and_port() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with pytest.raises(SourceConnectionError) as caught:
        feed(f"http://127.0.0.1:{port}/feed.csv").probe()

    assert str(caught.value) == (
        f"acme.offers.auth: connection to 127.0.0.1:{port} refused; check the URL's host and "
        "port, or ask the supplier whether the server is up"
    )


def test_server_that_never_answers_times_out(tmp_path: object) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    try:
        with pytest.raises(SourceConnectionError) as caught:
            feed(f"http://127.0.0.1:{port}/feed.csv", timeout_seconds=0.2).probe()
    finally:
        listener.close()

    assert str(caught.value) == (
        f"acme.offers.auth: timed out after 0.2 s reading http://127.0.0.1:{port}/feed.csv"
    )


def test_unresolvable_host_is_not_found() -> None:
    with pytest.raises(SourceNotFoundError) as caught:
        feed("http://feeds.acme.invalid/feed.csv", timeout_seconds=3).probe()

    assert str(caught.value) == (
        "acme.offers.auth.url: the host name feeds.acme.invalid does not resolve; check the URL"
    )


def test_same_origin_redirect_is_followed_with_the_headers(base_url: str) -> None:
    outcome = feed(f"{base_url}/moved").fetch_if_changed(None)

    assert (outcome.kind, outcome.data) == ("fetched", FEED)
    assert FeedHandler.requests[-1]["X-Api-Key"] == API_KEY


def test_redirect_to_another_origin_does_not_carry_the_api_key(
    base_url: str, other_origin: str
) -> None:
    with pytest.raises(SourceAuthError):
        feed(f"{base_url}/away?to={other_origin}/feed.csv").probe()

    assert "X-Api-Key" not in FeedHandler.requests[-1]
    assert FeedHandler.requests[-2]["X-Api-Key"] == API_KEY
