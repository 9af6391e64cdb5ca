"""One open WebSocket connection, on the dev server's event loop.

The loop reads its frames, answers its pings (websockets' Sans-I/O protocol queues the pong as it
parses the ping, as RFC 6455 5.5.2 requires, so a client's ping timeout never fires during a long
handler; AWS documents no ping handling, but API Gateway answers pings itself, never its
integration), writes what handlers send and enforces API Gateway's limits. Its events
go to the worker pool one at a time, in arrival order (API Gateway promises no more), and the
connection's I/O never waits for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from websockets.frames import CloseCode, Frame, Opcode
from websockets.protocol import Protocol, State

from eventual.local.events import new_id, now_ms
from eventual.local.limits import MAX_FRAME_BYTES, MAX_UNSENT_BYTES
from eventual.runtime.apigateway import Caller, no_route_message, reply_of

if TYPE_CHECKING:
    from eventual.local.hub import Hub
    from eventual.runtime.apigateway import LambdaResponse
    from eventual.sockets import Socket

logger = logging.getLogger("eventual.local")

GOING_AWAY = "Going away"
_PAUSE_AT, _RESUME_AT = 256, 64
"""Events queued on one connection before its reading pauses (and resumes): a client that sends
faster than its handlers run is slowed down, not buffered without bound."""


class WebSocketConnection(asyncio.BufferedProtocol):
    """A connection after its handshake: the transport's protocol from then on.

    A buffered protocol: the transport reads into the hub's one receive buffer
    (:attr:`Hub.receive_buffer`), which each read's bytes leave at once, so an idle connection
    holds no buffer and a read allocates no more than the bytes it got (a plain ``Protocol``
    gets a fresh 256 KiB ``bytes`` per read from asyncio, an ``mmap`` and ``munmap`` each)."""

    __slots__ = (
        "_busy",
        "_close_timer",
        "_disconnected",
        "_failed",
        "_fragments",
        "_gone",
        "_paused",
        "_queue",
        "declared",
        "hub",
        "last_active_at",
        "last_frame",
        "opened",
        "peer",
        "protocol",
        "socket_name",
        "transport",
    )

    def __init__(
        self,
        hub: Hub,
        transport: asyncio.Transport,
        protocol: Protocol,
        peer: Caller,
        socket_name: str,
        declared: Socket,
    ) -> None:
        self.hub = hub
        self.transport = transport
        self.protocol = protocol
        self.peer = peer
        self.socket_name = socket_name
        self.declared = declared
        self.opened = self.last_frame = time.monotonic()
        self.last_active_at = peer.connected_at
        """Epoch milliseconds of the last frame from the client (``GetConnection``'s ``lastActiveAt``)."""
        self._fragments: list[bytes] = []
        self._queue: deque[Mapping[str, Any]] = deque()
        self._busy = self._gone = self._paused = self._disconnected = self._failed = False
        self._close_timer: asyncio.TimerHandle | None = None

    @property
    def connection_id(self) -> str:
        return self.peer.connection_id

    @property
    def closed(self) -> bool:
        """The TCP connection is gone (or being cut)."""
        return self._gone

    # -- reading ----------------------------------------------------------------------------

    def get_buffer(self, sizehint: int) -> memoryview:
        return self.hub.receive_buffer

    def buffer_updated(self, nbytes: int) -> None:
        self.data_received(self.hub.receive_buffer[:nbytes].tobytes())

    def data_received(self, data: bytes) -> None:
        self.last_frame = time.monotonic()
        self.last_active_at = now_ms()
        was_open = self.protocol.state is State.OPEN
        self.protocol.receive_data(data)
        # Every frame parsed from this read came before any close frame in it (the parser stops
        # there): a message the client sent before closing is delivered, as it reaches API
        # Gateway first. Not once this server failed the connection (a binary frame, say).
        for event in self.protocol.events_received():
            if was_open and not self._failed and isinstance(event, Frame):
                self._frame(event)
        self._flush()

    def eof_received(self) -> bool | None:
        self.protocol.receive_eof()
        self._flush()
        return None  # the transport closes itself

    def _frame(self, frame: Frame) -> None:
        opcode = frame.opcode
        if opcode is Opcode.TEXT or opcode is Opcode.CONT:
            if len(frame.data) > MAX_FRAME_BYTES:  # the 32 KB frame quota: 1009, as documented
                self._fail(CloseCode.MESSAGE_TOO_BIG, f"Frame over {MAX_FRAME_BYTES} bytes")
                return
            self._fragments.append(bytes(frame.data))
            if not frame.fin:
                return
            data = b"".join(self._fragments) if len(self._fragments) > 1 else self._fragments[0]
            self._fragments = []
            try:
                text = data.decode()
            except UnicodeDecodeError:
                self._fail(CloseCode.INVALID_DATA, "Invalid UTF-8 in a text frame")
                return
            if not self.hub.stopping:  # shutting down: no new events but $disconnect
                self._route(text)
        elif opcode is Opcode.BINARY:
            # "If a client app sends a binary frame, API Gateway rejects it and disconnects the
            # client with code 1003" (websocket-api-develop-binary-media-types).
            self._fail(CloseCode.UNSUPPORTED_DATA, "Binary frames are not supported")

    def _route(self, text: str) -> None:
        """Select the message's route as API Gateway does (:meth:`eventual.Socket.select_route`);
        where none matches and the socket has no ``$default``, API Gateway answers the client
        itself, with no integration call ("Route selection expressions")."""
        route = self.hub.socket(self.socket_name, self.declared).select_route(text)
        if route is None:
            self.send(no_route_message(self.connection_id, new_id()).encode())
            return
        self._enqueue(self.hub.events.message(self.peer, text, route))

    def _fail(self, code: int, reason: str) -> None:
        self._failed = True
        self.protocol.fail(code, reason)

    # -- writing ----------------------------------------------------------------------------

    def send(self, data: bytes) -> bool:
        """Send one message; ``False`` if the connection is closing or gone.

        UTF-8 goes as text; other bytes as binary, since a text frame must hold UTF-8 (RFC 6455,
        5.6) and AWS documents nothing else for ``PostToConnection``. Over 32 KB, the message is
        split into frames of at most 32 KB, as API Gateway's frame quota requires.
        """
        if self._gone or self.protocol.state is not State.OPEN:
            return False
        try:
            data.decode()
            first = self.protocol.send_text
        except UnicodeDecodeError:
            first = self.protocol.send_binary
        if len(data) <= MAX_FRAME_BYTES:
            first(data)
        else:
            chunks = [data[i : i + MAX_FRAME_BYTES] for i in range(0, len(data), MAX_FRAME_BYTES)]
            first(chunks[0], fin=False)
            for chunk in chunks[1:-1]:
                self.protocol.send_continuation(chunk, fin=False)
            self.protocol.send_continuation(chunks[-1], fin=True)
        return self._flush()

    def close(self, code: int, reason: str) -> bool:
        """Start the closing handshake; ``False`` if it had already started."""
        if self._gone or self.protocol.state is not State.OPEN:
            return False
        self.protocol.send_close(code, reason)
        self._flush()
        return True

    def abort(self) -> None:
        """Cut the TCP connection (``$disconnect`` follows)."""
        self._gone = True
        self.transport.abort()

    def _flush(self) -> bool:
        for data in self.protocol.data_to_send():
            if data:
                self.transport.write(data)
            elif self.transport.can_write_eof():
                # The server ends TCP first once the closing handshake is done, or at once when it
                # fails the connection (RFC 6455, 7.1.1 and 7.1.7), but only its sending half: a
                # client still sending would otherwise get a reset, and a reset can discard the
                # close frame before the client reads it. The client's EOF, or the close timeout,
                # then ends the connection.
                self.transport.write_eof()
            else:
                self.transport.close()
        if self.transport.get_write_buffer_size() > MAX_UNSENT_BYTES:
            logger.warning(
                "%s: connection %s stopped reading with over %d bytes unsent; closed it",
                self.socket_name,
                self.connection_id,
                MAX_UNSENT_BYTES,
            )
            self.abort()
            return False
        if self._close_timer is None and self.protocol.close_expected():
            self._close_timer = asyncio.get_running_loop().call_later(
                self.hub.limits.close_timeout, self.abort
            )
        return True

    # -- handlers, one at a time ------------------------------------------------------------

    def _enqueue(self, event: Mapping[str, Any]) -> None:
        self._queue.append(event)
        if not self._busy:
            self._next()
        elif len(self._queue) >= _PAUSE_AT and not self._paused:
            self._paused = True
            self.transport.pause_reading()

    def _next(self) -> None:
        if not self._queue:
            self._busy = False
            return
        self._busy = True
        if self._paused and len(self._queue) <= _RESUME_AT and not self._gone:
            self._paused = False
            self.transport.resume_reading()
        event = self._queue.popleft()
        sock = self.hub.socket(self.socket_name, self.declared)

        def done(response: LambdaResponse | None, ms: float) -> None:
            self._answered(sock, event, response, ms)

        self.hub.workers.call(sock, event, done)

    def _answered(
        self, sock: Socket, event: Mapping[str, Any], response: LambdaResponse | None, ms: float
    ) -> None:
        rc = event["requestContext"]
        if rc["eventType"] != "MESSAGE":  # $disconnect
            self.hub.record(sock.name, event, response, ms)
            self.hub.disconnect_done()
        elif response is not None or not self.hub.stopping:  # else: dropped by shutdown, never ran
            self.hub.record(sock.name, event, response, ms)
            if response is None:
                self.send(self.hub.timed_out_body(rc))
            else:
                reply = reply_of(response)  # $default's return value is the route response
                if reply:
                    self.send(reply.encode() if isinstance(reply, str) else reply)
        self._next()

    # -- the end ----------------------------------------------------------------------------

    def connection_lost(self, exc: Exception | None) -> None:
        self._gone = True
        if self._close_timer is not None:
            self._close_timer.cancel()
        if self.protocol.state is not State.CLOSED:
            with contextlib.suppress(Exception):
                self.protocol.receive_eof()
        self._disconnect(*self.close_status())

    def going_away(self) -> None:
        """Shutdown: close with 1001 and run ``$disconnect`` now, without waiting for the
        client's side of the closing handshake (``$disconnect`` sees 1001 either way)."""
        self.close(CloseCode.GOING_AWAY, GOING_AWAY)
        self._disconnect(CloseCode.GOING_AWAY, GOING_AWAY)

    def _disconnect(self, code: int, reason: str) -> None:
        """Run ``$disconnect``, once."""
        if self._disconnected:
            return
        self._disconnected = True
        # In the cloud the connection is gone for the management API before $disconnect runs.
        self.hub.forget(self)
        disconnect = self.hub.events.disconnect(self.peer, code, reason)
        self.hub.disconnect_started()
        if not self.hub.stopping:
            self._enqueue(disconnect)  # after the events that arrived before it
            return
        # Shutting down: what has not started never will; $disconnect runs now, even while a
        # handler of this connection is still running.
        self._queue.clear()
        self._busy = True
        sock = self.hub.socket(self.socket_name, self.declared)

        def done(response: LambdaResponse | None, ms: float) -> None:
            self._answered(sock, disconnect, response, ms)

        self.hub.workers.call(sock, disconnect, done, spare=True)

    def check_time(self, now: float) -> None:
        """Close with 1001 once idle for too long, or open for too long (API Gateway's quotas:
        10 minutes idle, 2 hours at most). AWS documents no close code for either; 1001 "going
        away" is the RFC 6455 code for a server ending a connection on its own."""
        limits = self.hub.limits
        if now - self.last_frame > limits.idle_timeout or now - self.opened > limits.max_duration:
            self.close(CloseCode.GOING_AWAY, GOING_AWAY)

    def close_status(self) -> tuple[int, str]:
        """The code and reason API Gateway reports to ``$disconnect``: whoever closed first."""
        sent, received = self.protocol.close_sent, self.protocol.close_rcvd
        if sent is not None and not (received is not None and self.protocol.close_rcvd_then_sent):
            return sent.code, sent.reason
        if received is not None:
            return received.code, received.reason
        return CloseCode.ABNORMAL_CLOSURE, ""
