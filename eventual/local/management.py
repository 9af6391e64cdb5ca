"""The management API (``@connections``) of the dev server's sockets, as API Gateway answers it.

``POST`` sends the body to the connection (200): a text frame, or a binary one when the body is
not UTF-8 (:meth:`WebSocketConnection.send`), ``GET`` describes it (200),
``DELETE`` closes it (204); a connection that is unknown, closed or closing is 410 GoneException.
boto3's ``apigatewaymanagementapi`` client talks to it unchanged.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace

from websockets.frames import CloseCode

from eventual.local.connection import WebSocketConnection
from eventual.local.http import Reply, response
from eventual.payload import MAX_PAYLOAD_BYTES, json_dumps


def handle(
    connections: Mapping[str, WebSocketConnection],
    socket_name: str,
    method: str,
    connection_id: str,
    body: bytes,
) -> Reply:
    """The HTTP response to one management API request (on the server's event loop)."""
    conn = connections.get(connection_id)
    if conn is None or conn.socket_name != socket_name:
        return _gone(connection_id)
    if method == "POST":
        if len(body) > MAX_PAYLOAD_BYTES:
            return too_large()
        return response(200) if conn.send(body) else _gone(connection_id)
    if method == "GET":
        return _json(200, describe(conn))
    if method == "DELETE":
        # A client that never answers the close frame is cut off after the close timeout.
        if not conn.close(CloseCode.NORMAL_CLOSURE, ""):
            return _gone(connection_id)
        return response(204)
    return _error(405, "MethodNotAllowed", f"{method} is not a management API method: POST, GET or DELETE")


def describe(conn: WebSocketConnection) -> dict[str, object]:
    """``GetConnection``'s answer."""
    return {
        "connectedAt": iso8601(conn.peer.connected_at),
        "identity": {"sourceIp": conn.peer.source_ip, "userAgent": conn.peer.user_agent},
        "lastActiveAt": iso8601(conn.last_active_at),
    }


def iso8601(epoch_ms: int) -> str:
    seconds, millis = divmod(epoch_ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def too_large() -> Reply:
    """``PostToConnection``'s ``PayloadTooLargeException`` (413): a body over the 128 KB message
    quota. Sent as soon as a request declares such a body (:meth:`Routes.body_limit`), and it
    closes the connection, whose body was never read."""
    reply = _error(413, "PayloadTooLargeException", f"Message is over the {MAX_PAYLOAD_BYTES} byte limit")
    return replace(reply, close=True)


def not_found(socket_name: str, known: list[str]) -> Reply:
    return _error(
        404, "NotFoundException", f"no socket named {socket_name!r}; this service has: {', '.join(known)}"
    )


def _gone(connection_id: str) -> Reply:
    return _error(410, "GoneException", f"connection {connection_id!r} is gone")


def _error(status: int, error_type: str, message: str) -> Reply:
    return _json(status, {"message": message}, headers=[("x-amzn-ErrorType", error_type)])


def _json(status: int, data: object, headers: list[tuple[str, str]] | None = None) -> Reply:
    return response(
        status,
        json_dumps(data).encode(),
        content_type="application/json",
        headers=headers or [],
    )
