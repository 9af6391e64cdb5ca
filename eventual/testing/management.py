"""The management API (``@connections``) of the test client's sockets, in memory.

What boto3's ``apigatewaymanagementapi`` client does against API Gateway, with its rules: a
connection that is unknown, closed, closing or of another socket is gone
(:class:`eventual.ConnectionGone`); a body over 128 KB is refused; ``disconnect`` closes the
connection, and its ``$disconnect`` runs once the event that asked for it is handled;
``info`` answers ``GetConnection`` in eventual's :class:`eventual.connections.ConnectionInfo`
shape, as the boto3 client does.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from eventual.errors import ConnectionGone, PayloadTooLarge
from eventual.payload import MAX_PAYLOAD_BYTES

if TYPE_CHECKING:
    from eventual.connections import ConnectionInfo
    from eventual.testing.connection import Connection

SERVER_CLOSE = (1000, "")
"""The ``$disconnect`` status and reason of a connection the service closed."""


class Connections:
    """Every connection of one test client, by id, guarded for broadcast's threads."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.by_id: dict[str, Connection] = {}
        self.closing: list[Connection] = []
        """Closed by the service; their ``$disconnect`` is still to run."""

    def live(self, socket: str, connection_id: str) -> Connection:
        """The open connection ``connection_id`` of ``socket``, or :class:`ConnectionGone`."""
        conn = self.by_id.get(connection_id)
        if conn is None or conn.socket != socket or not conn.open:
            raise ConnectionGone(connection_id)
        return conn


class InMemoryManagementApi:
    """One socket's management API over the client's connections
    (:class:`eventual.deployment.ManagementApi`)."""

    def __init__(self, connections: Connections, socket: str) -> None:
        self._connections = connections
        self._socket = socket

    def post(self, connection_id: str, body: bytes) -> None:
        if len(body) > MAX_PAYLOAD_BYTES:
            raise PayloadTooLarge(f"message of {len(body)} bytes exceeds {MAX_PAYLOAD_BYTES} bytes")
        with self._connections.lock:
            self._connections.live(self._socket, connection_id)._deliver(body)

    def disconnect(self, connection_id: str) -> None:
        with self._connections.lock:
            conn = self._connections.live(self._socket, connection_id)
            conn._closed_with(*SERVER_CLOSE)
            self._connections.closing.append(conn)

    def info(self, connection_id: str) -> ConnectionInfo:
        with self._connections.lock:
            conn = self._connections.live(self._socket, connection_id)
            return {
                "connectionId": connection_id,
                "connectedAt": conn.caller.connected_at,
                "lastActiveAt": conn.last_active_at,
                "sourceIp": conn.caller.source_ip,
                "userAgent": conn.caller.user_agent,
            }
