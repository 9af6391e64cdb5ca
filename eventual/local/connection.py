"""One open WebSocket connection, read by its own thread.

The thread that reads a connection also runs its handlers, so events arrive in order and a slow
handler holds up only its own connection. Other threads (the management API's) write to it
through :meth:`WebSocketConnection.send_text` and :meth:`close`; a lock keeps the frames whole.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from websockets.frames import CloseCode, Frame, Opcode
from websockets.protocol import State
from websockets.server import ServerProtocol

from eventual.local.events import now_ms
from eventual.runtime.apigateway import Caller

GOING_AWAY = "Going away"


@dataclass(frozen=True, slots=True)
class Limits:
    """API Gateway's connection limits; shorter ones make the behaviour testable."""

    idle_timeout: float = 600.0
    """Seconds without a frame from the client before the connection closes (1001)."""
    max_duration: float = 7200.0
    """Seconds a connection may stay open at most (1001)."""
    close_timeout: float = 2.0
    """Seconds to wait for the client's side of a closing handshake."""

    def __post_init__(self) -> None:
        for name in ("idle_timeout", "max_duration", "close_timeout"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be a positive number of seconds")


class WebSocketConnection:
    """A connection after its handshake: text messages in, text frames and closes out."""

    def __init__(
        self,
        sock: socket.socket,
        protocol: ServerProtocol,
        peer: Caller,
        limits: Limits,
        socket_name: str,
        early_frames: list[Frame],
    ) -> None:
        self.sock = sock
        self.protocol = protocol
        self.peer = peer
        self.limits = limits
        self.socket_name = socket_name
        self.last_active_at = peer.connected_at
        """Epoch milliseconds of the last frame from the client."""
        self._early_frames = early_frames
        self._lock = threading.Lock()

    @property
    def connection_id(self) -> str:
        return self.peer.connection_id

    # -- writing, from any thread ---------------------------------------------------------

    def send_text(self, data: bytes) -> bool:
        """Send one text frame; ``False`` if the connection is closing or closed."""
        with self._lock:
            if self.protocol.state is not State.OPEN:
                return False
            self.protocol.send_text(data)
            return self._flush()

    def close(self, code: int, reason: str) -> bool:
        """Start the closing handshake; ``False`` if it had already started."""
        with self._lock:
            if self.protocol.state is not State.OPEN:
                return False
            self.protocol.send_close(code, reason)
            self._flush()
            return True

    def abort(self) -> None:
        """Cut the TCP connection: wakes the reading thread at once."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)

    def _flush(self) -> bool:
        """Write what the protocol has queued (the caller holds the lock)."""
        try:
            for data in self.protocol.data_to_send():
                if data:
                    self.sock.sendall(data)
                else:
                    self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            # The client is gone: let the reading thread see the end of the stream.
            self.abort()
            return False
        return True

    # -- reading, on the connection's own thread ------------------------------------------

    def messages(self) -> Iterator[str]:
        """The client's text messages, in order, until the connection is closed.

        Pings are answered; a binary frame closes with 1003 and invalid UTF-8 with 1007, as
        API Gateway accepts text only; the protocol closes over-size messages with 1009.
        """
        frames, self._early_frames = self._early_frames, []
        fragments: list[bytes] = []
        deadline = time.monotonic() + self.limits.max_duration
        timeout = None
        while True:
            for frame in frames:
                if frame.opcode is Opcode.TEXT or frame.opcode is Opcode.CONT:
                    fragments.append(bytes(frame.data))
                    if not frame.fin:
                        continue
                    data = b"".join(fragments) if len(fragments) > 1 else fragments[0]
                    fragments = []
                    try:
                        text = data.decode()
                    except UnicodeDecodeError:
                        self._fail(CloseCode.INVALID_DATA, "Invalid UTF-8 in a text frame")
                        break
                    yield text
                elif frame.opcode is Opcode.BINARY:
                    self._fail(CloseCode.UNSUPPORTED_DATA, "Binary frames are not supported")
                    break
            if self.protocol.state is State.CLOSED:
                return
            if self.protocol.close_expected():
                wait = self.limits.close_timeout
            else:
                wait = min(self.limits.idle_timeout, deadline - time.monotonic())
            if wait != timeout:
                timeout = wait
                self.sock.settimeout(max(timeout, 0.001))
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                if self.protocol.close_expected():
                    return  # the client never finished the closing handshake
                self.close(CloseCode.GOING_AWAY, GOING_AWAY)  # idle, or open too long
                frames = []
                continue
            except OSError:
                data = b""
            with self._lock:
                if data:
                    self.last_active_at = now_ms()
                    self.protocol.receive_data(data)
                else:
                    self.protocol.receive_eof()
                frames = [event for event in self.protocol.events_received() if isinstance(event, Frame)]
                self._flush()
            if not data:
                return

    def _fail(self, code: int, reason: str) -> None:
        with self._lock:
            self.protocol.fail(code, reason)
            self._flush()

    def close_status(self) -> tuple[int, str]:
        """The code and reason API Gateway reports to ``$disconnect``: whoever closed first."""
        sent, received = self.protocol.close_sent, self.protocol.close_rcvd
        if sent is not None and not (received is not None and self.protocol.close_rcvd_then_sent):
            return sent.code, sent.reason
        if received is not None:
            return received.code, received.reason
        return CloseCode.ABNORMAL_CLOSURE, ""
