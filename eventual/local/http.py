"""Just enough HTTP/1.1 for the dev server: request heads, bodies by Content-Length, responses.

One port serves WebSocket upgrades, the management API (whose POST carries a body, which
WebSocket libraries' handshake parsers refuse) and the example's static page.
"""

from __future__ import annotations

import http
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import formatdate

MAX_HEAD_BYTES = 64 * 1024
MAX_BODY_BYTES = 1024 * 1024


class HttpError(Exception):
    """A request the server answers with ``status`` and closes the connection."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class HttpRequest:
    method: str
    path: str
    """Still percent-encoded: split it on ``/`` before decoding a segment."""
    query: str
    version: str
    headers: tuple[tuple[str, str], ...]
    head: bytes
    """The request head as received, for the WebSocket handshake to parse again."""

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None

    @property
    def is_websocket_upgrade(self) -> bool:
        return (self.header("Upgrade") or "").lower() == "websocket"

    @property
    def keep_alive(self) -> bool:
        connection = (self.header("Connection") or "").lower()
        if self.version == "HTTP/1.0":
            return "keep-alive" in connection
        return "close" not in connection


class HttpReader:
    """Reads requests off one blocking socket, keeping what it over-read for the next."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = bytearray()

    def read_request(self) -> HttpRequest | None:
        """The next request's head; ``None`` when the client closed between requests."""
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end >= 0:
                head = bytes(self.buffer[: end + 4])
                del self.buffer[: end + 4]
                return parse_head(head)
            if len(self.buffer) > MAX_HEAD_BYTES:
                raise HttpError(431, "request head too large")
            data = self.sock.recv(65536)
            if not data:
                if self.buffer:
                    raise HttpError(400, "connection closed inside a request head")
                return None
            self.buffer += data

    def read_body(self, request: HttpRequest) -> bytes:
        if request.header("Transfer-Encoding"):
            raise HttpError(411, "send the body with Content-Length")
        raw = request.header("Content-Length") or "0"
        if not raw.isdigit():
            raise HttpError(400, f"invalid Content-Length {raw!r}")
        length = int(raw)
        if length > MAX_BODY_BYTES:
            raise HttpError(413, f"request body over {MAX_BODY_BYTES} bytes")
        if (request.header("Expect") or "").lower() == "100-continue" and len(self.buffer) < length:
            self.sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")  # curl asks before a large body
        while len(self.buffer) < length:
            data = self.sock.recv(65536)
            if not data:
                raise HttpError(400, "connection closed inside a request body")
            self.buffer += data
        body = bytes(self.buffer[:length])
        del self.buffer[:length]
        return body

    def take_buffer(self) -> bytes:
        """What was read past the last request (a WebSocket client's first frames)."""
        data = bytes(self.buffer)
        self.buffer.clear()
        return data


def parse_head(head: bytes) -> HttpRequest:
    try:
        text = head.decode("latin-1")
        request_line, *lines = text[:-4].split("\r\n")
        method, target, version = request_line.split(" ")
    except ValueError:
        raise HttpError(400, "malformed request line") from None
    if not version.startswith("HTTP/1.") or not target.startswith("/"):
        raise HttpError(400, "malformed request line")
    headers = []
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip():
            raise HttpError(400, f"malformed header line {line[:40]!r}")
        headers.append((name, value.strip()))
    path, _, query = target.partition("?")
    return HttpRequest(method, path, query, version, tuple(headers), head)


def response(
    status: int,
    body: bytes = b"",
    *,
    content_type: str = "text/plain; charset=utf-8",
    headers: Iterable[tuple[str, str]] = (),
    keep_alive: bool = True,
) -> bytes:
    """A complete HTTP/1.1 response."""
    lines = [
        f"HTTP/1.1 {status} {reason_phrase(status)}",
        f"Date: {formatdate(usegmt=True)}",
        "Server: eventual-local",
        f"Connection: {'keep-alive' if keep_alive else 'close'}",
    ]
    if body or status not in (204, 304):
        lines.append(f"Content-Length: {len(body)}")
    if body:
        lines.append(f"Content-Type: {content_type}")
    lines.extend(f"{name}: {value}" for name, value in headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def reason_phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:  # a handler may answer with any code, as it may in the cloud
        return "Unknown"
