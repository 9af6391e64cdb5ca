"""What every connection of one dev server shares, on its event loop: the open connections, the
sockets being served, the workers, the event factory and the event log."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from eventual.local.events import EventFactory
from eventual.local.limits import Limits
from eventual.local.workers import Workers
from eventual.runtime.integration import timed_out_message
from eventual.sockets import Socket

if TYPE_CHECKING:
    from eventual.local.connection import WebSocketConnection
    from eventual.local.http_connection import HttpConnection
    from eventual.runtime.apigateway import LambdaResponse

RECEIVE_BUFFER_BYTES = 256 * 1024
"""As much as asyncio reads from a socket at once."""

events_log = logging.getLogger("eventual.local.events")
"""One line per event (``eventual local`` prints it; ``--quiet`` turns it off)."""


class Hub:
    def __init__(
        self,
        events: EventFactory,
        workers: Workers,
        limits: Limits,
        sockets: Callable[[], Mapping[str, Socket]],
    ) -> None:
        self.events = events
        self.workers = workers
        self.limits = limits
        self.sockets = sockets
        """The sockets served now (hot reload replaces them)."""
        self.connections: dict[str, WebSocketConnection] = {}
        self.http_clients: set[HttpConnection] = set()
        """Connections still speaking HTTP (shutdown closes them)."""
        self.stopping = False
        self.receive_buffer = memoryview(bytearray(RECEIVE_BUFFER_BYTES))
        """Where every WebSocket connection's reads land: one buffer for all, as the loop reads
        one connection at a time and each read's bytes leave it at once."""
        self._pending = 0
        self._idle = asyncio.Event()

    def socket(self, name: str, declared: Socket) -> Socket:
        """``name``'s current handlers; ``declared`` if a reload dropped it."""
        return self.sockets().get(name, declared)

    def add(self, conn: WebSocketConnection) -> None:
        self.connections[conn.connection_id] = conn

    def forget(self, conn: WebSocketConnection) -> None:
        if self.connections.get(conn.connection_id) is conn:
            del self.connections[conn.connection_id]

    # -- handlers shutdown waits for: $disconnects, and handshakes whose $connect may accept -------

    def disconnect_started(self) -> None:
        self._started()

    def disconnect_done(self) -> None:
        self._done()

    @contextlib.contextmanager
    def handshake(self) -> Iterator[None]:
        """An opening handshake in flight: a ``$connect`` that accepts during shutdown makes a
        connection whose ``$disconnect`` must still run, so shutdown waits for it."""
        self._started()
        try:
            yield
        finally:
            self._done()

    def _started(self) -> None:
        self._pending += 1
        self._idle.clear()

    def _done(self) -> None:
        self._pending -= 1
        if self._pending <= 0 and not self.connections:
            self._idle.set()

    async def settled(self, timeout: float) -> bool:
        """Wait until no connection is open, no handshake is under way and every
        ``$disconnect`` has run."""
        if self._pending <= 0 and not self.connections:
            return True
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True

    # -- what clients and the terminal see ---------------------------------------------------

    @staticmethod
    def timed_out_body(rc: Mapping[str, Any]) -> bytes:
        """What API Gateway sends the client when the integration times out
        (:func:`eventual.runtime.integration.timed_out_message`)."""
        return timed_out_message(rc["connectionId"], rc["requestId"]).encode()

    @staticmethod
    def log_event(socket: str, rc: Mapping[str, Any], response: LambdaResponse | None, ms: float) -> None:
        """One line per event, as serverless-offline prints them: time, socket, route,
        connection, status (504: integration timed out) and milliseconds."""
        if not events_log.isEnabledFor(logging.INFO):
            return
        status = 504 if response is None else response.get("statusCode", 200)
        stamp = time.strftime("%H:%M:%S")
        events_log.info(
            "%s %s %s %s %s %.0f ms", stamp, socket, rc["routeKey"], rc["connectionId"], status, ms
        )
