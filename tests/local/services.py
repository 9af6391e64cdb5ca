"""Sockets the dev server tests serve (in process, and as `--entry tests.local.services`).

``local-lab`` records every event and takes commands in its messages, so a test drives a
handler's behaviour from a real client and then checks what the handler saw.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from eventual import (
    ConnectionGone,
    ConnectRequest,
    Context,
    DisconnectRequest,
    Forbidden,
    MessageRequest,
    SocketResponse,
    socket,
)

EVENTS: list[dict[str, Any]] = []
_changed = threading.Condition()
RELEASE = threading.Event()
"""The ``block`` command waits for this: a handler that blocks until the test says so."""
RELEASE_ROOM = threading.Event()
"""``local-room``'s authorizer (user ``slow``) and ``$connect`` (query ``hold``) wait for this."""


def record(event: dict[str, Any]) -> None:
    with _changed:
        EVENTS.append(event)
        _changed.notify_all()


def wait_for(predicate: Callable[[dict[str, Any]], bool], timeout: float = 10.0) -> dict[str, Any]:
    """The first recorded event matching ``predicate``, waiting for it if need be."""
    with _changed:
        found: list[dict[str, Any]] = []

        def match() -> bool:
            found[:] = [event for event in EVENTS if predicate(event)][:1]
            return bool(found)

        if not _changed.wait_for(match, timeout):
            raise AssertionError(f"no such event within {timeout} s; recorded: {EVENTS[-5:]}")
        return found[0]


