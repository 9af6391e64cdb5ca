"""The example service: the seed's `mySocket` (JSON-parsing middleware) and `rtc-socket`,
`chat` (examples/chat.py: an authorizer and tracked connections with broadcast) and `lobby`
(examples/lobby.py: message routes selected by ``action``, and a subprotocol).

`rtc-socket` is a signalling relay for WebRTC peers: a message ``{"to": connectionId,
"data": ...}`` is sent on to that connection as ``{"from": senderId, "data": ...}``.
"""

from __future__ import annotations

import json
from typing import Any

from eventual import ConnectionGone, ConnectRequest, Context, MessageRequest, SocketResponse, socket
from eventual.middleware import Next
from examples.chat import chat
from examples.lobby import lobby

__all__ = ["chat", "lobby", "my_socket", "rtc_socket"]


def parse_json(request: MessageRequest, context: Context, next: Next) -> Any:
    """The seed's middleware: parse the message body as JSON into ``context["message"]``."""
    body = request.body
    try:
        message = json.loads(body) if body else None
    except ValueError:
        return SocketResponse(status=400, message={"error": "message is not JSON"})
    return next({**context, "message": message})


parse = socket.use({"message": parse_json})


def on_connect(request: ConnectRequest, context: Context) -> None:
    print(f"{context['socket']}: {request.connection_id} connected")


def on_disconnect(request: Any, context: Context) -> None:
    print(f"{context['socket']}: {request.connection_id} disconnected")


def echo_parsed(request: MessageRequest, context: Context) -> Any:
    """Answer the parsed message, proving the middleware ran."""
    return {"received": context["message"]}


my_socket = parse.socket(
    "mySocket",
    {"$connect": on_connect, "$disconnect": on_disconnect, "$default": echo_parsed},
)


def relay(request: MessageRequest, context: Context) -> Any:
    message = context["message"]
    if not isinstance(message, dict) or not isinstance(message.get("to"), str):
        return {"error": 'send {"to": connectionId, "data": ...}'}
    target = message["to"]
    try:
        rtc_socket.send(target, {"from": request.connection_id, "data": message.get("data")})
    except ConnectionGone:
        return {"error": f"connection {target} is gone"}
    return None


rtc_socket = parse.socket("rtc-socket", {"$default": relay})
