"""The console's view of the server, as JSON-ready values: its sockets, their open connections,
and each event record.

A route's message and reply JSON Schemas (:func:`route_schemas`, typed messages) are shown under
the route when it declares them.

One seam waits for work on another branch, and is the only place that changes when it lands:

- :func:`channels_of` and :func:`channel_members` (issue 20, channels): a connection's channels
  and each socket's members per channel. The page shows the Channels panel, the channel filter
  and the publish action only when the state's ``channels`` is not ``None``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from eventual.local.feed import EventRecord
from eventual.middleware import describe, name_of
from eventual.routes import ROUTES
from eventual.runtime.integration import integration_timeout

if TYPE_CHECKING:
    from eventual.local.connection import WebSocketConnection
    from eventual.sockets import Socket

DOCS_PATH = "/__eventual/docs"
"""The service's message documentation (issue 22); each socket's description links there."""


def describe_socket(sock: Socket, urls: Mapping[str, str]) -> dict[str, Any]:
    """What the Sockets panel shows of one socket."""
    options = sock.options
    return {
        "name": sock.name,
        "url": urls["wss"],
        "managementUrl": urls["http"],
        "routeSelection": options.route_selection,
        "routes": [_route(sock, key) for key in _route_keys(sock)],
        "authorizer": describe(options.authorizer) if options.authorizer is not None else None,
        "middleware": [_middleware_name(spec) for spec in sock.middlewares],
        "options": {
            "integrationTimeout": integration_timeout(sock),
            "timeout": options.timeout,
            "memorySize": options.memory_size,
            "trackConnections": options.track_connections,
            "fanOutAbove": options.fan_out_above,
        },
        "location": str(sock.location) if sock.location is not None else None,
        "docs": f"{DOCS_PATH}#{sock.name}",
    }


def _route_keys(sock: Socket) -> list[str]:
    """API Gateway's routes first, then the socket's own; ``$default`` where the API has one."""
    keys = [key for key in ROUTES if key in sock.handlers]
    if "$default" not in keys and sock.has_default_route:
        keys.append("$default")
    return keys + list(sock.message_routes)


def _route(sock: Socket, key: str) -> dict[str, Any]:
    handler = sock.handlers.get(key)
    return {
        "key": key,
        # No handler: an implied $default (the socket has no message routes), which accepts and
        # ignores every message, as the deployed API does.
        "handler": describe(handler) if handler is not None else None,
        **route_schemas(sock, key),
    }


def route_schemas(sock: Socket, route: str) -> dict[str, Any]:
    """``{"message": <JSON Schema>, "reply": <JSON Schema>}`` for a typed route, as the AsyncAPI
    document (``/__eventual/asyncapi.json``) describes them (what a message must be to pass
    validation, what a reply is once serialized), each self-contained (its definitions under
    ``$defs``); a key is absent where the route declares no such type."""
    declared = sock.types.get(route)
    if declared is None:
        return {}
    schemas: dict[str, Any] = {}
    if declared.message is not None:
        schemas["message"] = declared.message.adapter().json_schema(mode="validation")
    if declared.reply is not None:
        schemas["reply"] = declared.reply.adapter().json_schema(mode="serialization")
    return schemas


def _middleware_name(spec: Callable[..., Any] | Mapping[str, Callable[..., Any]]) -> str:
    if isinstance(spec, Mapping):
        return ", ".join(f"{event}: {name_of(fn)}" for event, fn in spec.items())
    return name_of(spec)


def describe_connection(conn: WebSocketConnection) -> dict[str, Any]:
    """What the Connections panel shows of one open connection (times in epoch milliseconds, as
    ``GetConnection`` and ``connection_info`` give them)."""
    peer = conn.peer
    return {
        "socket": conn.socket_name,
        "connectionId": peer.connection_id,
        "identity": identity_of(peer.identity),
        "sourceIp": peer.source_ip,
        "userAgent": peer.user_agent,
        "connectedAt": peer.connected_at,
        "lastActiveAt": conn.last_active_at,
        "channels": channels_of(conn),
    }


def channels_of(conn: WebSocketConnection) -> list[str] | None:
    """SEAM (issue 20): the channels ``conn`` has joined, from the dev server's membership store;
    ``None`` (not ``[]``) while the server has no channels, so the page shows no channel column."""
    return None


def channel_members(sockets: Mapping[str, Socket]) -> dict[str, dict[str, list[str]]] | None:
    """SEAM (issue 20): per socket, each channel's member connection ids (what
    ``GET /__eventual/channels`` answers); ``None`` while the server has no channels, which hides
    the page's Channels panel, channel filter and publish action."""
    return None


def identity_of(authorizer_context: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The connection's identity as its handlers read it (``requestContext.authorizer``), without
    ``integrationLatency``: API Gateway's timing of the authorizer, not who connected."""
    if authorizer_context is None:
        return None
    return {key: value for key, value in authorizer_context.items() if key != "integrationLatency"}


def describe_event(event: EventRecord) -> dict[str, Any]:
    """One record, as the Live events panel shows it (absent fields: none to show)."""
    described: dict[str, Any] = {
        "seq": event.seq,
        "at": round(event.at * 1000),
        "kind": event.kind,
        "socket": event.socket,
        "route": event.route,
        "connection": event.connection,
        "status": event.status,
        "ms": round(event.ms, 1),
    }
    if event.identity is not None:
        described["identity"] = identity_of(event.identity)
    if event.body is not None:
        if isinstance(event.body, str):
            described["body"] = event.body
        else:
            try:
                described["body"] = event.body.decode()
            except UnicodeDecodeError:
                described["body"] = event.body.hex(" ")
                described["binary"] = True
        if event.body_length > len(event.body):
            described["bodyLength"] = event.body_length  # the body shown is its beginning
    for name in ("detail", "failure", "channel"):
        value = getattr(event, name)
        if value is not None:
            described[name] = value
    return described
