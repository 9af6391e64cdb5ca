"""The service's AsyncAPI 3.0 document: what a client may send each socket and what it gets back.

One server and one channel per socket (the server is its host, the channel its path: a socket of a
deployed stage is ``wss://<api>.execute-api.<region>.amazonaws.com`` and ``/<stage>``, locally
``ws://localhost:3111`` and ``/__ws/<name>``), and per route an operation the service ``receive``\\ s:
its message (the route's type, and the property route selection reads), its reply (the ``reply=``
type, and the error a typed route answers an invalid message with). What a socket ``pushes=``
is one ``send`` operation. JSON Schemas come from pydantic (``TypeAdapter.json_schemas``), their
definitions under ``components/schemas``. A socket's authorizer's declared inputs (the identity
sources of ``socket_authorizer_options``) are security schemes and the channel's WebSocket
binding; a socket's ``subprotocols`` the binding's ``Sec-WebSocket-Protocol`` header.

Built by the dev server (``/__eventual/asyncapi.json``) and at synth, never in Lambda: the
construct writes it into the asset and the HTTP API's function fills in the URLs
(:func:`eventual.service_document.with_socket_urls`). pydantic is imported only for typed sockets.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any

from eventual.models import SCHEMA_REF, MessageType
from eventual.routes import DEFAULT_ROUTE_SELECTION, selection_path
from eventual.service_document import _key, with_socket_urls
from eventual.sockets import Socket

ASYNCAPI_VERSION = "3.0.0"
WS_BINDING_VERSION = "0.1.0"
CONTENT_TYPE = "application/json"
INVALID_MESSAGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "InvalidMessage",
    "description": "The reply to a message its route's type refuses; the connection stays open.",
    "properties": {
        "message": {"const": "Invalid message"},
        "route": {"type": "string", "description": "The route the message was selected for."},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "location": {
                        "type": "array",
                        "items": {"type": ["string", "integer"]},
                        "description": "The path to the offending value; empty for the whole message.",
                    },
                    "message": {"type": "string"},
                    "type": {"type": "string", "description": "pydantic's error type, e.g. missing"},
                },
                "required": ["location", "message", "type"],
            },
        },
        "connectionId": {"type": "string"},
        "requestId": {"type": "string"},
    },
    "required": ["message", "route", "errors", "connectionId", "requestId"],
}
_SOURCES = {"route.request.querystring.": "query", "route.request.header.": "header"}


def asyncapi_document(
    service: str,
    stage: str,
    sockets: Mapping[str, Socket],
    *,
    urls: Mapping[str, str] | None = None,
    identity_sources: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """The AsyncAPI document of ``stage`` of ``service``. ``urls`` (socket -> ``wss://`` URL) place
    each socket's server and channel; without them the servers have no host yet (synth).
    ``identity_sources``: per socket, its authorizer's (``route.request.querystring.key``...)."""
    schemas = _Schemas(sockets)
    document: dict[str, Any] = {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": service,
            "version": stage,
            "description": f"The WebSocket API of service {service}, stage {stage}: one channel per socket.",
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {},
        "channels": {},
        "operations": {},
        "components": {"schemas": {}, "securitySchemes": {}},
    }
    sources = identity_sources or {}
    for name, sock in sorted(sockets.items()):
        _describe_socket(document, sock, schemas, tuple(sources.get(name, ())))
    components = document["components"]
    components["schemas"] = dict(sorted(schemas.definitions.items()))
    if schemas.invalid_used:
        components["schemas"]["InvalidMessage"] = INVALID_MESSAGE_SCHEMA
    if not components["securitySchemes"]:
        del components["securitySchemes"]
    return with_socket_urls(document, urls or {})


class _Schemas:
    """Every declared type's JSON Schema, made in one pydantic call so that definitions of the
    same name from different types are told apart."""

    def __init__(self, sockets: Mapping[str, Socket]) -> None:
        inputs = {r.message for s in sockets.values() for r in s.types.values() if r.message}
        outputs = {r.reply for s in sockets.values() for r in s.types.values() if r.reply}
        outputs |= {t for s in sockets.values() for t in s.pushes}
        self.definitions: dict[str, Any] = {}
        self.invalid_used = False
        self._schemas: dict[tuple[MessageType, str], dict[str, Any]] = {}
        keyed = [(t, "validation") for t in inputs] + [(t, "serialization") for t in outputs]
        if not keyed:
            return
        from pydantic import TypeAdapter

        made, definitions = TypeAdapter.json_schemas(
            [(key, key[1], key[0].adapter()) for key in keyed],  # type: ignore[misc]
            ref_template=SCHEMA_REF,
        )
        self._schemas = {key: schema for (key, _), schema in made.items()}
        self.definitions = dict(definitions.get("$defs", {}))

    def of(self, message_type: MessageType, mode: str) -> dict[str, Any]:
        return dict(self._schemas[(message_type, mode)])


def _describe_socket(
    document: dict[str, Any], sock: Socket, schemas: _Schemas, sources: tuple[str, ...]
) -> None:
    key = _key(sock.name)
    channel_ref = {"$ref": f"#/channels/{key}"}
    server: dict[str, Any] = {
        "host": "",
        "protocol": "wss",
        "title": sock.name,
        "description": f"Socket {sock.name}: an API Gateway WebSocket API (locally, the dev server).",
    }
    messages: dict[str, Any] = {}
    channel: dict[str, Any] = {
        "address": None,
        "title": sock.name,
        "description": _socket_description(sock),
        "servers": [{"$ref": f"#/servers/{key}"}],
        "messages": messages,
    }
    binding = _ws_binding(sock, sources)
    if binding:
        channel["bindings"] = {"ws": {**binding, "bindingVersion": WS_BINDING_VERSION}}
    if sock.options.authorizer is not None:
        schemes = _security_schemes(key, sources)
        document["components"]["securitySchemes"].update(schemes)
        if schemes:
            server["security"] = [{"$ref": f"#/components/securitySchemes/{name}"} for name in schemes]
        else:
            server["description"] += " A Lambda authorizer admits each connection; its inputs are undeclared."
    document["servers"][key] = server
    document["channels"][key] = channel
    routes = [r for r in (*sock.message_routes, "$default") if r in sock.handlers or r == "$default"]
    for route in routes:
        if route == "$default" and not sock.has_default_route:
            continue
        _describe_route(document, sock, route, schemas, channel_ref, messages)
    if sock.pushes:
        pushed = []
        for message_type in sock.pushes:
            message_key = _key(message_type.name)
            messages[message_key] = _message(message_type.name, schemas.of(message_type, "serialization"))
            pushed.append({"$ref": f"#/channels/{key}/messages/{message_key}"})
        document["operations"][f"{key}.push"] = {
            "action": "send",
            "channel": channel_ref,
            "title": f"{sock.name}: pushed to clients",
            "summary": "What the service sends on its own (send, broadcast), not as a reply.",
            "messages": pushed,
        }


def _describe_route(
    document: dict[str, Any],
    sock: Socket,
    route: str,
    schemas: _Schemas,
    channel_ref: dict[str, str],
    messages: dict[str, Any],
) -> None:
    key, route_id = _key(sock.name), _key(route.lstrip("$"))
    declared = sock.types.get(route)
    handler = sock.handlers.get(route)
    if declared is not None and declared.message is not None:
        payload = schemas.of(declared.message, "validation")
        title = declared.message.name
    else:
        payload, title = {}, "any message" if route == "$default" else f"{route} message"
    if route != "$default":
        payload = _with_selection(payload, sock, route)
    messages[route_id] = _message(title, payload, _route_summary(sock, route))
    operation: dict[str, Any] = {
        "action": "receive",
        "channel": channel_ref,
        "title": f"{sock.name}: {route}",
        "messages": [{"$ref": f"#/channels/{key}/messages/{route_id}"}],
    }
    doc = inspect.cleandoc(getattr(handler, "__doc__", None) or "")
    if doc:
        operation["summary"] = doc.splitlines()[0]
        if len(doc.splitlines()) > 1:
            operation["description"] = doc
    replies = []
    if declared is not None and declared.reply is not None:
        reply_id = f"{route_id}.reply"
        messages[reply_id] = _message(declared.reply.name, schemas.of(declared.reply, "serialization"))
        replies.append({"$ref": f"#/channels/{key}/messages/{reply_id}"})
    if declared is not None and declared.message is not None:
        schemas.invalid_used = True
        messages["InvalidMessage"] = _message(
            "InvalidMessage",
            {"$ref": SCHEMA_REF.format(model="InvalidMessage")},
            "A message its route refuses.",
        )
        replies.append({"$ref": f"#/channels/{key}/messages/InvalidMessage"})
    if replies:
        operation["reply"] = {"channel": channel_ref, "messages": replies}
    document["operations"][f"{key}.{route_id}"] = operation


def _message(title: str, payload: dict[str, Any], summary: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"name": title, "title": title, "contentType": CONTENT_TYPE, "payload": payload}
    if summary:
        message["summary"] = summary
    return message


def _with_selection(payload: dict[str, Any], sock: Socket, route: str) -> dict[str, Any]:
    """The message's schema, and the property route selection reads equal to the route's key."""
    path = selection_path(sock.name, sock.options.route_selection)
    selector: dict[str, Any] = {"const": route}
    for part in reversed(path):
        selector = {"type": "object", "properties": {part: selector}, "required": [part]}
    return {"allOf": [payload, selector]} if payload else selector


def _route_summary(sock: Socket, route: str) -> str:
    if route == "$default":
        others = "selects no other route" if sock.message_routes else "the socket receives"
        return f"Any message that {others} (text that is not JSON included)."
    expression = sock.options.route_selection
    where = "`action`" if expression == DEFAULT_ROUTE_SELECTION else f"`{expression}`"
    return f"A JSON message whose {where} is `{route}`."


def _socket_description(sock: Socket) -> str:
    parts = [f"Socket `{sock.name}`: connect, then send JSON messages; replies come back on the connection."]
    if sock.options.authorizer is not None:
        parts.append("Connecting runs its authorizer first (401 or 403 refuse the handshake).")
    if sock.options.subprotocols:
        parts.append(f"Subprotocols: {', '.join(sock.options.subprotocols)}.")
    return " ".join(parts)


def _ws_binding(sock: Socket, sources: tuple[str, ...]) -> dict[str, Any]:
    """The WebSocket channel binding: the handshake's query and headers, where declared."""
    inputs: dict[str, dict[str, Any]] = {"query": {}, "header": {}}
    for source in sources:
        for prefix, where in _SOURCES.items():
            if source.startswith(prefix):
                inputs[where][source[len(prefix) :]] = {
                    "type": "string",
                    "description": "read by the authorizer",
                }
    if sock.options.subprotocols:
        inputs["header"]["Sec-WebSocket-Protocol"] = {
            "type": "string",
            "description": "The subprotocols the client offers; the socket speaks "
            + ", ".join(sock.options.subprotocols),
            "examples": list(sock.options.subprotocols),
        }
    binding: dict[str, Any] = {"method": "GET"} if any(inputs.values()) else {}
    for where, field in (("query", "query"), ("header", "headers")):
        if inputs[where]:
            binding[field] = {
                "type": "object",
                "properties": inputs[where],
                "required": sorted(inputs[where]),
            }
    return binding


def _security_schemes(key: str, sources: tuple[str, ...]) -> dict[str, Any]:
    schemes = {}
    for source in sources:
        for prefix, where in _SOURCES.items():
            if source.startswith(prefix):
                name = source[len(prefix) :]
                schemes[f"{key}.{_key(name)}"] = {
                    "type": "httpApiKey",
                    "name": name,
                    "in": where if where == "query" else "header",
                    "description": "Read by the socket's authorizer; a connect without it gets 401.",
                }
    return schemes
