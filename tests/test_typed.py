"""Typed messages in: a socket's or a route's declared type validates each message before its
handler, which finds the value in ``context["message"]``; an invalid message is answered with the
documented error and the connection stays open. Runs through the test client (the same
``dispatch`` as Lambda and ``eventual local``; tests/parity/test_typed.py holds all three)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from pydantic import BaseModel, Field
from typing_extensions import TypedDict  # pydantic needs it before Python 3.12

from eventual import ConfigurationError, Socket, SocketResponse, route, socket
from eventual.testing import SocketTestClient


class Move(BaseModel):
    x: int = Field(ge=0, le=7)
    y: int = Field(ge=0, le=7)


@dataclasses.dataclass
class Chat:
    text: str


class Order(TypedDict):
    item: str
    qty: int


def seen(request: Any, context: dict[str, Any]) -> dict[str, Any]:
    """Answers with what the handler got: the value's type and its fields."""
    message = context["message"]
    fields = dataclasses.asdict(message) if dataclasses.is_dataclass(message) else dict(message)
    return {"type": type(message).__name__, "fields": fields, "route": request.route_key}


def reply(conn: Any, body: str) -> Any:
    answer = conn.send(body)
    assert isinstance(answer, str), answer
    return json.loads(answer)


def test_each_kind_of_type_reaches_the_handler_validated() -> None:
    board = Socket(
        "board",
        {"move": route(seen, message=Move), "order": route(seen, message=Order), "$default": seen},
        message=Chat,
    )
    with SocketTestClient(board).connect("board") as conn:
        assert reply(conn, '{"action": "move", "x": 3, "y": "4"}') == {
            "type": "Move",
            "fields": {"x": 3, "y": 4},  # pydantic's lax mode: "4" is the int 4
            "route": "move",
        }
        assert reply(conn, '{"action": "order", "item": "tea", "qty": 2}') == {
            "type": "dict",
            "fields": {"item": "tea", "qty": 2},  # a TypedDict is a dict, extra keys dropped
            "route": "order",
        }
        assert reply(conn, '{"text": "hi"}') == {
            "type": "Chat",
            "fields": {"text": "hi"},
            "route": "$default",
        }


def test_an_invalid_message_gets_every_problem_and_the_connection_stays_open() -> None:
    board = Socket("board", {"move": route(seen, message=Move)})
    with SocketTestClient(board).connect("board") as conn:
        error = reply(conn, '{"action": "move", "x": 8, "y": "up"}')
        assert error == {
            "message": "Invalid message",
            "route": "move",
            "errors": [
                {
                    "location": ["x"],
                    "message": "Input should be less than or equal to 7",
                    "type": "less_than_equal",
                },
                {
                    "location": ["y"],
                    "message": "Input should be a valid integer, unable to parse string as an integer",
                    "type": "int_parsing",
                },
            ],
            "connectionId": conn.connection_id,
            "requestId": error["requestId"],
        }
        assert len(error["requestId"]) == 16
        assert conn.open
        assert reply(conn, '{"action": "move", "x": 7, "y": 0}')["fields"] == {"x": 7, "y": 0}


def test_both_sides_of_a_limit() -> None:
    board = Socket("board", {"$default": route(seen, message=Move)})
    with SocketTestClient(board).connect("board") as conn:
        assert reply(conn, '{"x": 0, "y": 7}')["fields"] == {"x": 0, "y": 7}
        assert [e["location"] for e in reply(conn, '{"x": -1, "y": 8}')["errors"]] == [["x"], ["y"]]


def test_route_selection_reads_the_raw_body_before_any_type() -> None:
    """A message that names a route is that route's, valid or not; one that is not JSON goes to
    ``$default`` (as API Gateway routes it) and is refused there, at the whole message."""
    board = Socket("board", {"move": route(seen, message=Move), "$default": route(seen, message=Chat)})
    with SocketTestClient(board).connect("board") as conn:
        assert reply(conn, '{"action": "move"}')["route"] == "move"
        error = reply(conn, "hello")
        assert (error["route"], error["errors"][0]["location"], error["errors"][0]["type"]) == (
            "$default",
            [],
            "json_invalid",
        )


