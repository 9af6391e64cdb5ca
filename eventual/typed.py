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

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from eventual.middleware import Handler, is_async, name_of
from eventual.models import MessageType, Problem
from eventual.records import Record, init_fields
from eventual.requests import Context, SocketResponse
from eventual.routes import event_type_of

if TYPE_CHECKING:
    from eventual.requests import MessageRequest
    from eventual.sockets import Socket

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


def typed_handlers(
    name: str, handlers: Mapping[str, Handler | Route], message: Any, pushes: tuple[Any, ...]
) -> tuple[dict[str, Handler], dict[str, Route], tuple[MessageType, ...]]:
    """A socket's handlers (each ``route(...)``'s own), its typed routes and the types it pushes."""
    plain: dict[str, Handler] = {}
    routes: dict[str, Route] = {}
    for key, fn in handlers.items():
        if isinstance(fn, Route):
            routes[key], fn = fn, fn.handler
        elif not callable(fn):
            raise TypeError(f"socket {name!r}: handler {key!r} is not callable: {fn!r}")
        plain[key] = fn
    shared = None if message is None else MessageType(message)
    typed: dict[str, Route] = {}
    for key, handler in plain.items():
        declared = routes.get(key)
        if event_type_of(key) != "message":
            if declared is not None and (declared.message or declared.reply):
                raise ValueError(
                    f"socket {name!r}: {key!r} carries no message; message= and reply= type message "
                    "routes and $default"
                )
            continue
        own = declared or Route(handler, None, None)
        if own.message is None and shared is not None:
            own = Route(handler, shared, own.reply)
        if own.message is not None or own.reply is not None:
            typed[key] = own
    return plain, typed, tuple(MessageType(t) for t in pushes)


def declared_handlers(sock: Socket) -> dict[str, Handler]:
    """The socket's handlers behind what it declares: a typed route's behind the validation of its
    messages, ``$connect`` behind the choice of a subprotocol (:mod:`eventual.subprotocols`)."""
    checked: dict[str, Handler] = {}
    for key, handler in sock.handlers.items():
        message_type = sock.types[key].message if key in sock.types else None
        checked[key] = handler if message_type is None else validating(handler, message_type)
    if sock.options.subprotocols:
        from eventual.subprotocols import negotiating

        connect = checked.get("$connect", lambda request, context: None)
        checked["$connect"] = negotiating(connect, sock.options.subprotocols)
    return checked


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
