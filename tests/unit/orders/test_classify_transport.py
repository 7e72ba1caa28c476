"""Transport failures, produced by real loopback sockets, land in the right class.

The crux: only a request whose body was completely written can have been acted on.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

import httpx
import pytest

from irp.errors import FatalSupplierError, RetriableSupplierError
from irp.orders.classify import Outcome, classify_exception
from irp.orders.sender import SendProgress

Behaviour = Callable[[socket.socket], None]


@contextmanager
def raw_server(behaviour: Behaviour) -> Iterator[int]:
    """A one-connection TCP server on 127.0.0.1 running ``behaviour`` on the socket."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]

    def serve() -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn, suppress(OSError):
            behaviour(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        listener.close()
        thread.join(timeout=5)


def read_request(conn: socket.socket) -> bytes:
    """Read one whole request (headers + Content-Length body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def reset(conn: socket.socket) -> None:
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def post(url: str, body: bytes = b'{"a":1}', **timeouts: float) -> tuple[Exception, SendProgress]:
    progress = SendProgress()
    timeout = httpx.Timeout(timeouts.pop("default", 2.0), **timeouts)
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        try:
            client.post(url, content=body, extensions={"trace": progress.trace})
        except Exception as exc:
            return exc, progress
    raise AssertionError("the request was expected to fail")


def test_connection_refused_is_retried() -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens on this port now
    exc, progress = post(f"http://127.0.0.1:{port}/order")
    assert isinstance(exc, httpx.ConnectError)
    result = classify_exception(exc, request_sent=progress.request_sent)
    assert result.outcome is Outcome.RETRY
    assert result.reason.startswith("could not connect (ConnectError:")
    assert result.reason.endswith("the order was not sent")


def test_unknown_host_name_is_retried() -> None:
    exc, progress = post("http://irp-no-such-host.invalid/order")
    assert isinstance(exc, httpx.ConnectError)
    assert classify_exception(exc, request_sent=progress.request_sent).outcome is Outcome.RETRY


def test_tls_handshake_failure_is_retried() -> None:
    def plain_http(conn: socket.socket) -> None:
        conn.recv(4096)  # the TLS ClientHello
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    with raw_server(plain_http) as port:
        exc, progress = post(f"https://127.0.0.1:{port}/order")
    assert isinstance(exc, httpx.ConnectError)
    assert progress.request_sent is False
    assert classify_exception(exc, request_sent=progress.request_sent).outcome is Outcome.RETRY


def test_reset_before_the_body_was_fully_sent_is_retried() -> None:
    def reset_after_headers(conn: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(4096)
        reset(conn)

    big_body = b"x" * (32 * 1024 * 1024)  # far more than the socket buffers hold
    with raw_server(reset_after_headers) as port:
        exc, progress = post(f"http://127.0.0.1:{port}/order", big_body)
    # httpcore swallows the write error and reports the read that follows.
    assert isinstance(exc, httpx.ReadError | httpx.RemoteProtocolError | httpx.WriteError)
    assert progress.request_sent is False
    result = classify_exception(exc, request_sent=progress.request_sent)
    assert result.outcome is Outcome.RETRY
    assert result.reason == (
        f"the connection failed before the order was fully sent ({type(exc).__name__}: "
        f"{exc}); it will be sent again"
    )


def test_write_timeout_before_the_body_was_fully_sent_is_retried() -> None:
    client_gave_up = threading.Event()

    def never_read(conn: socket.socket) -> None:
        client_gave_up.wait(60)  # silent until the client's write timeout fired

    big_body = b"x" * (64 * 1024 * 1024)
    with raw_server(never_read) as port:
        exc, progress = post(f"http://127.0.0.1:{port}/order", big_body, write=0.3)
        client_gave_up.set()
    assert isinstance(exc, httpx.WriteTimeout)
    assert progress.request_sent is False
    assert classify_exception(exc, request_sent=progress.request_sent).outcome is Outcome.RETRY


def test_read_timeout_after_the_request_was_sent_is_uncertain() -> None:
    client_gave_up = threading.Event()

    def read_then_silence(conn: socket.socket) -> None:
        read_request(conn)
        client_gave_up.wait(60)  # silent until the client's read timeout fired

    with raw_server(read_then_silence) as port:
        exc, progress = post(f"http://127.0.0.1:{port}/order", read=0.3)
        client_gave_up.set()
    assert isinstance(exc, httpx.ReadTimeout)
    assert progress.request_sent is True
    result = classify_exception(exc, request_sent=progress.request_sent)
    assert result.outcome is Outcome.UNCERTAIN
    assert result.reason == (
        "no answer within the read timeout after the order was sent (ReadTimeout: timed "
        "out); the refurbisher may have the order"
    )


def test_reset_while_waiting_for_the_answer_is_uncertain() -> None:
    def read_then_reset(conn: socket.socket) -> None:
        read_request(conn)
        reset(conn)

    with raw_server(read_then_reset) as port:
        exc, progress = post(f"http://127.0.0.1:{port}/order")
    assert isinstance(exc, httpx.ReadError | httpx.RemoteProtocolError)
    assert progress.request_sent is True
    result = classify_exception(exc, request_sent=progress.request_sent)
    assert result.outcome is Outcome.UNCERTAIN
    assert result.reason == (
        f"the connection was lost while waiting for the answer ({type(exc).__name__}: "
        f"{exc}); the refurbisher may have the order"
    )


def test_server_closing_without_an_answer_is_uncertain() -> None:
    def read_then_close(conn: socket.socket) -> None:
        read_request(conn)
        conn.shutdown(socket.SHUT_RDWR)

    with raw_server(read_then_close) as port:
        exc, progress = post(f"http://127.0.0.1:{port}/order")
    assert isinstance(exc, httpx.RemoteProtocolError)
    assert classify_exception(exc, request_sent=progress.request_sent).outcome is Outcome.UNCERTAIN


def test_answer_cut_off_mid_body_is_uncertain() -> None:
    def half_answer(conn: socket.socket) -> None:
        read_request(conn)
        conn.sendall(b'HTTP/1.1 201 Created\r\nContent-Length: 100\r\n\r\n{"OrderNu')
        reset(conn)

    with raw_server(half_answer) as port:
        exc, progress = post(f"http://127.0.0.1:{port}/order")
    assert isinstance(exc, httpx.ReadError | httpx.RemoteProtocolError)
    assert classify_exception(exc, request_sent=progress.request_sent).outcome is Outcome.UNCERTAIN


def test_connect_timeout_is_retried() -> None:
    exc = httpx.ConnectTimeout("timed out")
    assert classify_exception(exc, request_sent=False).outcome is Outcome.RETRY


@pytest.mark.parametrize("sent", [False, True])
def test_token_endpoint_errors_keep_their_class(sent: bool) -> None:
    error = RetriableSupplierError("token 503", retry_after=7.0)
    busy = classify_exception(error, request_sent=sent)
    assert (busy.outcome, busy.retry_after, busy.reason) == (Outcome.RETRY, 7.0, "token 503")
    refused = classify_exception(FatalSupplierError("token 401"), request_sent=sent)
    assert (refused.outcome, refused.reason) == (Outcome.MISCONFIGURED, "token 401")