def recorded(predicate: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
    """The events recorded so far that match ``predicate``, without waiting."""
    with _changed:
        return [event for event in EVENTS if predicate(event)]


def events_of(connection_id: str) -> list[dict[str, Any]]:
    with _changed:
        return [event for event in EVENTS if event["id"] == connection_id]


# -- local-echo: $default returns the message ------------------------------------------------

echo = socket("local-echo", {"$default": lambda request, context: request.body})


async def async_echo(request: MessageRequest, context: Context) -> str:
    await asyncio.sleep(0)
    if request.body == "thread":
        return threading.current_thread().name
    if request.body == "exit":
        sys.exit(4)
    return f"async:{request.body}"


async_socket = socket("local-async", {"$default": async_echo})


# -- local-lab: records everything, obeys commands --------------------------------------------


HANG_UP: dict[str, float] = {}
"""Connections whose ``$disconnect`` takes this many seconds (the ``hangup:S`` command)."""


def lab_connect(request: ConnectRequest, context: Context) -> Any:
    query = dict(request.query)
    event: dict[str, Any] = {
        "type": "connect",
        "id": request.connection_id,
        "query": query,
        "headers": dict(request.headers),
        "event": dict(request.event),
        "context": dict(context),
    }
    if "sendself" in query:
        try:
            lab.send(request.connection_id, "too early")
            event["sendself"] = "sent"
        except ConnectionGone:
            event["sendself"] = "gone"
    record(event)
    if "raise" in query:
        raise RuntimeError("refused by an exception")
    if "reject" in query:
        return SocketResponse(status=int(query["reject"]), message="refused by $connect")
    if "status" in query:  # any status at all, valid or not
        return SocketResponse(status=int(query["status"]))
    return None


def lab_disconnect(request: DisconnectRequest, context: Context) -> None:
    time.sleep(HANG_UP.pop(request.connection_id, 0.0))
    record(
        {
            "type": "disconnect",
            "id": request.connection_id,
            "code": request.status_code,
            "reason": request.reason,
            "event": dict(request.event),
        }
    )


def lab_message(request: MessageRequest, context: Context) -> Any:
    body = request.body
    assert isinstance(body, str)
    record({"type": "message", "id": request.connection_id, "body": body, "event": dict(request.event)})
    command, _, argument = body.partition(":")
    me = request.connection_id
    if command == "whoami":
        return me
    if command == "boom":
        raise RuntimeError("handler failed on purpose")
    if command == "block":
        RELEASE.wait(10)
        return "released"
    if command == "push":  # send to itself from inside its handler, then answer
        for part in argument.split(","):
            lab.send(me, part)
        return "reply"
    if command == "info":
        return lab.connection_info(me)
    if command == "bye":
        lab.disconnect(me)
        return None
    if command == "json":
        return {"echo": argument, "list": [1, 2]}
    if command == "bytes":
        return argument.encode()
    if command == "stats":
        with _changed:
            disconnects = [event for event in EVENTS if event["type"] == "disconnect"]
        codes: dict[str, int] = {}
        for event in disconnects:
            codes[str(event["code"])] = codes.get(str(event["code"]), 0) + 1
        return {"disconnects": len(disconnects), "codes": codes}
    if command == "silent":
        return None
    if command == "hangup":
        HANG_UP[me] = float(argument)
        return "ok"
    if command == "exit":  # a BaseException out of user code
        sys.exit(3)
    if command == "notutf8":
        return b"\xff\xfe" + argument.encode()
    return f"lab:{body}"


lab = socket("local-lab", {"$connect": lab_connect, "$disconnect": lab_disconnect, "$default": lab_message})


# -- local-room: an authorizer and tracked connections ----------------------------------------


def room_authorizer(request: ConnectRequest) -> dict[str, Any] | None:
    """``?user=NAME`` (or an ``X-User`` header) allows, as NAME; some names misbehave on purpose."""
    user = request.query.get("user") or request.headers.get("x-user")
    if not user:
        return None  # 401
    if user == "banned":
        raise Forbidden("banned on purpose")
    if user == "explode":
        raise RuntimeError("authorizer failed on purpose")
    if user == "nested":
        return {"roles": ["a", "b"]}  # API Gateway cannot pass this: 500
    if user == "slow":
        RELEASE_ROOM.wait(10)
    return {"sub": user, "admin": user == "ada", "level": 3}


def room_connect(request: ConnectRequest, context: Context) -> None:
    record(
        {
            "type": "connect",
            "id": request.connection_id,
            "query": dict(request.query),
            "identity": dict(request.identity or {}),
        }
    )
    if "hold" in request.query:
        RELEASE_ROOM.wait(10)


def room_disconnect(request: DisconnectRequest, context: Context) -> None:
    identity = dict(request.identity or {})
    record(
        {"type": "disconnect", "id": request.connection_id, "code": request.status_code, "identity": identity}
    )
    if identity.get("sub") == "crash":
        raise RuntimeError("$disconnect failed on purpose")


def room_message(request: MessageRequest, context: Context) -> Any:
    body = request.body
    assert isinstance(body, str)
    command, _, argument = body.partition(":")
    me = request.connection_id
    if command == "whoami":
        return me
    if command == "identity":
        return dict(request.identity or {})
    if command in ("others", "everyone"):
        result = room.broadcast(argument, exclude=me if command == "others" else ())
        return {"delivered": result.delivered, "gone": result.gone}
    if command == "connections":
        return sorted(c["connectionId"] for c in room.connections())
    return f"room:{body}"


room = socket(
    "local-room",
    {"$connect": room_connect, "$disconnect": room_disconnect, "$default": room_message},
    authorizer=room_authorizer,
    track_connections=True,
)


# -- local-slow: a Lambda timeout of 1 s, under API Gateway's 29 s -----------------------------


def slow_message(request: MessageRequest, context: Context) -> str:
    body = request.body
    assert isinstance(body, str)
    command, _, argument = body.partition(":")
    if command == "sleep":
        time.sleep(float(argument))
    record({"type": "slow", "id": request.connection_id, "body": body})
    return f"slow:{body}"


def slow_connect(request: ConnectRequest, context: Context) -> None:
    if "sleep" in request.query:
        time.sleep(float(request.query["sleep"]))


def slow_authorizer(request: ConnectRequest) -> dict[str, Any]:
    """Allows everyone; ``?authsleep=S`` takes S seconds first, and records when it is done."""
    if "authsleep" in request.query:
        time.sleep(float(request.query["authsleep"]))
        record({"type": "slow-authorized", "id": request.connection_id, "query": dict(request.query)})
    return {"sub": "anyone"}


slow = socket(
    "local-slow",
    {"$connect": slow_connect, "$default": slow_message},
    timeout=1,
    authorizer=slow_authorizer,
)
