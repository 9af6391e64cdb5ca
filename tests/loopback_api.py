"""A loopback stand-in for API Gateway's management API, for what moto cannot do:
answer 410 GoneException for chosen connections, throttle, and keep message boundaries."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

_ERRORS = {410: "GoneException", 429: "LimitExceededException", 403: "ForbiddenException"}


@dataclass
class LoopbackApi:
    url: str = ""
    gone: set[str] = field(default_factory=set)
    """Connection ids answered with 410."""
    script: list[int] = field(default_factory=list)
    """Statuses to answer first, in order, whatever the connection."""
    requests: list[tuple[str, str, bytes]] = field(default_factory=list)
    """(method, connection id, body) of every request received."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def delivered(self) -> dict[str, list[bytes]]:
        """Bodies POSTed with 200, per connection id, boundaries kept."""
        out: dict[str, list[bytes]] = {}
        for method, connection_id, body in self.requests:
            if method == "POST" and connection_id not in self.gone:
                out.setdefault(connection_id, []).append(body)
        return out

    def _status(self, connection_id: str, method: str) -> int:
        with self.lock:
            if self.script:
                return self.script.pop(0)
        if connection_id in self.gone:
            return 410
        return 204 if method == "DELETE" else 200


@contextmanager
def loopback_api() -> Iterator[LoopbackApi]:
    api = LoopbackApi()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self._answer()

        def do_DELETE(self) -> None:
            self._answer()

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            connection_id = unquote(self.path.rsplit("/", 1)[-1])
            with api.lock:
                api.requests.append((self.command, connection_id, body))
            status = api._status(connection_id, self.command)
            error = _ERRORS.get(status)
            payload = json.dumps({"message": error or ""}).encode() if status != 204 else b""
            self.send_response(status)
            if error:
                self.send_header("x-amzn-ErrorType", error)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    api.url = f"http://127.0.0.1:{server.server_port}/prod"
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
