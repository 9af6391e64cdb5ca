"""Where a socket was declared: the user's file and line, for error messages and hot reload."""

from __future__ import annotations

import os
import sys

from eventual.records import Record, init_fields


class Location(Record):
    """Where a socket was declared, for error messages."""

    __slots__ = ("filename", "lineno", "module")
    _compared = ("module", "filename", "lineno")

    module: str
    filename: str
    lineno: int

    def __init__(self, module: str, filename: str, lineno: int) -> None:
        init_fields(self, module=module, filename=filename, lineno=lineno)

    def __str__(self) -> str:
        return f"{self.filename}:{self.lineno}"


def caller_location() -> Location | None:
    """The first frame outside this package: where the user declared the socket."""
    package_dir = os.path.dirname(__file__)
    frame = sys._getframe(1)
    while frame is not None and os.path.dirname(frame.f_code.co_filename) == package_dir:
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return None
    return Location(
        module=str(frame.f_globals.get("__name__", "")),
        filename=frame.f_code.co_filename,
        lineno=frame.f_lineno,
    )