def test_a_route_type_wins_over_the_socket_type_and_plain_routes_stay_plain() -> None:
    def plain(request: Any, context: dict[str, Any]) -> dict[str, Any]:
        return {"keys": sorted(context), "body": request.body}

    board = Socket("board", {"move": route(seen, message=Move), "say": plain}, message=Chat)
    untyped = Socket("untyped", {"say": plain, "$default": plain})
    with SocketTestClient([board, untyped]) as client:
        with client.connect("board") as conn:
            assert reply(conn, '{"action": "move", "x": 1, "y": 1}')["type"] == "Move"
            # "say" takes the socket's Chat: the value is in context, the raw body still on the request
            assert reply(conn, '{"action": "say", "text": "hi"}') == {
                "keys": ["message", "service", "socket"],
                "body": '{"action": "say", "text": "hi"}',
            }
            assert reply(conn, '{"action": "say"}')["errors"][0]["location"] == ["text"]
        with client.connect("untyped") as conn:
            assert reply(conn, "not json") == {"keys": ["service", "socket"], "body": "not json"}
    assert untyped.types == {} and not untyped.typed and board.typed


def test_middleware_runs_first_on_the_raw_message_and_sees_the_error_reply() -> None:
    calls: list[Any] = []

    def watch(request: Any, context: dict[str, Any], next: Any) -> Any:
        calls.append(("before", "message" in context))
        result = next({**context, "user": "ada"})
        calls.append(("after", result.status if isinstance(result, SocketResponse) else result))
        return result

    def handler(request: Any, context: dict[str, Any]) -> Any:
        return {"user": context["user"], "x": context["message"].x}

    board = socket.use({"message": watch}).socket(
        "typed-middleware", {"$default": route(handler, message=Move)}
    )
    with SocketTestClient(board).connect("typed-middleware") as conn:
        assert reply(conn, '{"x": 1, "y": 2}') == {"user": "ada", "x": 1}
        assert reply(conn, '{"x": 1}')["message"] == "Invalid message"
    assert calls == [("before", False), ("after", {"user": "ada", "x": 1}), ("before", False), ("after", 400)]


def test_async_handlers_are_validated_too() -> None:
    async def handler(request: Any, context: dict[str, Any]) -> Any:
        return {"text": context["message"].text}

    board = Socket("board", {"$default": handler}, message=Chat)
    with SocketTestClient(board).connect("board") as conn:
        assert reply(conn, '{"text": "hi"}') == {"text": "hi"}
        assert reply(conn, "{}")["errors"] == [
            {"location": ["text"], "message": "Field required", "type": "missing"}
        ]


def test_a_failing_typed_handler_is_logged_under_its_own_name(caplog: pytest.LogCaptureFixture) -> None:
    def explode(request: Any, context: dict[str, Any]) -> Any:
        raise RuntimeError("boom")

    board = Socket("board", {"$default": route(explode, message=Chat)})
    with SocketTestClient(board).connect("board") as conn:
        assert reply(conn, '{"text": "hi"}')["message"] == "Internal server error"
    [line] = [json.loads(r.getMessage()) for r in caplog.records if "boom" in r.getMessage()]
    assert line["function"].startswith(
        f"{test_a_failing_typed_handler_is_logged_under_its_own_name.__name__}.<locals>.explode ("
    )


def test_declaration_mistakes_are_refused_where_they_are_written() -> None:
    class Opaque:
        pass

    with pytest.raises(
        ConfigurationError, match=r"socket 'opaque', route '\$default': Opaque cannot be a message type"
    ):
        socket("opaque", {"$default": route(seen, message=Opaque)})
    with pytest.raises(ValueError, match=r"'\$connect' carries no message"):
        Socket("board", {"$connect": route(seen, message=Chat)})
    with pytest.raises(TypeError, match="route\\(\\) takes the handler first"):
        route("move")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="handler 'move' is not callable"):
        Socket("board", {"move": 42})  # type: ignore[dict-item]
