"""`lobby`: message routes, selected by a JSON message's ``action`` as API Gateway selects them,
and a subprotocol chosen at ``$connect``.

- ``{"action": "ping", ...}`` runs ``ping``, which answers ``{"pong": <the message>}``;
- ``{"action": "whoami"}`` runs ``whoami``, which answers the caller's connection id;
- anything else (other actions, text that is not JSON, binary) reaches ``$default``, which answers
  with the actions there are.

A client may ask for the subprotocol ``lobby.v1`` (``new WebSocket(url, "lobby.v1")``): ``$connect``
selects it. A client that offers only other subprotocols is refused with 400.
"""

from __future__ import annotations

import json
from typing import Any

from eventual import ConnectRequest, Context, MessageRequest, SocketResponse, socket

SUBPROTOCOL = "lobby.v1"
ACTIONS = ("ping", "whoami")


def choose_subprotocol(request: ConnectRequest, context: Context) -> SocketResponse | None:
    """Select ``lobby.v1`` if offered; accept clients that offer none; refuse the others."""
    offered = [p.strip() for p in request.headers.get("sec-websocket-protocol", "").split(",") if p.strip()]
    if not offered:
        return None
    if SUBPROTOCOL in offered:
        return SocketResponse(200, headers={"Sec-WebSocket-Protocol": SUBPROTOCOL})
    return SocketResponse(400, f"this socket speaks {SUBPROTOCOL} only")


def ping(request: MessageRequest, context: Context) -> Any:
    return {"pong": json.loads(request.body)}


def whoami(request: MessageRequest, context: Context) -> Any:
    return {"connectionId": request.connection_id, "route": request.route_key}


def unknown_action(request: MessageRequest, context: Context) -> Any:
    return {"error": "unknown action", "actions": list(ACTIONS), "route": request.route_key}


lobby = socket(
    "lobby",
    {"$connect": choose_subprotocol, "ping": ping, "whoami": whoami, "$default": unknown_action},
)
