"""What the dev server answers at each path: its one routing table.

- ``/__ws/<socket>``: a WebSocket upgrade (anything else there: 426);
- ``/__ws/<socket>/@connections/<id>``: the socket's management API;
- ``/__eventual/service``: the service document, as the deployed HTTP API answers it;
- anything else: the service's web page (:mod:`eventual.local.static`).

A new route is one more branch in :meth:`Routes.answer`, before the web page's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from eventual.local import management
from eventual.local.connection import WebSocketConnection
from eventual.local.http import MAX_BODY_BYTES, Reply, Request, response
from eventual.local.origins import Origins
from eventual.local.static import static_response
from eventual.payload import MAX_PAYLOAD_BYTES
from eventual.service_document import HEADERS, PATH
from eventual.sockets import Socket

WS_PREFIX = "__ws"


@dataclass(frozen=True, slots=True)
class Upgrade:
    """The request asks for a WebSocket on this socket: the handshake takes it from here."""

    name: str
    declared: Socket


class Routes:
    def __init__(
        self,
        origins: Origins,
        sockets: Callable[[], Mapping[str, Socket]],
        connections: Mapping[str, WebSocketConnection],
        web_dir: Path | None,
        index: Callable[[], str],
        document: Callable[[], str],
    ) -> None:
        self.origins = origins
        self.sockets = sockets
        self.connections = connections
        self.web_dir = web_dir
        self.index = index
        self.document = document
        """The service document's JSON (:mod:`eventual.service_document`)."""

    def answer(self, request: Request) -> Reply | Upgrade:
        if not self.origins.host_allowed(request.header("Host")):
            return response(
                403, b"Forbidden: unknown Host (this server answers its own names only)\n", keep_alive=False
            )
        parts = request.path.split("/")
        if len(parts) > 2 and parts[1] == WS_PREFIX:
            return self._socket(request, parts)
        if request.path == PATH:
            return self._document(request)
        return static_response(self.web_dir, request.path, request.method, self.index())

    def body_limit(self, method: str, path: str) -> tuple[int, Reply]:
        """The most body a request may carry to ``path``, and the answer to one that declares or
        sends more, before its body is read: a management API ``POST`` carries a message, at most
        API Gateway's 128 KB (``PayloadTooLargeException``); anything else the server's 1 MiB."""
        parts = path.split("/")
        if method == "POST" and len(parts) == 5 and parts[1] == WS_PREFIX and parts[3] == "@connections":
            return MAX_PAYLOAD_BYTES, management.too_large()
        return MAX_BODY_BYTES, response(
            413, f"Request body over {MAX_BODY_BYTES} bytes\n".encode(), keep_alive=False
        )

    def _document(self, request: Request) -> Reply:
        """The same document and headers as the cloud's HTTP API function (GET routes only)."""
        if request.method not in ("GET", "HEAD"):
            return response(405, b"Method Not Allowed\n", headers=[("Allow", "GET, HEAD")])
        headers = [(name, value) for name, value in HEADERS.items() if name != "content-type"]
        return response(200, self.document().encode(), content_type=HEADERS["content-type"], headers=headers)

    def _socket(self, request: Request, parts: list[str]) -> Reply | Upgrade:
        name = unquote(parts[2])
        sockets = self.sockets()
        if len(parts) == 3:
            declared = sockets.get(name)
            if declared is None:
                return response(404, f"No socket named {name!r}\n".encode(), keep_alive=False)
            if not request.is_websocket_upgrade:
                # RFC 9110, 15.5.22: a 426 names the protocol to upgrade to.
                return response(
                    426,
                    b"Upgrade Required: this is a WebSocket endpoint\n",
                    headers=[("Upgrade", "websocket"), ("Connection", "Upgrade")],
                )
            return Upgrade(name, declared)
        if len(parts) == 5 and parts[3] == "@connections":
            if not self.origins.origin_allowed(request.header("Origin")):
                return response(403, b"Forbidden: the management API does not answer other sites' pages\n")
            if name not in sockets:
                return management.not_found(name, list(sockets))
            return management.handle(self.connections, name, request.method, unquote(parts[4]), request.body)
        return response(404, b"Not found\n")
