"""What every connection of one dev server shares, on its event loop: the open connections, the
sockets being served, the workers, the event factory and the event feed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from eventual.local.events import EventFactory
from eventual.local.failures import FailureLog
from eventual.local.feed import EventRecord, Feed
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

_KINDS = {"CONNECT": "connect", "MESSAGE": "message", "DISCONNECT": "disconnect"}


class Hub:
    def __init__(
        self,
        events: EventFactory,
        workers: Workers,
        limits: Limits,
        sockets: Callable[[], Mapping[str, Socket]],
        feed: Feed | None = None,
        failures: FailureLog | None = None,
    ) -> None:
        self.events = events
        self.workers = workers
        self.limits = limits
        self.sockets = sockets
        """The sockets served now (hot reload replaces them)."""
        self.feed = feed or Feed()
        """Every event handled (the terminal's lines, the console's feed)."""
        self.failures = failures or FailureLog()
        """The runtime's failure log, where a failed event's record finds its traceback."""
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

    def record(
        self, socket: str, event: Mapping[str, Any], response: LambdaResponse | None, ms: float
    ) -> None:
        """Record a route's event once its handler has answered (``None``: the integration timed
        out, 504): the terminal's line and the console's entry (:mod:`eventual.local.feed`)."""
        rc = event["requestContext"]
        status = 504 if response is None else response.get("statusCode", 200)
        kind = _KINDS[rc["eventType"]]
        detail = None
        if kind == "disconnect":
            detail = f"{rc.get('disconnectStatusCode')} {rc.get('disconnectReason') or ''}".rstrip()
        self.feed.record(
            EventRecord(
                kind,
                socket,
                rc["routeKey"],
                rc["connectionId"],
                status,
                ms,
                identity=rc.get("authorizer"),
                body=event.get("body") if kind == "message" else None,
                detail=detail,
                failure=self.failures.take(rc["requestId"]) if status == 500 else None,
            )
        )
