"""Typed routes: ``route(handler, message=, reply=)``, and the step that validates a message.

A socket declares the type of every message route's messages with ``socket(..., message=T)``; one
route declares its own with ``route(handler, message=T)``, and what it answers with ``reply=R``
(for the AsyncAPI document; a handler may return an ``R`` instance, which is sent as JSON). Before
a typed route's handler runs, its message is validated: the handler gets the value in
``context["message"]``, after every middleware; an invalid message never reaches the handler and
is answered with :func:`invalid_message` as the route response, the connection left open. Route
selection reads the raw body before any of this, as API Gateway does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eventual.middleware import Handler, is_async, name_of
from eventual.models import MessageType, Problem
from eventual.records import Record, init_fields
from eventual.requests import Context, SocketResponse

if TYPE_CHECKING:
    from eventual.requests import MessageRequest

INVALID_MESSAGE = "Invalid message"
INVALID_STATUS = 400
"""The route response's status; API Gateway passes the body to the client as the reply
("Set up route responses for WebSocket APIs in API Gateway"), whatever the status."""


class Route(Record):
    """A handler with the types of what its route takes and answers (see :func:`route`)."""

    __slots__ = ("handler", "message", "reply")

    handler: Handler
    message: MessageType | None
    reply: MessageType | None

    def __init__(self, handler: Handler, message: MessageType | None, reply: MessageType | None) -> None:
        init_fields(self, handler=handler, message=message, reply=reply)


def route(handler: Handler, *, message: Any = None, reply: Any = None) -> Route:
    """One route's handler with its types: ``{"move": route(move, message=Move, reply=Moved)}``.

    ``message``: the type its messages are validated against (a pydantic model, dataclass,
    ``TypedDict``...), given to the handler in ``context["message"]``; wins over the socket's
    ``message=``. ``reply``: the type of what it returns, for the service's AsyncAPI document.
    """
    if not callable(handler):
        raise TypeError(f"route() takes the handler first, got {handler!r}")
    return Route(
        handler,
        None if message is None else MessageType(message),
        None if reply is None else MessageType(reply),
    )


def validating(handler: Handler, message_type: MessageType) -> Handler:
    """``handler`` behind the validation of its messages (``def`` or ``async def`` like it)."""
    if is_async(handler):

        async def typed_async(request: MessageRequest, context: Context) -> Any:
            value, problems = message_type.validate(request.body)
            if problems is not None:
                return invalid_message(request, problems)
            return await handler(request, {**context, "message": value})

        typed: Handler = typed_async
    else:

        def typed_sync(request: MessageRequest, context: Context) -> Any:
            value, problems = message_type.validate(request.body)
            if problems is not None:
                return invalid_message(request, problems)
            return handler(request, {**context, "message": value})

        typed = typed_sync
    # Failure logs and checks name the user's handler, not this wrapper (middleware.describe).
    typed.__wrapped__ = handler  # type: ignore[attr-defined]
    typed.__qualname__ = typed.__name__ = name_of(handler)
    return typed


def invalid_message(request: MessageRequest, problems: list[Problem]) -> SocketResponse:
    """The reply to a message its route's type refuses, shaped like API Gateway's own error
    messages (``message``, ``connectionId``, ``requestId``) plus the route and each problem::

        {"message": "Invalid message", "route": "move",
         "errors": [{"location": ["x"], "message": "Field required", "type": "missing"}],
         "connectionId": "L0SM9cOFvHcCIhw=", "requestId": "L0SM9cOFvHcCIhw="}
    """
    body = {
        "message": INVALID_MESSAGE,
        "route": request.route_key,
        "errors": problems,
        "connectionId": request.connection_id,
        "requestId": request.request_id,
    }
    return SocketResponse(INVALID_STATUS, body)
