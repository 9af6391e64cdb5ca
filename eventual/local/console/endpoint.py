"""The console's paths, answered on the server's loop:

- ``/__eventual/``: the page (``/__eventual`` redirects there);
- ``/__eventual/console/<file>``: its script, style and vendored library (``static/``);
- ``/__eventual/console/state``: the sockets, open connections and channels, as JSON;
- ``/__eventual/console/events``: the live feed (:mod:`eventual.local.console.live`);
- ``POST /__eventual/console/<action>``: send, disconnect (:mod:`eventual.local.console.actions`).

Loopback only: the console shows identities and acts on connections, so it answers clients on
this machine alone, even when the server listens on every address (``--host 0.0.0.0``); and,
like the management API, no other site's page (``Origin``). The server's ``Host`` rule
(DNS rebinding) applies before any of this (:mod:`eventual.local.routes`).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import secrets
from collections.abc import Callable, Mapping
from importlib.resources import files
from typing import TYPE_CHECKING, Any

import h11

from eventual.local.console import actions
from eventual.local.console.describe import DOCS_PATH, channel_members, describe_connection, describe_socket
from eventual.local.console.live import LiveStream
from eventual.local.feed import Feed
from eventual.local.http import Later, Reply, Request, Stream, response
from eventual.local.origins import Origins
from eventual.local.static import content_type
from eventual.local.workers import Workers
from eventual.sockets import Socket

if TYPE_CHECKING:
    from eventual.local.connection import WebSocketConnection

PAGE_PATH = "/__eventual/"
PREFIX = "/__eventual/console/"
MAX_CONSOLES = 8
"""Live feeds open at once; one more is refused with 503 (each holds a connection and a buffer)."""
LISTED_CONNECTIONS = 1000
"""Connections the state lists (the total is given too): a load test's 10,000 connections do not
make a 10,000-row page."""
_STATIC = files("eventual.local.console") / "static"


class Console:
    """Answers the console's paths for one server."""

    def __init__(
        self,
        service: str,
        feed: Feed,
        sockets: Callable[[], Mapping[str, Socket]],
        connections: Mapping[str, WebSocketConnection],
        urls: Callable[[str], dict[str, str]],
        workers: Workers,
        origins: Origins,
    ) -> None:
        self.service = service
        self.feed = feed
        self.sockets = sockets
        self.connections = connections
        self.urls = urls
        self.workers = workers
        self.origins = origins
        self.instance = secrets.token_hex(4)
        self.streams: set[LiveStream] = set()

    @staticmethod
    def serves(path: str) -> bool:
        return path == PAGE_PATH.rstrip("/") or path == PAGE_PATH or path.startswith(PREFIX)

    def answer(self, request: Request) -> Reply | Stream | Later:
        if not _loopback(request.client):
            return response(403, b"Forbidden: the console answers this machine only\n")
        if not self.origins.origin_allowed(request.header("Origin")):
            return response(403, b"Forbidden: the console does not answer other sites' pages\n")
        path = request.path
        if path == PAGE_PATH.rstrip("/"):
            return response(308, headers=[("Location", PAGE_PATH)])
        name = "index.html" if path == PAGE_PATH else path[len(PREFIX) :]
        allowed = "POST" if name in actions.ACTIONS else "GET" if name == "events" else "GET, HEAD"
        if request.method not in allowed.split(", "):
            return response(405, b"Method Not Allowed\n", headers=[("Allow", allowed)])
        if request.method == "POST":
            return self._act(name, request.body)
        if name == "state":
            return _json(self.state())
        if name == "events":
            return self._stream(request)
        return _static(name)

    # -- what it shows ------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        sockets = self.sockets()
        connections = list(self.connections.values())
        return {
            "service": self.service,
            "instance": self.instance,
            "recentEvents": self.feed.size,
            "docs": DOCS_PATH,
            "sockets": [describe_socket(sock, self.urls(name)) for name, sock in sorted(sockets.items())],
            "connections": [describe_connection(conn) for conn in connections[:LISTED_CONNECTIONS]],
            "connectionCount": len(connections),
            "channels": channel_members(sockets),
        }

    def _stream(self, request: Request) -> Reply | Stream:
        if len(self.streams) >= MAX_CONSOLES:
            return response(503, f"Too many consoles open (at most {MAX_CONSOLES})\n".encode())
        after = self._resume_after(request.header("Last-Event-ID"))
        stream = LiveStream(self.feed, self.instance, self.streams.discard)
        self.streams.add(stream)

        def start(transport: asyncio.Transport, connection: h11.Connection) -> None:
            stream.start(transport, connection, after)

        return Stream(start)

    def _resume_after(self, last_event_id: str | None) -> int:
        """The seq a reconnecting console saw last; 0 (the whole ring) for a new one, or one that
        saw another run of the server."""
        instance, _, seq = (last_event_id or "").partition("-")
        if instance != self.instance or not seq.isdigit():
            return 0
        return int(seq)

    # -- what it does -------------------------------------------------------------------------

    def _act(self, name: str, body: bytes) -> Reply | Later:
        try:
            fields = json.loads(body)
            if not isinstance(fields, dict):
                raise actions.BadAction("the body must be a JSON object")
            socket_name = fields.get("socket")
            sock = self.sockets().get(socket_name) if isinstance(socket_name, str) else None
            if sock is None:
                return _json({"message": f"no socket named {socket_name!r}"}, 404)
            act = actions.ACTIONS[name](sock, fields)
        except (ValueError, actions.BadAction) as error:
            return _json({"message": str(error)}, 400)
        return Later(actions.run(self.workers, act))

    def close(self) -> None:
        """Shutdown: end every live feed."""
        for stream in list(self.streams):
            stream.close()


def _loopback(client: str) -> bool:
    try:
        address = ipaddress.ip_address(client.split("%")[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def _static(name: str) -> Reply:
    """A file of ``static/``; no path leaves it (no ``..``, no absolute path)."""
    parts = name.split("/")
    if not name or any(part in ("", ".", "..") or "\\" in part for part in parts):
        return response(404, b"Not found\n")
    resource = _STATIC.joinpath(*parts)
    if not resource.is_file():
        return response(404, b"Not found\n")
    body = resource.read_bytes()
    return response(200, body, content_type=content_type(parts[-1]), headers=[("Cache-Control", "no-store")])


def _json(data: object, status: int = 200) -> Reply:
    return response(
        status,
        json.dumps(data).encode(),
        content_type="application/json",
        headers=[("Cache-Control", "no-store")],
    )
