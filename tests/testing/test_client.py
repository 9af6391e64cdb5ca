"""eventual.testing.SocketTestClient: sockets driven in-process, with API Gateway's rules."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from eventual import (
    ConnectionGone,
    ConnectRequest,
    Context,
    MessageRequest,
    PayloadTooLarge,
    SocketNotDeployed,
    SocketResponse,
    socket,
)
from eventual.payload import MAX_PAYLOAD_BYTES
from eventual.testing import Rejected, SocketTestClient


def parse_json(request: MessageRequest, context: Context, next: Any) -> Any:
    return next({**context, "message": json.loads(request.body)})


def test_send_returns_the_reply_after_the_middleware_ran() -> None:
    echo = socket.use({"message": parse_json}).socket(
        "echo", {"$default": lambda r, c: {"got": c["message"]}}
    )
    with SocketTestClient(echo) as client, client.connect("echo") as ada:
        assert json.loads(ada.send('{"x": 1}')) == {"got": {"x": 1}}
        assert ada.send({"y": [2]}) == '{"got":{"y":[2]}}'
        assert ada.received == []


def test_the_reply_of_a_failing_handler_is_api_gateways_error(caplog: pytest.LogCaptureFixture) -> None:
    def fail(request: MessageRequest, context: Context) -> None:
        raise RuntimeError("boom")

    broken = socket("broken", {"$default": fail})
    with caplog.at_level(logging.ERROR), SocketTestClient(broken).connect("broken") as ada:
        reply = json.loads(ada.send("hi"))
        assert ada.open  # the connection stays, as on API Gateway
    assert reply == {
        "message": "Internal server error",
        "connectionId": ada.connection_id,
        "requestId": reply["requestId"],
    }
    assert "boom" in caplog.text


def test_connect_sees_query_and_headers_and_may_refuse() -> None:
    seen: list[ConnectRequest] = []

    def gate(request: ConnectRequest, context: Context) -> Any:
        seen.append(request)
        if request.query.get("token") != "ok":
            return SocketResponse(status=401, message="who are you?")
        return None

    client = SocketTestClient([socket("gated", {"$connect": gate})])
    with client.connect("gated", query={"token": "ok"}, headers={"X-Team": "blue"}) as ada:
        assert ada.open
    assert seen[0].query == {"token": "ok"}
    assert seen[0].headers["x-team"] == "blue"
    assert seen[0].headers["host"] == "testserver"
    with pytest.raises(Rejected) as refused:
        client.connect("gated")
    assert (refused.value.status, refused.value.body) == (401, "who are you?")


def test_a_failing_connect_handler_refuses_with_500() -> None:
    def fail(request: ConnectRequest, context: Context) -> None:
        raise RuntimeError("boom")

    with pytest.raises(Rejected) as refused:
        SocketTestClient(socket("broken", {"$connect": fail})).connect("broken")
    assert refused.value.status == 500
    assert refused.value.json()["message"] == "Internal server error"


def test_a_handler_sends_to_another_connection() -> None:
    def relay(request: MessageRequest, context: Context) -> None:
        to, text = request.body.split(":", 1)
        relay_socket.send(to, {"from": request.connection_id, "text": text})

    relay_socket = socket("relay", {"$default": relay})
    client = SocketTestClient(relay_socket)
    with client.connect("relay") as ada, client.connect("relay") as bob:
        assert ada.send(f"{bob.connection_id}:hi") is None
        assert bob.json() == [{"from": ada.connection_id, "text": "hi"}]
        assert ada.received == []


def test_a_closed_connection_is_gone() -> None:
    outcomes: list[str] = []

    def relay(request: MessageRequest, context: Context) -> None:
        try:
            relay_socket.send(str(request.body), "hello")
            outcomes.append("sent")
        except ConnectionGone:
            outcomes.append("gone")

    relay_socket = socket("relay", {"$default": relay})
    client = SocketTestClient(relay_socket)
    with client.connect("relay") as ada:
        with client.connect("relay") as bob:
            ada.send(bob.connection_id)
        ada.send(bob.connection_id)
        ada.send("never-connected=")
    assert outcomes == ["sent", "gone", "gone"]
    with pytest.raises(RuntimeError, match="closed connection"):
        ada.send("late")


def test_tracked_connections_broadcast_and_leave_with_disconnect() -> None:
    def post(request: MessageRequest, context: Context) -> None:
        room.broadcast(request.body, exclude=request.connection_id)

    room = socket("room", {"$default": post}, track_connections=True)
    client = SocketTestClient(room)
    with client.connect("room") as ada, client.connect("room") as bob, client.connect("room") as cy:
        assert sorted(client.connections("room")) == sorted(c.connection_id for c in (ada, bob, cy))
        ada.send("hello")
        assert (ada.received, bob.received, cy.received) == ([], ["hello"], ["hello"])
        cy.close()
        assert sorted(client.connections("room")) == sorted([ada.connection_id, bob.connection_id])
    assert client.connections("room") == []


def test_the_service_disconnects_a_connection_and_its_disconnect_runs_after() -> None:
    events: list[str] = []

    def kick(request: MessageRequest, context: Context) -> str:
        kicker.disconnect(request.connection_id)
        events.append("kicked")
        return "bye"

    def gone(request: Any, context: Context) -> None:
        events.append(f"$disconnect {request.status_code}")

    kicker = socket("kicker", {"$default": kick, "$disconnect": gone}, track_connections=True)
    client = SocketTestClient(kicker)
    with client.connect("kicker") as ada:
        assert ada.send("kick me") == "bye"
        assert not ada.open
        assert client.connections("kicker") == []
    assert events == ["kicked", "$disconnect 1000"]  # leaving the block closes nothing twice


def test_128_kb_limit_both_ways() -> None:
    def big(request: MessageRequest, context: Context) -> None:
        big_socket.send(request.connection_id, "x" * (MAX_PAYLOAD_BYTES + 1))

    closes: list[int] = []
    big_socket = socket("big", {"$default": big, "$disconnect": lambda r, c: closes.append(r.status_code)})
    with SocketTestClient(big_socket).connect("big") as ada:
        assert json.loads(ada.send("go"))["message"] == "Internal server error"
        with pytest.raises(PayloadTooLarge):
            ada.send("y" * (MAX_PAYLOAD_BYTES + 1))
        assert not ada.open
    assert closes == [1009]


def test_connection_info_has_the_shape_the_cloud_gives() -> None:
    infos: list[dict[str, Any]] = []
    info = socket("info", {"$default": lambda r, c: infos.append(info.connection_info(r.connection_id))})
    with SocketTestClient(info).connect("info", source_ip="203.0.113.9", user_agent="ua/1") as ada:
        ada.send("?")
    [answer] = infos
    assert (answer["sourceIp"], answer["userAgent"]) == ("203.0.113.9", "ua/1")
    assert answer["connectionId"] == ada.connection_id
    assert answer["connectedAt"] <= answer["lastActiveAt"]


def test_async_handlers_and_binary_frames() -> None:
    async def echo(request: MessageRequest, context: Context) -> Any:
        return request.body.encode() if request.body == "as bytes" else request.body

    closes: list[int] = []
    echo_socket = socket("echo", {"$default": echo, "$disconnect": lambda r, c: closes.append(r.status_code)})
    with SocketTestClient(echo_socket).connect("echo") as ada:
        assert ada.send("text") == "text"
        assert ada.send("as bytes") == b"as bytes"  # a binary reply travels base64-encoded
        with pytest.raises(ValueError, match="text frames only"):
            ada.send(b"\x00\xff")
        assert not ada.open
    assert closes == [1003]


def test_the_test_itself_may_send_through_the_deployment() -> None:
    room = socket("room", track_connections=True)
    client = SocketTestClient(room, service="svc")
    with client.connect("room") as ada:
        with client.deployment.activate():
            assert room.broadcast("news").delivered == 1
        assert ada.received == ["news"]
    assert repr(client) == "<SocketTestClient of 'svc': room>"


def test_an_unknown_socket_names_the_known_ones() -> None:
    with pytest.raises(SocketNotDeployed, match=r"no socket named 'nope' \(its sockets: a, b\)"):
        SocketTestClient([socket("a"), socket("b")]).connect("nope")


def test_a_message_selecting_no_route_gets_api_gateways_error() -> None:
    routed = socket("routed", {"ping": lambda r, c: "pong"})
    with SocketTestClient(routed).connect("routed") as ada:
        assert ada.send({"action": "ping"}) == "pong"
        reply = json.loads(ada.send({"action": "other"}))
    assert (reply["message"], reply["connectionId"]) == ("Forbidden", ada.connection_id)
