"""API Gateway's WebSocket routes: route keys, the event type each carries, and route selection.

Besides the predefined ``$connect``, ``$disconnect`` and ``$default``, a socket may declare
*message routes* under keys of its own. API Gateway evaluates the API's route selection
expression against each incoming message and invokes the route whose key equals the result;
a message that is not JSON, or whose result names no route, goes to ``$default``; with no
``$default`` route, API Gateway answers the client with an error ("Create routes for WebSocket
APIs in API Gateway", section "Route selection expressions", API Gateway Developer Guide).
:func:`select_route` does the same for the dev server and the test client, so they route
exactly as the deployed API does.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal, TypeAlias

EventType: TypeAlias = Literal["connect", "disconnect", "message"]
EVENT_TYPES: tuple[EventType, ...] = ("connect", "disconnect", "message")

ROUTES: dict[str, EventType] = {
    "$connect": "connect",
    "$disconnect": "disconnect",
    "$default": "message",
}
"""The predefined route keys and the event type each carries."""

DEFAULT_ROUTE_SELECTION = "$request.body.action"
"""API Gateway's (and the console's) default route selection expression."""

_BODY = "request.body."


def event_type_of(route_key: str) -> EventType:
    """A route other than ``$connect``/``$disconnect`` carries a message: a message route, or
    ``$default`` for a message that matches no route."""
    return ROUTES.get(route_key, "message")


def check_route_key(socket_name: str, key: object) -> str:
    """A handler key is a predefined route or a message route; ``$`` starts only predefined ones
    (API Gateway reserves them)."""
    if not isinstance(key, str) or not key.strip():
        raise ValueError(f"socket {socket_name!r}: a route key is a non-empty string, got {key!r}")
    if key.startswith("$") and key not in ROUTES:
        raise ValueError(
            f"socket {socket_name!r}: unknown route {key!r}; keys starting with '$' are API "
            f"Gateway's own ({', '.join(ROUTES)}); name a message route without the '$'"
        )
    return key


def selection_path(socket_name: str, expression: object) -> tuple[str, ...]:
    """The JSON path of a route selection expression, ``$request.body.action`` -> ``("action",)``.

    Supported: ``$request.body.<path>`` and ``${request.body.<path>}`` with a dotted path of
    property names, which is what WebSocket APIs evaluate. Refused: other variables, literal
    text around the variable, array indexes and JSONPath filters, which this library cannot
    reproduce locally exactly as API Gateway evaluates them.
    """
    text = expression if isinstance(expression, str) else ""
    if text.startswith("${") and text.endswith("}"):
        text = "$" + text[2:-1]
    path = text[1 + len(_BODY) :].split(".") if text.startswith("$" + _BODY) else []
    if not path or not all(part and part.replace("_", "").replace("-", "").isalnum() for part in path):
        raise ValueError(
            f"socket {socket_name!r}: unsupported route selection expression {expression!r}; use "
            "'$request.body.<property>' (or '${request.body.<property>}'), with a dotted path of "
            "property names such as '$request.body.meta.type'"
        )
    return tuple(path)


def select_route(path: tuple[str, ...], routes: Collection[str], body: str | bytes) -> str | None:
    """The message route ``body`` selects, or ``None`` where API Gateway would fall back to
    ``$default``: a binary or non-JSON message, a missing property, or a value naming no route.

    API Gateway stringifies the selected value before matching (so ``5`` matches route ``"5"``
    and ``true`` matches ``"true"``).
    """
    if not routes or not isinstance(body, str):
        return None
    import json  # only sockets with message routes pay for it

    try:
        value: object = json.loads(body)
    except ValueError:
        return None
    for part in path:
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    key = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return key if key in routes else None
