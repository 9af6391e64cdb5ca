"""One client connection of the test client: what it sends, what it is sent, and its close."""

from __future__ import annotations

import json
from types import TracebackType
from typing import TYPE_CHECKING, Any

from eventual.errors import EventualError, PayloadTooLarge
from eventual.payload import MAX_PAYLOAD_BYTES, payload_bytes

if TYPE_CHECKING:
    from eventual.requests import Payload
    from eventual.runtime.apigateway import Caller
    from eventual.testing.client import SocketTestClient

MESSAGE_TOO_BIG = 1009
"""The close code API Gateway uses for a client frame over 128 KB."""
UNSUPPORTED_DATA = 1003
"""The close code API Gateway uses for a binary frame: its WebSocket APIs take text frames only."""


class Rejected(EventualError):
    """The connection was refused: by the authorizer (401, 403, or 500 when it failed) or by
    ``$connect`` (its status, or 500 when the handler failed). ``body`` is the handshake's
    answer, as API Gateway sends it."""

    def __init__(self, socket: str, status: int, body: str | None) -> None:
        super().__init__(f"connection to socket {socket!r} refused with {status}: {body or '(no body)'}")
        self.socket = socket
        self.status = status
        self.body = body

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body or "null")


class Connection:
    """A connection open on one socket; a context manager whose exit runs ``$disconnect``.

    What it received, text as ``str`` (bytes that are not UTF-8 stay ``bytes``):

    - ``messages``: everything, in the order it arrived, as a WebSocket client receives it: what
      the service pushed (``send``/``broadcast``) and the replies of :meth:`send` (a route's
      reply, or API Gateway's own answer: an error, a timeout, ``Forbidden``);
    - ``received``: what the service pushed only (the replies are also :meth:`send`'s return value).

    Once closed (by the test, the service or API Gateway's limits), ``close_code`` and
    ``close_reason`` say how: the client's own code, 1000 when the service disconnected it, 1009
    for a message over 128 KB, 1003 for a binary frame.
    """

    def __init__(
        self, client: SocketTestClient, socket: str, caller: Caller, subprotocol: str | None = None
    ) -> None:
        self._client = client
        self.socket = socket
        self.caller = caller
        self.subprotocol = subprotocol
        """The subprotocol ``$connect`` selected (its ``Sec-WebSocket-Protocol`` header), if any."""
        self.received: list[str | bytes] = []
        """What the service pushed to this connection (``send``/``broadcast``), oldest first."""
        self.messages: list[str | bytes] = []
        """Everything this connection received, pushed messages and replies, in arrival order."""
        self.open = True
        self.close_code: int | None = None
        """The close code, once closed; ``None`` while open."""
        self.close_reason: str | None = None
        """The close reason, once closed; ``None`` while open."""
        self.last_active_at = caller.connected_at

    def __repr__(self) -> str:
        state = "open" if self.open else "closed"
        return f"<Connection {self.connection_id} to {self.socket!r}, {state}>"

    @property
    def connection_id(self) -> str:
        return self.caller.connection_id

    @property
    def identity(self) -> dict[str, Any] | None:
        """``requestContext.authorizer`` of its events: what the authorizer allowed it as."""
        return self.caller.identity

    def send(self, message: Payload) -> str | bytes | None:
        """Send a message (text, bytes, or a dict/list or model as JSON) to the route it selects; return
        the route's reply: what the client receives back (``None`` for none), API Gateway's error
        body if the handler failed or no route matched, its timeout body if the handler did not
        answer within the integration timeout. The reply is also appended to :attr:`messages`.

        As API Gateway does, a message over 128 KB closes the connection with 1009 (and raises
        :class:`eventual.PayloadTooLarge`), and ``bytes`` (a binary frame) with 1003 (and raises
        ``ValueError``).
        """
        if not self.open:
            raise RuntimeError(f"{self!r}: cannot send on a closed connection")
        if isinstance(message, bytes):
            self.close(UNSUPPORTED_DATA, "Binary frames are not supported")
            raise ValueError(
                "API Gateway takes text frames only: a binary frame closes the connection with 1003"
            )
        body = message if isinstance(message, str | bytes) else payload_bytes(message).decode()
        size = len(body.encode() if isinstance(body, str) else body)
        if size > MAX_PAYLOAD_BYTES:
            self.close(MESSAGE_TOO_BIG, "Message too big")
            raise PayloadTooLarge(f"a message of {size} bytes exceeds API Gateway's {MAX_PAYLOAD_BYTES}")
        reply = self._client._message(self, body)
        with self._client._connections.lock:
            if reply is not None and self.open:  # closed meanwhile: the client never gets it
                self.messages.append(reply)
        return reply

    def json(self) -> list[Any]:
        """Every message the service pushed (:attr:`received`), parsed as JSON."""
        return [json.loads(message) for message in self.received]

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Close from the client's side: ``$disconnect`` runs with ``code`` and ``reason``."""
        if self.open:
            self._client._closed(self, code, reason)

    def __enter__(self) -> Connection:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _deliver(self, body: bytes) -> None:
        """A message from the service (the management API's ``post``, under the client's lock)."""
        try:
            message: str | bytes = body.decode()
        except UnicodeDecodeError:
            message = body
        self.received.append(message)
        self.messages.append(message)

    def _closed_with(self, code: int, reason: str) -> None:
        """Closed (under the client's lock): the first close's code and reason stay."""
        if self.open:
            self.open = False
            self.close_code, self.close_reason = code, reason
