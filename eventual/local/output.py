"""What ``eventual local`` prints: one line per event, and whole lines while handlers print from
many threads at once.

``print`` writes its text and its newline separately, so two handlers printing together can
interleave into one garbled line; in Lambda each invocation has its own log stream. Here each
thread's text is held until it ends a line, and a line is written in one piece.
"""

from __future__ import annotations

import io
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from eventual.local.feed import EventRecord

PRINTED_KINDS = frozenset({"authorizer", "connect", "message", "disconnect", "fan-out"})
"""What the terminal prints a line for: every invocation of the service's code (a handler, an
authorizer, a fan-out worker's batch). A management API request is the console's only: each
``send`` would double the lines."""


def event_line(event: EventRecord) -> str:
    """``12:03:04 chat $default L0SM9cOFvHcCIhw= 200 3 ms``: time, socket, route, connection,
    status and milliseconds, as serverless-offline prints them; a fan-out batch names its
    broadcast where a connection would be, and says how many it reached."""
    line = (
        f"{time.strftime('%H:%M:%S', time.localtime(event.at))} {event.socket} {event.route} "
        f"{event.connection} {event.status} {event.ms:.0f} ms"
    )
    return f"{line} ({event.detail})" if event.kind == "fan-out" and event.detail else line


class LineWriter(io.TextIOBase):
    """Wraps a text stream: per-thread buffering up to the newline, whole lines under a lock."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._pending = threading.local()
        self._lock = threading.Lock()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._stream.encoding

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return self._stream.errors

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()

    def write(self, text: str) -> int:
        pending: str = getattr(self._pending, "text", "") + text
        lines, newline, rest = pending.rpartition("\n")
        if newline:
            with self._lock:
                self._stream.write(lines + newline)
                self._stream.flush()
        self._pending.text = rest
        return len(text)

    def flush(self) -> None:
        rest: str = getattr(self._pending, "text", "")
        self._pending.text = ""
        with self._lock:
            if rest:
                self._stream.write(rest)
            self._stream.flush()


@contextmanager
def whole_lines() -> Iterator[None]:
    """``sys.stdout`` and ``sys.stderr`` write whole lines while inside."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = LineWriter(sys.stdout), LineWriter(sys.stderr)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        sys.stdout, sys.stderr = saved
