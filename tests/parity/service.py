"""The service the parity suite runs on both sides: a presence app (issue 12's note).

``presence`` tracks who is online, identified by its authorizer; ``admin`` lists their names and
reads API Gateway's record of a connection; ``guarded`` runs a message middleware that may fail;
``gate`` decides at ``$connect`` and echoes messages; ``orders`` takes typed orders.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field

from eventual import ConnectRequest, MessageRequest, SocketResponse, Unauthorized, route, socket


def who(request: ConnectRequest) -> dict[str, Any]:
    name = request.query.get("name")
    if not name:
        raise Unauthorized()
    return {"principalId": name, "name": name, "admin": name == "root"}


presence = socket(
    "presence", {"$default": lambda request, context: "ok"}, authorizer=who, track_connections=True
)


def online(request: MessageRequest, context: Any) -> list[str]:
    """The names of who is online: what the presence app shows."""
    return sorted(str((record["identity"] or {}).get("name")) for record in presence.connections())


admin = socket(
    "admin",
    {
        "online": online,
        "records": lambda request, context: list(presence.connections()),
        "info": lambda request, context: presence.connection_info(json.loads(request.body)["id"]),
    },
)


def require_token(request: Any, context: Any, next: Any) -> Any:
    if request.body != "token":
        raise PermissionError("no token")
    return next()


guarded = socket.use({"message": require_token}).socket(
    "guarded", {"$default": lambda request, context: "in"}
)


def admit(request: ConnectRequest, context: Any) -> SocketResponse | None:
    """``$connect`` decides: a 4xx refuses the handshake with that status and message."""
    return None if request.query.get("ok") == "1" else SocketResponse(403, "closed today")


gate = socket("gate", {"$connect": admit, "$default": lambda request, context: {"echo": request.body}})


class Order(BaseModel):
    """What a client orders: ``{"action": "order", "item": "tea", "qty": 2}``."""

    item: str = Field(min_length=1)
    qty: int = Field(ge=1, le=10)


class Placed(BaseModel):
    item: str
    qty: int
    by: str


def place(request: MessageRequest, context: Any) -> Placed:
    """A typed route: the order arrives validated, the reply is a model."""
    order: Order = context["message"]
    return Placed(item=order.item, qty=order.qty, by=request.connection_id)


def hint(request: MessageRequest, context: Any) -> str:
    return "send an order"


orders = socket("orders", {"order": route(place, message=Order, reply=Placed), "$default": hint})
