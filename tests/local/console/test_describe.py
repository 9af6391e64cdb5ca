"""What the console shows of sockets and records (eventual/local/console/describe.py)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from eventual import route, socket
from eventual.local.console.describe import describe_event, describe_socket, identity_of
from eventual.local.feed import EventRecord

URLS = {"wss": "ws://127.0.0.1:3111/__ws/game", "http": "http://127.0.0.1:3111/__ws/game"}


def join(request: Any, context: Any) -> None:
    return None


def log_everything(request: Any, context: Any, next: Any) -> Any:
    return next(request, context)


def test_message_routes_come_after_api_gateway_s_and_none_is_implied() -> None:
    game = socket.use(log_everything).socket(
        "game",
        {"$connect": join, "join": join, "move": join},
        route_selection="$request.body.type",
        timeout=40,
        memory_size=256,
    )
    described = describe_socket(game, URLS)
    assert [(route["key"], route["handler"].split(" (")[0]) for route in described["routes"]] == [
        ("$connect", "join"),
        ("join", "join"),
        ("move", "join"),
    ]  # no $default: the API has none (a message that selects no route gets API Gateway's error)
    assert described["routeSelection"] == "$request.body.type"
    assert described["authorizer"] is None
    assert described["middleware"] == ["log_everything"]
    assert described["options"] == {
        "integrationTimeout": 29.0,  # the Lambda's 40 s, capped by API Gateway's 29 s
        "timeout": 40,
        "memorySize": 256,
        "trackConnections": False,
        "fanOutAbove": None,
    }
    assert described["location"].endswith("tests/local/console/test_describe.py:25")
    assert (described["url"], described["managementUrl"]) == (URLS["wss"], URLS["http"])


def test_a_socket_without_message_routes_has_an_implied_default_with_no_handler() -> None:
    routes = describe_socket(socket("bare", {"$connect": join}), URLS)["routes"]
    assert [route["key"] for route in routes] == ["$connect", "$default"]
    assert routes[0]["handler"].startswith("join (")
    assert routes[1]["handler"] is None


def test_a_typed_route_shows_its_message_and_reply_schemas_and_a_plain_one_none() -> None:
    class Move(BaseModel):
        x: int
        y: int = 0

    class Moved(BaseModel):
        by: str

    board = socket("board", {"move": route(join, message=Move, reply=Moved), "ping": join})
    routes = {r["key"]: r for r in describe_socket(board, URLS)["routes"]}
    assert routes["move"]["message"] == {
        "title": "Move",
        "type": "object",
        "properties": {
            "x": {"title": "X", "type": "integer"},
            "y": {"title": "Y", "type": "integer", "default": 0},
        },
        "required": ["x"],
    }
    assert routes["move"]["reply"] == {
        "title": "Moved",
        "type": "object",
        "properties": {"by": {"title": "By", "type": "string"}},
        "required": ["by"],
    }
    assert "message" not in routes["ping"] and "reply" not in routes["ping"]


def test_a_record_shows_what_it_has() -> None:
    event = EventRecord(
        "message",
        "chat",
        "$default",
        "abc=",
        500,
        3.14159,
        identity={"sub": "ada", "principalId": "ada", "integrationLatency": 3},
        body="hello",
        failure="Traceback ...\nRuntimeError: no",
    )
    event.seq, event.at = 7, 1_770_000_000.1234
    assert describe_event(event) == {
        "seq": 7,
        "at": 1_770_000_000_123,
        "kind": "message",
        "socket": "chat",
        "route": "$default",
        "connection": "abc=",
        "status": 500,
        "ms": 3.1,
        "identity": {"sub": "ada", "principalId": "ada"},
        "body": "hello",
        "failure": "Traceback ...\nRuntimeError: no",
    }


def test_a_binary_body_shows_as_hex_and_a_long_one_says_how_long_it_was() -> None:
    binary = describe_event(EventRecord("management", "chat", "POST", "abc=", 200, 0.1, body=b"\xff\x00A"))
    assert (binary["body"], binary["binary"]) == ("ff 00 41", True)
    assert "bodyLength" not in binary
    text = describe_event(EventRecord("management", "chat", "POST", "abc=", 200, 0.1, body=b"ok"))
    assert (text["body"], "binary" in text) == ("ok", False)
    long = describe_event(EventRecord("message", "chat", "$default", "abc=", 200, 0.1, body="é" * 3000))
    assert (len(long["body"]), long["bodyLength"]) == (2048, 3000)


def test_an_identity_is_who_connected_without_api_gateway_s_timing() -> None:
    assert identity_of({"sub": "ada", "integrationLatency": 12}) == {"sub": "ada"}
    assert identity_of(None) is None
