"""The dev server: one port for the sockets, their management API and the service's web page.

One event loop, on a thread of its own, owns every socket: it accepts, reads and writes, answers
pings, enforces API Gateway's limits and timeouts. Handlers run on a bounded pool of worker
threads (:mod:`eventual.local.workers`), through :func:`eventual.runtime.dispatch.dispatch`, the
path Lambda takes. So no number of connections, slow clients or slow handlers can block I/O,
exhaust threads or stop the accept loop. A handler's ``send`` is an HTTP request from boto3 back
into this server, answered by the loop while the handler waits: it cannot deadlock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote

from websockets.frames import CloseCode

from eventual.deployment import Deployment, SocketUrls
from eventual.local.connection import GOING_AWAY, WebSocketConnection
from eventual.local.console import Console
from eventual.local.events import EventFactory
from eventual.local.failures import FailureLog
from eventual.local.feed import EventRecord, Feed
from eventual.local.http_connection import HttpConnection
from eventual.local.hub import Hub
from eventual.local.limits import Limits
from eventual.local.origins import Origins
from eventual.local.routes import WS_PREFIX, Routes
from eventual.local.workers import Workers
from eventual.runtime.connections import InMemoryConnectionStore
from eventual.runtime.fanout_memory import Delivery, InMemoryFanOutQueue
from eventual.runtime.management import ManagementClient
from eventual.service_document import LOCAL_STAGE, encode, service_document
from eventual.sockets import Socket

logger = logging.getLogger("eventual.local")
FAN_OUT_WORKERS = 4
"""Threads draining the fan-out queue: a bounded stand-in for Lambda's parallel workers."""

_REACHED_AS_LOCALHOST = frozenset({"127.0.0.1", "0.0.0.0", "::", ""})
"""Bound addresses ``localhost`` reaches: IPv4 loopback, or any address. Not ``::1`` alone, since
``localhost`` may name 127.0.0.1 only (as in many /etc/hosts)."""

DISCONNECT_GRACE = 10.0
"""Seconds shutdown waits for ``$disconnect`` handlers still running."""
__all__ = ["WS_PREFIX", "DevServer"]


