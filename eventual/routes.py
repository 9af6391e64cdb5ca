"""API Gateway's WebSocket route keys and the event type each one carries."""

from __future__ import annotations

from typing import Literal, TypeAlias

EventType: TypeAlias = Literal["connect", "disconnect", "message"]
EVENT_TYPES: tuple[EventType, ...] = ("connect", "disconnect", "message")

ROUTES: dict[str, EventType] = {
    "$connect": "connect",
    "$disconnect": "disconnect",
    "$default": "message",
}
"""The route keys a socket declares handlers for, and the event type each carries."""


def event_type_of(route_key: str) -> EventType:
    """A route other than ``$connect``/``$disconnect`` carries a message: API Gateway sends a
    message that matches no route to ``$default``."""
    return ROUTES.get(route_key, "message")
