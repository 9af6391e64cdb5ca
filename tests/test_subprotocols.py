"""``socket(..., subprotocols=...)``: the handshake's subprotocol, chosen as API Gateway's guide
shows ("Set up a $connect route that requires a WebSocket subprotocol"), on the shared dispatch
path (here through the test client; examples/lobby.py runs it under eventual local too)."""

from __future__ import annotations

from typing import Any

import pytest

from eventual import Socket, SocketResponse
from eventual.socket_options import SocketOptions
from eventual.testing import Rejected, SocketTestClient


def offer(client: SocketTestClient, protocols: str | None) -> Any:
    headers = {} if protocols is None else {"Sec-WebSocket-Protocol": protocols}
    return client.connect("game", headers=headers)


def game(handlers: dict[str, Any] | None = None) -> SocketTestClient:
    options = SocketOptions(subprotocols=("game.v2", "game.v1"))
    return SocketTestClient(Socket("game", handlers or {}, options=options))


def test_the_first_offered_that_the_socket_speaks_is_chosen() -> None:
    client = game()
    assert offer(client, "game.v1, game.v2").subprotocol == "game.v1"  # the client's preference
    assert offer(client, "chat.v9,game.v2").subprotocol == "game.v2"
    assert offer(client, None).subprotocol is None  # offering none: connects without one


def test_offering_only_others_is_refused_with_400() -> None:
    with pytest.raises(Rejected) as refused:
        offer(game(), "chat.v9, game.v3")
    assert (refused.value.status, refused.value.body) == (400, "this socket speaks game.v2 or game.v1 only")


def test_the_connect_handler_sees_the_choice_and_may_answer_its_own() -> None:
    seen: list[Any] = []

    def connect(request: Any, context: dict[str, Any]) -> Any:
        seen.append(context["subprotocol"])
        if request.query.get("old"):
            return SocketResponse(200, headers={"Sec-WebSocket-Protocol": "game.v1"})
        if request.query.get("deny"):
            return SocketResponse(403, "no")
        return None

    client = game({"$connect": connect})
    assert offer(client, "game.v2, game.v1").subprotocol == "game.v2"
    conn = client.connect("game", {"old": "1"}, {"Sec-WebSocket-Protocol": "game.v2, game.v1"})
    assert conn.subprotocol == "game.v1"  # the handler's own answer wins
    with pytest.raises(Rejected) as refused:
        client.connect("game", {"deny": "1"}, {"Sec-WebSocket-Protocol": "game.v2"})
    assert refused.value.status == 403
    assert seen == ["game.v2", "game.v2", "game.v2"]


def test_async_connect_handlers_too() -> None:
    async def connect(request: Any, context: dict[str, Any]) -> None:
        assert context["subprotocol"] == "game.v1"

    assert offer(game({"$connect": connect}), "game.v1").subprotocol == "game.v1"


@pytest.mark.parametrize("bad", ["game.v1", ("",), ("a b",), ("a,b",), (1,)])
def test_subprotocols_are_tokens(bad: Any) -> None:
    with pytest.raises(ValueError, match="subprotocols must be a sequence of tokens"):
        SocketOptions(subprotocols=bad)
