"""How much of an outside answer IRP reads: at most :data:`MAX_ANSWER_BYTES` of a body.

httpx reads a whole body into memory, however large. A refurbisher's order, lookup or
shipment-poll API, an OAuth2 token endpoint, Odoo: each is outside input, and a
gigabyte answer (or a few megabytes of gzip that expand to gigabytes) must not take
the service's memory. :class:`CappedTransport` wraps the real transport:

- it asks for uncompressed answers (``Accept-Encoding: identity``), so the bytes
  counted are the bytes kept;
- a ``Content-Length`` over the limit is refused before the body is read;
- the body is counted as it streams in, and refused at the first byte past the limit;
- an answer compressed all the same (``gzip``/``deflate``) is expanded here, the
  expanded size counted against the limit; any other encoding is refused.

A refused answer raises :class:`~irp.errors.AnswerTooLargeError` from the read (an
:class:`~irp.errors.UncertainDeliveryError`: for an order request, the refurbisher may
have taken the order, so it is looked up, never resent blindly). The connection is
closed, never reused.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Final

import httpx

from irp.errors import AnswerTooLargeError

__all__ = ["MAX_ANSWER_BYTES", "CappedTransport", "size_text"]

MAX_ANSWER_BYTES: Final = 10 * 1024 * 1024
"""10 MB: far more than any order, lookup, shipment or Odoo answer; bounded memory."""

_EXPANDED: Final = frozenset({"gzip", "x-gzip", "deflate"})  # zlib reads each header
_CHUNK: Final = 64 * 1024


def size_text(size: int) -> str:
    """``10485760`` -> ``"10 MB"`` (MiB, as the limit is written)."""
    return f"{size / (1024 * 1024):g} MB"


class CappedTransport(httpx.BaseTransport):
    """An httpx transport whose answers are read only up to ``limit`` bytes."""

    def __init__(self, inner: httpx.BaseTransport, *, limit: int = MAX_ANSWER_BYTES) -> None:
        self._inner = inner
        self._limit = limit

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.headers["Accept-Encoding"] = "identity"
        response = self._inner.handle_request(request)
        status = response.status_code
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        declared = response.headers.get("Content-Length", "")
        problem = None
        if declared.isascii() and declared.isdigit() and int(declared) > self._limit:
            problem = _too_large(status, f"declares {int(declared)} bytes", self._limit)
        elif encoding not in ("identity", "", *_EXPANDED):
            problem = AnswerTooLargeError(
                f"the answer (HTTP {status}) is compressed as {encoding!r}, although IRP asked "
                "for none and expands only gzip and deflate, so what it said is unknown"
            )
        if problem is not None:
            response.close()
            raise problem
        headers = httpx.Headers(response.headers)
        if encoding in _EXPANDED:  # expanded here, counted as expanded
            del headers["Content-Encoding"]
            headers.pop("Content-Length", None)
        stream = _CappedStream(response.stream, status, encoding, self._limit)
        return httpx.Response(
            status, headers=headers, stream=stream, extensions=response.extensions
        )

    def close(self) -> None:
        self._inner.close()


class _CappedStream(httpx.SyncByteStream):
    """The body as it streams in, expanded if compressed, refused past ``limit``."""

    def __init__(self, inner: object, status: int, encoding: str, limit: int) -> None:
        assert isinstance(inner, httpx.SyncByteStream)
        self._inner = inner
        self._status = status
        self._limit = limit
        self._expander = zlib.decompressobj(zlib.MAX_WBITS | 32) if encoding in _EXPANDED else None

    def __iter__(self) -> Iterator[bytes]:
        size = 0
        for raw in self._inner:
            for chunk in self._expand(raw):
                size += len(chunk)
                if size > self._limit:
                    self._inner.close()
                    raise _too_large(self._status, "is larger", self._limit)
                yield chunk
        if self._expander is not None:
            rest = self._expander.flush()
            if size + len(rest) > self._limit:
                raise _too_large(self._status, "is larger", self._limit)
            if rest:
                yield rest

    def _expand(self, raw: bytes) -> Iterator[bytes]:
        if self._expander is None:
            yield raw
            return
        data = raw
        try:
            while data:  # never more than a chunk at a time, however well it compresses
                yield self._expander.decompress(data, _CHUNK)
                data = self._expander.unconsumed_tail
        except zlib.error as exc:
            raise httpx.DecodingError(f"the compressed answer is damaged: {exc}") from None

    def close(self) -> None:
        self._inner.close()


def _too_large(status: int, problem: str, limit: int) -> AnswerTooLargeError:
    return AnswerTooLargeError(
        f"the answer (HTTP {status}) {problem}: IRP reads at most {size_text(limit)} of an "
        "answer, so what it said is unknown"
    )
