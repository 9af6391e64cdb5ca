"""HTTP/1.1 answers of the dev server: what a route returns, and how h11 puts it on the wire.

Parsing and framing are h11's (https://h11.readthedocs.io); this module only says what an answer
holds. One port serves WebSocket upgrades, the management API and the service's web page.
"""

from __future__ import annotations

import asyncio
import http
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

import h11

MAX_HEAD_BYTES = 64 * 1024
MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Request:
    """One request, its body read whole (the management API's bodies are at most 128 KB)."""

    method: str
    path: str
    """Still percent-encoded: split it on ``/`` before decoding a segment."""
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""
    client: str = ""
    """The peer's IP address."""
    target: str = ""
    """The request target as sent (``/path?query``)."""
    http_version: str = "1.1"

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None

    @property
    def is_websocket_upgrade(self) -> bool:
        return (self.header("Upgrade") or "").lower() == "websocket"


@dataclass(frozen=True, slots=True)
class Reply:
    """A whole HTTP response; ``close`` ends the TCP connection after it."""

    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = field(default=())
    close: bool = False


@dataclass(frozen=True, slots=True)
class Later:
    """An answer that waits for work off the loop (the console's actions run on a worker thread):
    the connection reads nothing more until it is sent."""

    answer: Coroutine[Any, Any, Reply]


@dataclass(frozen=True, slots=True)
class Stream:
    """An answer that is a stream: ``start`` takes the connection over, with the h11 state that
    read the request (the console's live feed)."""

    start: Callable[[asyncio.Transport, h11.Connection], None]


def response(
    status: int,
    body: bytes = b"",
    *,
    content_type: str = "text/plain; charset=utf-8",
    headers: Iterable[tuple[str, str]] = (),
    keep_alive: bool = True,
) -> Reply:
    return Reply(status, body, content_type, tuple(headers), close=not keep_alive)


def request_of(event: h11.Request, body: bytes, client: str = "") -> Request:
    target = event.target.decode("latin-1")
    path, _, query = target.partition("?")
    headers = tuple(
        (name.decode("latin-1"), value.decode("latin-1")) for name, value in event.headers.raw_items()
    )
    version = event.http_version.decode("latin-1")
    return Request(event.method.decode("latin-1"), path, query, headers, body, client, target, version)


def h11_events(reply: Reply, method: str) -> list[h11.Request | h11.Response | h11.Data | h11.EndOfMessage]:
    """The h11 events that send ``reply`` to a ``method`` request.

    A ``HEAD`` answer carries the headers a ``GET`` would, and no body (RFC 9110, 9.3.2).
    """
    headers = [
        ("Date", formatdate(usegmt=True)),
        ("Server", "eventual-local"),
        *reply.headers,
    ]
    if reply.status not in (204, 304) and reply.status >= 200:
        headers.append(("Content-Length", str(len(reply.body))))
    if reply.body:
        headers.append(("Content-Type", reply.content_type))
    if reply.close:
        headers.append(("Connection", "close"))
    events: list[h11.Request | h11.Response | h11.Data | h11.EndOfMessage] = [
        h11.Response(status_code=reply.status, headers=headers, reason=reason_phrase(reply.status).encode())
    ]
    if reply.body and method != "HEAD":
        events.append(h11.Data(data=reply.body))
    events.append(h11.EndOfMessage())
    return events


def reason_phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:  # a handler may answer with any valid code, as it may in the cloud
        return "Unknown"
