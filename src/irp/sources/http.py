"""The HTTP feed source (httpx): GET a URL, with headers (tokens) from the config.

An HTTP server hands out a whole response, so there is no settle pause; ``unchanged``
comes from a conditional request (``If-Modified-Since`` -> 304) or from a 200 whose
``Content-Length`` and ``Last-Modified`` equal the last good sync's, checked before the
body is read. ``mtime`` is ``Last-Modified`` where the server sends it, else None.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

import httpx

from irp.errors import (
    SourceAuthError,
    SourceConnectionError,
    SourceError,
    SourceNotFoundError,
)
from irp.sources.base import FetchOutcome, RemoteStat, auth_prefix

_MAX_REDIRECTS = 5


class HttpSource:
    """A feed at an HTTP(S) URL. Header values are secrets and never appear in messages."""

    def __init__(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        label: str | None = None,
        timeout_seconds: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url
        self._headers = dict(headers or {})
        self.label = label
        self.timeout_seconds = timeout_seconds
        self._transport = transport

    def __repr__(self) -> str:
        return f"HttpSource({self.location!r})"

    @property
    def location(self) -> str:
        """The URL without query string or user info (either may carry a token)."""
        url = httpx.URL(self.url)
        return str(url.copy_with(query=None, fragment=None, userinfo=b""))

    def probe(self) -> RemoteStat:
        """GET the URL and read its headers (the body only when it has no Content-Length)."""
        with self._get({}) as response:
            size = _content_length(response)
            if size is None:
                size = len(response.read())
            return RemoteStat(size=size, mtime=_last_modified(response))

    def fetch_if_changed(self, last_good: RemoteStat | None) -> FetchOutcome:
        """Download unless the server says (304) or shows (size + mtime) it is unchanged."""
        conditional: dict[str, str] = {}
        if last_good is not None and last_good.mtime is not None:
            conditional["If-Modified-Since"] = format_datetime(last_good.mtime, usegmt=True)
        with self._get(conditional) as response:
            if response.status_code == 304 and last_good is not None:
                return FetchOutcome("unchanged", None, last_good)
            mtime = _last_modified(response)
            size = _content_length(response)
            if size is not None and mtime is not None:
                announced = RemoteStat(size=size, mtime=mtime)
                if announced == last_good:
                    return FetchOutcome("unchanged", None, announced)
            try:
                data = response.read()
            except httpx.HTTPError as exc:
                raise self._convert(exc) from exc
            return FetchOutcome("fetched", data, RemoteStat(size=len(data), mtime=mtime))

    @contextmanager
    def _get(self, extra_headers: dict[str, str]) -> Iterator[httpx.Response]:
        """GET the URL, following redirects; configured headers only go to the same origin.

        httpx itself would forward custom headers (an ``X-Api-Key``) to whatever host a
        redirect names, so redirects are followed here instead.
        """
        client = httpx.Client(timeout=self.timeout_seconds, transport=self._transport)
        with client:
            try:
                url = httpx.URL(self.url)
                headers = {**self._headers, **extra_headers}
                response = client.send(
                    client.build_request("GET", url, headers=headers), stream=True
                )
                for _ in range(_MAX_REDIRECTS):
                    if not response.is_redirect or response.next_request is None:
                        break
                    response.close()
                    target = response.next_request.url
                    if _origin(target) != _origin(url):
                        headers = dict(extra_headers)
                    url = target
                    response = client.send(
                        client.build_request("GET", url, headers=headers), stream=True
                    )
                try:
                    self._check_status(response)
                    yield response
                finally:
                    response.close()
            except httpx.HTTPError as exc:
                raise self._convert(exc) from exc

    def _check_status(self, response: httpx.Response) -> None:
        status = response.status_code
        if status < 300 or status == 304:
            return
        prefix = auth_prefix(self.label)
        if status in (401, 403):
            raise SourceAuthError(
                f"{prefix}: {self.location} answered HTTP {status}; check {prefix}.headers"
            )
        if status in (404, 410):
            raise SourceNotFoundError(
                f"{prefix}.url: {self.location} answered HTTP {status}; check the URL"
            )
        raise SourceConnectionError(f"{prefix}: {self.location} answered HTTP {status}")

    def _convert(self, exc: httpx.HTTPError) -> SourceError:
        prefix = auth_prefix(self.label)
        url = httpx.URL(self.url)
        host = url.host
        where = f"{host}:{url.port or _DEFAULT_PORTS.get(url.scheme, 443)}"
        if isinstance(exc, httpx.ConnectTimeout):
            return SourceConnectionError(
                f"{prefix}: timed out after {self.timeout_seconds:g} s connecting to {where}"
            )
        if isinstance(exc, httpx.TimeoutException):
            return SourceConnectionError(
                f"{prefix}: timed out after {self.timeout_seconds:g} s reading {self.location}"
            )
        if isinstance(exc, httpx.ConnectError):
            if _caused_by(exc, socket.gaierror):
                return SourceNotFoundError(
                    f"{prefix}.url: the host name {host} does not resolve; check the URL"
                )
            if _caused_by(exc, ConnectionRefusedError):
                return SourceConnectionError(
                    f"{prefix}: connection to {where} refused; check the URL's host and port, "
                    "or ask the supplier whether the server is up"
                )
        return SourceConnectionError(
            f"{prefix}: reading {self.location} failed: {type(exc).__name__}"
        )


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port)


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _content_length(response: httpx.Response) -> int | None:
    value = response.headers.get("Content-Length")
    if value is None or "Content-Encoding" in response.headers:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _last_modified(response: httpx.Response) -> datetime | None:
    value = response.headers.get("Last-Modified")
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