class DevServer:
    """Serves a service's sockets like API Gateway: ``ws://HOST:PORT/__ws/<socket>``.

    ``start()`` binds and serves in the background; ``shutdown()`` closes every connection
    with 1001 (running ``$disconnect`` for each) and stops. Also a context manager.
    """

    def __init__(
        self,
        service: str,
        sockets: Mapping[str, Socket],
        *,
        host: str = "127.0.0.1",
        port: int = 3111,
        limits: Limits | None = None,
        web_dir: Path | None = None,
    ) -> None:
        self.service = service
        self.host = host
        self.limits = limits or Limits()
        self.web_dir = web_dir.resolve() if web_dir else None
        self._sockets: dict[str, Socket] = dict(sockets)
        self._requested_port = port
        self._listener: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._hub: Hub | None = None
        self._stopped = False
        self._urls: dict[str, SocketUrls] = {}
        self.deployment = Deployment(
            service,
            self._urls,
            # Handlers' send() goes through boto3 back into this server, as it goes to API
            # Gateway's management API in the cloud.
            management=ManagementClient,
            # connections()/broadcast() read this, as they read the service's table in the cloud.
            connections=InMemoryConnectionStore(),
            # A room past the fan-out threshold goes to this queue, as to SQS in the cloud.
            fan_out=self._fan_out_queue,
        )
        """What this server's handlers run in (``dispatch`` makes it current)."""
        self.fan_out: InMemoryFanOutQueue | None = None
        """The broadcast fan-out queue, drained by :data:`FAN_OUT_WORKERS` threads that post
        through this server's management API, as Lambda workers post through API Gateway's."""
        self.feed = Feed()
        """Every event this server handles, the last :data:`eventual.local.feed.RECENT_EVENTS`
        kept: what ``eventual local`` prints and the console shows. Add a sink to see each one
        (on the server's loop)."""
        self._failures = FailureLog()
        self._console: Console | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def _fan_out_queue(self) -> InMemoryFanOutQueue:
        assert self.fan_out is not None, "start() the server first"
        return self.fan_out

    def start(self) -> None:
        """Bind (``OSError`` if the port is taken) and serve in the background."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        self._listener = socket.create_server((self.host, self._requested_port), family=family, backlog=4096)
        self._listener.setblocking(False)
        self.fan_out = InMemoryFanOutQueue(
            self.deployment, workers=FAN_OUT_WORKERS, observer=self._fan_out_delivered
        )
        self._publish_urls()
        self._failures.install()
        loop = self._loop = asyncio.new_event_loop()
        events = EventFactory(f"{self.url_host}:{self.port}", server_port=self.port)
        self._thread = threading.Thread(target=loop.run_forever, name="eventual-loop", daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(events), loop).result()

    async def _serve(self, events: EventFactory) -> None:
        workers = Workers(self.deployment)
        hub = self._hub = Hub(events, workers, self.limits, lambda: self._sockets, self.feed, self._failures)
        origins = Origins(self.host)
        console = self._console = Console(
            self.service,
            self.feed,
            lambda: self._sockets,
            hub.connections,
            self.socket_urls,
            workers,
            origins,
        )
        routes = Routes(
            origins,
            lambda: self._sockets,
            hub.connections,
            self.web_dir,
            self._index_text,
            self._document,
            self._asyncapi,
            self.service,
            console,
            self.feed,
        )
        loop = asyncio.get_running_loop()
        assert self._listener is not None
        self._server = await loop.create_server(lambda: HttpConnection(hub, routes), sock=self._listener)
        self._sweeper = loop.create_task(self._sweep(hub))

    async def _sweep(self, hub: Hub) -> None:
        """Idle and maximum-duration timeouts, for every connection, a few times a second: one
        timer for all rather than one per connection, which every frame would move."""
        interval = min(1.0, self.limits.idle_timeout / 4, self.limits.max_duration / 4)
        while not hub.stopping:
            await asyncio.sleep(interval)
            now = time.monotonic()
            for conn in list(hub.connections.values()):
                conn.check_time(now)

    def shutdown(self) -> None:
        """Close every connection with 1001 "Going away", run their ``$disconnect``, stop."""
        if self._stopped or self._loop is None:
            return
        self._stopped = True
        if self.fan_out is not None:
            self.fan_out.close()  # broadcasts already queued reach their connections first
        loop = self._loop
        if self._hub is not None:
            # At once, not when the loop gets to it: a loop behind on a flood of messages stops
            # taking new ones now, and those waiting for a worker are dropped.
            self._hub.stopping = True
            self._hub.workers.drop_queued()
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._stop(), loop).result()
        loop.call_soon_threadsafe(loop.stop)
        assert self._thread is not None
        self._thread.join()
        if self._hub is not None:
            self._hub.workers.shutdown()
        loop.close()
        self._failures.uninstall()
        if self._listener is not None:
            self._listener.close()

    async def _stop(self) -> None:
        hub = self._hub
        assert hub is not None
        hub.stopping = True
        self._server.close()
        self._sweeper.cancel()
        for http in list(hub.http_clients):
            http.close()  # idle keep-alive connections of management API clients
        if self._console is not None:
            self._console.close()
        closing = list(hub.connections.values())
        deadline = time.monotonic() + self.limits.close_timeout  # runs while $disconnects do
        for conn in closing:
            conn.going_away()
        if not await hub.settled(DISCONNECT_GRACE):
            logger.warning("stopped before every $disconnect handler had returned")
        while any(not conn.closed for conn in closing) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)  # the clients' side of the closing handshakes
        for conn in closing:
            conn.abort()  # clients that never answered the close frame

    def _fan_out_delivered(self, delivery: Delivery) -> None:
        """A fan-out worker delivered a batch (or failed to): its record, made on the loop."""
        status = 200 if delivery.outcome == "delivered" else 500
        detail = f"{delivery.connections} connection{'s' if delivery.connections != 1 else ''}"
        if delivery.outcome != "delivered":
            detail += f", {delivery.outcome} after receive {delivery.receives}"
        record = EventRecord(
            "fan-out", delivery.socket, "fan-out", delivery.broadcast_id, status, delivery.ms, detail=detail
        )
        assert self._loop is not None
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            self._loop.call_soon_threadsafe(self.feed.record, record)

    def __enter__(self) -> DevServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()

    # -- what it serves -------------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self._listener is not None, "start() the server first"
        return int(self._listener.getsockname()[1])

    @property
    def url_host(self) -> str:
        """The host in every URL this server gives out (the banner, the service document, the
        sockets' ``wss_endpoint``, its events' ``domainName``): ``localhost`` where that reaches
        it, as ``eventual get service --local`` and the README say; else the bound address."""
        assert self._listener is not None, "start() the server first"
        bound = str(self._listener.getsockname()[0])
        if bound in _REACHED_AS_LOCALHOST:
            return "localhost"
        return f"[{bound}]" if ":" in bound else bound

    @property
    def console(self) -> Console | None:
        """The browser console's endpoint (``None`` until started)."""
        return self._console

    @property
    def sockets(self) -> Mapping[str, Socket]:
        return self._sockets

    @property
    def connections(self) -> Mapping[str, WebSocketConnection]:
        """Open connections by id."""
        return self._hub.connections if self._hub is not None else {}

    def socket_urls(self, name: str) -> dict[str, str]:
        """``{"wss": ws://..., "http": http://...}``: where clients connect, and its management API."""
        path = f"{self.url_host}:{self.port}/{WS_PREFIX}/{quote(name, safe='')}"
        return {"wss": f"ws://{path}", "http": f"http://{path}"}

    def replace_sockets(self, sockets: Mapping[str, Socket]) -> None:
        """Serve new handlers (hot reload); open connections keep going with them.

        A socket the reload renamed or removed no longer exists: its connections close with
        1001, as they would when a deploy deletes their API, and the log says why (rather than
        every send failing later).
        """
        dropped = set(self._sockets) - set(sockets)
        self._sockets = dict(sockets)
        self._publish_urls()
        if dropped and self._loop is not None:
            self._loop.call_soon_threadsafe(self._close_sockets, dropped)

    def _close_sockets(self, names: set[str]) -> None:
        hub = self._hub
        if hub is None:
            return
        for conn in [c for c in hub.connections.values() if c.socket_name in names]:
            logger.warning(
                "socket %r is no longer declared (renamed or removed by a reload): closing its "
                "connection %s with 1001",
                conn.socket_name,
                conn.connection_id,
            )
            conn.close(CloseCode.GOING_AWAY, GOING_AWAY)

    def _publish_urls(self) -> None:
        # In place: the deployment reads this mapping on every look-up.
        self._urls.clear()
        self._urls.update({name: SocketUrls(**self.socket_urls(name)) for name in self._sockets})

    def _document(self) -> str:
        """The service document of the ``local`` stage, with this server's URLs."""
        sockets = {name: self.socket_urls(name)["wss"] for name in self._sockets}
        return encode(service_document(self.service, LOCAL_STAGE, sockets))

    def _asyncapi(self) -> str:
        """The AsyncAPI document of the ``local`` stage, with this server's URLs (built per request:
        a reload may have changed the sockets)."""
        from eventual.asyncapi import asyncapi_document  # pydantic, for typed sockets: on first use

        sockets = {name: self.socket_urls(name)["wss"] for name in self._sockets}
        return encode(asyncapi_document(self.service, LOCAL_STAGE, self._sockets, urls=sockets))

    def _index_text(self) -> str:
        lines = [f"Eventual Dev Server: service {self.service}", "Sockets are available at:"]
        lines += [f"{name} - {self.socket_urls(name)['wss']}" for name in self._sockets]
        return "\n".join(lines) + "\n"
