"""A regular-expression search with a time limit, as PHP's ``pcre.backtrack_limit`` gives one.

Python's ``re`` has no backtracking limit and cannot be interrupted: ``^(a+)+$`` on
``"a" * 40 + "b"`` would run for days, holding the interpreter lock, and a supplier's
answer is hostile input. PHP's ``preg_match`` stops after a million backtracks and
returns ``false`` ("Backtrack limit exhausted"), so a Laravel ``regex:`` rule fails.

IRP mirrors that with a time limit: the search runs in a small helper process
(:mod:`irp.template.match_worker`, standard library only), and one that outlasts
:data:`MATCH_SECONDS` is killed and reported as :class:`MatchLimitError`; the rule then
fails with a message that says so. Helpers are kept and reused (one per thread that
needs one at the same time), so a search costs a pipe round trip, not a process
start; each ends by itself when IRP exits.
"""

from __future__ import annotations

import atexit
import re
import select
import struct
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Final

__all__ = ["MATCH_SECONDS", "MatchLimitError", "bounded_search"]

MATCH_SECONDS: Final = 1.0
"""How long one search may take; legitimate ones over an answer take microseconds."""

_START_SECONDS: Final = 30.0
_WORKER: Final = Path(__file__).with_name("match_worker.py")
_SIZE: Final = struct.Struct(">I")


class MatchLimitError(Exception):
    """A search outlasted its limit (or its helper died): no answer, as PHP's ``false``."""


class _Helper:
    """One helper process and its pipes."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-S", str(_WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        if self._reply(_START_SECONDS) != b"R":
            self.kill()
            raise MatchLimitError("the regular-expression helper process did not start")

    @property
    def _stdin(self) -> IO[bytes]:
        assert self.process.stdin is not None
        return self.process.stdin

    def _reply(self, seconds: float) -> bytes | None:
        """One byte of answer (empty: the helper is gone); None: none within ``seconds``."""
        stdout = self.process.stdout
        assert stdout is not None
        ready, _, _ = select.select([stdout], [], [], seconds)
        return stdout.read(1) if ready else None

    def search(self, pattern: re.Pattern[str] | re.Pattern[bytes], subject: bytes) -> bool:
        source = pattern.pattern
        kind, text = (b"s", source.encode("utf-8")) if isinstance(source, str) else (b"b", source)
        frame = b"".join(
            (kind, _SIZE.pack(pattern.flags), _SIZE.pack(len(text)), text),
        )
        try:
            self._stdin.write(frame + _SIZE.pack(len(subject)) + subject)
            self._stdin.flush()
        except OSError:
            raise MatchLimitError("the regular-expression helper process died") from None
        answer = self._reply(MATCH_SECONDS)
        if answer is None:
            raise MatchLimitError(f"the search took longer than {MATCH_SECONDS:g} s")
        if answer not in (b"0", b"1"):
            raise MatchLimitError("the regular-expression helper process died")
        return answer == b"1"

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()

    def close(self) -> None:
        try:
            self._stdin.close()  # the helper ends on end of input
            self.process.wait(timeout=1)
        except (OSError, subprocess.TimeoutExpired):
            self.kill()
        else:
            if self.process.stdout is not None:
                self.process.stdout.close()


_idle: list[_Helper] = []
_lock = threading.Lock()


def bounded_search(pattern: re.Pattern[str] | re.Pattern[bytes], subject: str | bytes) -> bool:
    """Whether ``pattern`` matches somewhere in ``subject``; MatchLimitError past the limit.

    ``subject`` is of the pattern's kind (text for a str pattern, bytes for a bytes one)
    and, as text, valid Unicode.
    """
    data = subject.encode("utf-8") if isinstance(subject, str) else subject
    with _lock:
        helper = _idle.pop() if _idle else None
    if helper is None:
        helper = _Helper()
    try:
        found = helper.search(pattern, data)
    except MatchLimitError:
        helper.kill()
        raise
    except BaseException:
        helper.kill()  # the pipe may hold half a request
        raise
    with _lock:
        _idle.append(helper)
    return found


@atexit.register
def _close_helpers() -> None:
    with _lock:
        helpers, _idle[:] = list(_idle), []
    for helper in helpers:
        helper.close()
