"""``socket(..., subprotocols=("game.v1",))``: the WebSocket subprotocols a socket speaks.

The ``$connect`` step API Gateway's guide describes ("Set up a $connect route that requires a
WebSocket subprotocol"): a client that offers none of them is refused with 400; one that offers
one gets the first it offers that the socket speaks in the handshake's ``Sec-WebSocket-Protocol``
(the header the ``$connect`` response carries, which API Gateway passes on); a client that offers
none at all connects without one (browsers offer none unless asked). The ``$connect`` handler
finds the choice in ``context["subprotocol"]`` and may still answer a header of its own.
"""

from __future__ import annotations

from typing import Any

from eventual.middleware import Handler, is_async, name_of
from eventual.requests import ConnectRequest, Context, SocketResponse

HEADER = "Sec-WebSocket-Protocol"


def negotiating(handler: Handler, subprotocols: tuple[str, ...]) -> Handler:
    """``handler`` (a ``$connect`` handler) behind the choice of a subprotocol."""

    def choose(request: ConnectRequest) -> tuple[str | None, SocketResponse | None]:
        offered = [p.strip() for p in request.headers.get("sec-websocket-protocol", "").split(",")]
        offered = [p for p in offered if p]
        chosen = next((p for p in offered if p in subprotocols), None)
        if offered and chosen is None:
            return None, SocketResponse(400, f"this socket speaks {' or '.join(subprotocols)} only")
        return chosen, None

    if is_async(handler):

        async def connect_async(request: ConnectRequest, context: Context) -> Any:
            chosen, refusal = choose(request)
            if refusal is not None:
                return refusal
            return with_subprotocol(await handler(request, {**context, "subprotocol": chosen}), chosen)

        connect: Handler = connect_async
    else:

        def connect_sync(request: ConnectRequest, context: Context) -> Any:
            chosen, refusal = choose(request)
            if refusal is not None:
                return refusal
            return with_subprotocol(handler(request, {**context, "subprotocol": chosen}), chosen)

        connect = connect_sync
    connect.__wrapped__ = handler  # type: ignore[attr-defined]
    connect.__qualname__ = connect.__name__ = name_of(handler)
    return connect


def with_subprotocol(result: Any, chosen: str | None) -> Any:
    """An accepting answer, with the chosen subprotocol unless it names one itself."""
    if chosen is None:
        return result
    if result is None or not isinstance(result, SocketResponse):
        return SocketResponse(200, headers={HEADER: chosen})
    if result.status >= 300 or any(name.lower() == HEADER.lower() for name in result.headers):
        return result
    return SocketResponse(result.status, result.message, {**result.headers, HEADER: chosen})
