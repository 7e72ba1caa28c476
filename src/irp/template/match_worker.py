"""The helper process behind :mod:`irp.template.bounded_match`: runs ``re`` searches.

Started as a script (``python -I -S match_worker.py``), so it imports the standard
library only, never IRP. It says ``R`` once it is ready, then answers each request on
stdin with one byte on stdout: ``1`` found, ``0`` not found. A request is

    kind (1 byte: ``s`` str pattern, ``b`` bytes pattern), flags (4 bytes),
    pattern length (4 bytes), pattern (UTF-8), subject length (4 bytes), subject (UTF-8)

lengths and flags big-endian. The parent kills it when a search outlasts the limit;
it ends by itself when its stdin closes (the parent is gone).
"""

from __future__ import annotations

import re
import struct
import sys
from functools import lru_cache
from typing import BinaryIO

_SIZE = struct.Struct(">I")


@lru_cache(maxsize=256)
def _compiled(kind: bytes, flags: int, pattern: bytes) -> re.Pattern[str] | re.Pattern[bytes]:
    if kind == b"s":
        return re.compile(pattern.decode("utf-8"), flags)
    return re.compile(pattern, flags)


def _exactly(stream: BinaryIO, size: int) -> bytes | None:
    data = stream.read(size)
    return data if len(data) == size else None


def serve(requests: BinaryIO, answers: BinaryIO) -> None:
    """Answer requests until ``requests`` ends."""
    answers.write(b"R")
    answers.flush()
    while True:
        head = _exactly(requests, 1 + 4 + 4)
        if head is None:
            return
        kind, (flags,), (pattern_size,) = head[:1], _SIZE.unpack(head[1:5]), _SIZE.unpack(head[5:])
        pattern = _exactly(requests, pattern_size)
        size = _exactly(requests, 4)
        if pattern is None or size is None:
            return
        subject = _exactly(requests, _SIZE.unpack(size)[0])
        if subject is None:
            return
        compiled = _compiled(kind, flags, pattern)
        if isinstance(compiled.pattern, str):
            found = compiled.search(subject.decode("utf-8")) is not None
        else:
            found = compiled.search(subject) is not None
        answers.write(b"1" if found else b"0")
        answers.flush()


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
