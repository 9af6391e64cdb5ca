"""What the dev server answers at each path: its one routing table.

- ``/__ws/<socket>``: a WebSocket upgrade (anything else there: 426);
- ``/__ws/<socket>/@connections/<id>``: the socket's management API;
- ``/__eventual/service``: the service document, as the deployed HTTP API answers it;
- ``/__eventual/asyncapi.json``: the service's AsyncAPI document (:mod:`eventual.asyncapi`), as too;
- ``/__eventual/docs``: that document, rendered (:mod:`eventual.local.docs`);
- ``/__eventual/`` and ``/__eventual/console/...``: the console (:mod:`eventual.local.console`);
- anything else: the service's web page (:mod:`eventual.local.static`).

A new route is one more branch in :meth:`Routes.answer`, before the web page's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from eventual.local import management
from eventual.local.connection import WebSocketConnection
from eventual.local.console import Console
from eventual.local.docs import DOCS_PATH, docs_response
from eventual.local.feed import EventRecord, Feed
from eventual.local.http import MAX_BODY_BYTES, Later, Reply, Request, Stream, response
from eventual.local.origins import Origins
from eventual.local.static import static_response
from eventual.payload import MAX_PAYLOAD_BYTES
from eventual.service_document import ASYNCAPI_PATH, HEADERS, PATH
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
        asyncapi: Callable[[], str],
        service: str,
        console: Console,
        feed: Feed,
    ) -> None:
        self.origins = origins
        self.sockets = sockets
        self.connections = connections
        self.web_dir = web_dir
        self.index = index
        self.document = document
        """The service document's JSON (:mod:`eventual.service_document`)."""
        self.asyncapi = asyncapi
        """The AsyncAPI document's JSON (:mod:`eventual.asyncapi`)."""
        self.service = service
        self.console = console
        self.feed = feed
        """Where each management API request is recorded."""

    def answer(self, request: Request) -> Reply | Upgrade | Stream | Later:
        if not self.origins.host_allowed(request.header("Host")):
            return response(
                403, b"Forbidden: unknown Host (this server answers its own names only)\n", keep_alive=False
            )
        parts = request.path.split("/")
        if len(parts) > 2 and parts[1] == WS_PREFIX:
            return self._socket(request, parts)
        if request.path == PATH:
            return self._document(request, self.document)
        if request.path == ASYNCAPI_PATH:
            return self._document(request, self.asyncapi)
        if request.path == DOCS_PATH or request.path.startswith(f"{DOCS_PATH}/"):
            return docs_response(request.path, request.method, self.service)
        if self.console.serves(request.path):
            return self.console.answer(request)
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

    def _document(self, request: Request, document: Callable[[], str]) -> Reply:
        """The same document and headers as the cloud's HTTP API function (GET routes only)."""
        if request.method not in ("GET", "HEAD"):
            return response(405, b"Method Not Allowed\n", headers=[("Allow", "GET, HEAD")])
        headers = [(name, value) for name, value in HEADERS.items() if name != "content-type"]
        try:
            body = document().encode()
        except Exception as error:  # a type pydantic cannot describe: say so, keep serving
            return response(500, f"cannot build the document: {type(error).__name__}: {error}\n".encode())
        return response(200, body, content_type=HEADERS["content-type"], headers=headers)

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
            connection_id = unquote(parts[4])
            started = time.perf_counter()
            reply = self._management(request, name, connection_id)
            ms = (time.perf_counter() - started) * 1000
            body = request.body if request.method == "POST" else None
            self.feed.record(
                EventRecord("management", name, request.method, connection_id, reply.status, ms, body=body)
            )
            return reply
        return response(404, b"Not found\n")

    def _management(self, request: Request, name: str, connection_id: str) -> Reply:
        if not self.origins.origin_allowed(request.header("Origin")):
            return response(403, b"Forbidden: the management API does not answer other sites' pages\n")
        sockets = self.sockets()
        if name not in sockets:
            return management.not_found(name, list(sockets))
        return management.handle(self.connections, name, request.method, connection_id, request.body)
