"""`lobby`: message routes, selected by a JSON message's ``action`` as API Gateway selects them,
a typed route and a subprotocol.

- ``{"action": "ping", ...}`` runs ``ping``, which answers ``{"pong": <the message>}``;
- ``{"action": "whoami"}`` runs ``whoami``, which answers the caller's connection id;
- ``{"action": "move", "x": 3, "y": 4}`` runs ``move``, typed: ``x`` and ``y`` are squares of an
  8x8 board (0-7); the answer is a ``Moved``, and an invalid move gets the ``Invalid message`` error;
- anything else (other actions, text that is not JSON, binary) reaches ``$default``, which answers
  with the actions there are.

A client may ask for the subprotocol ``lobby.v1`` (``new WebSocket(url, "lobby.v1")``): the
handshake selects it. A client that offers only other subprotocols is refused with 400.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field

from eventual import Context, MessageRequest, route, socket

SUBPROTOCOL = "lobby.v1"
ACTIONS = ("ping", "whoami", "move")


class Move(BaseModel):
    """A move to a square of the lobby's 8x8 board."""

    x: int = Field(ge=0, le=7)
    y: int = Field(ge=0, le=7)


class Moved(BaseModel):
    """Who moved where."""

    by: str
    x: int
    y: int


class WhoAmI(BaseModel):
    connectionId: str
    route: str


def ping(request: MessageRequest, context: Context) -> Any:
    return {"pong": json.loads(request.body)}


def whoami(request: MessageRequest, context: Context) -> WhoAmI:
    """The caller's connection id."""
    return WhoAmI(connectionId=request.connection_id, route=request.route_key)


def move(request: MessageRequest, context: Context) -> Moved:
    """Move to a square of the board; the reply says who moved where."""
    to: Move = context["message"]
    return Moved(by=request.connection_id, x=to.x, y=to.y)


def unknown_action(request: MessageRequest, context: Context) -> Any:
    return {"error": "unknown action", "actions": list(ACTIONS), "route": request.route_key}


lobby = socket(
    "lobby",
    {
        "ping": ping,
        "whoami": route(whoami, reply=WhoAmI),
        "move": route(move, message=Move, reply=Moved),
        "$default": unknown_action,
    },
    subprotocols=(SUBPROTOCOL,),
)
