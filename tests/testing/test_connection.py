"""A test client's connection: what it received, in the order a WebSocket client receives it, how
it closed, and the handshake arguments a test may pass (issue 19, item 6).

eventual.testing's connection: what a client sends, and API Gateway's 128 KB message quota.

The quota ("WebSocket message payload size", 128 KB; a larger message closes the connection with
1009: apigateway-execution-service-websocket-limits-table) is written here as the number
131,072, never read from the code under test, and tried at exactly the limit and one byte over.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from websockets.sync.client import connect

from eventual import ConnectRequest, Context, MessageRequest, PayloadTooLarge, socket
from eventual.local import DevServer
from eventual.payload import MAX_PAYLOAD_BYTES
from eventual.testing import SocketTestClient

CONNECTS: list[ConnectRequest] = []


def talk(request: MessageRequest, context: Context) -> Any:
    """``push``: two messages to the caller, then the reply; ``leave``: the service disconnects it."""
    if request.body == "push":
        chatty.send(request.connection_id, "pushed-1")
        chatty.send(request.connection_id, {"pushed": 2})
        return "reply"
    if request.body == "leave":
        chatty.disconnect(request.connection_id)
        return "never delivered"
    return None


chatty = socket("chatty", {"$connect": lambda request, context: CONNECTS.append(request), "$default": talk})


def test_messages_lists_pushed_messages_and_replies_in_arrival_order() -> None:
    """A handler's posts reach the client before its route response, which API Gateway sends once
    the integration has returned ("Set up a WebSocket API route response"); the dev server
    delivers them so (below)."""
    with SocketTestClient(chatty).connect("chatty") as ada:
        assert ada.send("push") == "reply"
        assert ada.send("quiet") is None  # no route response: nothing arrives
        assert ada.send("push") == "reply"
        assert ada.messages == ["pushed-1", '{"pushed":2}', "reply"] * 2
        assert ada.received == ["pushed-1", '{"pushed":2}'] * 2  # pushed only, as before


def test_the_dev_server_delivers_in_that_order() -> None:
    with (
        DevServer("svc", {"chatty": chatty}, port=0) as server,
        connect(server.socket_urls("chatty")["wss"]) as ws,
    ):
        ws.send("push")
        assert [ws.recv(timeout=5) for _ in range(3)] == ["pushed-1", '{"pushed":2}', "reply"]


def test_close_code_and_reason_say_how_the_connection_closed() -> None:
    """1009 for a message over 128 KB and 1003 for a binary frame are API Gateway's
    (apigateway-execution-service-websocket-limits-table, websocket-api-develop-binary-media-types);
    1000 when the service deletes the connection, as the dev server's DeleteConnection closes it."""
    client = SocketTestClient(chatty)
    ada, bob, cy, dee, eve = (client.connect("chatty") for _ in range(5))
    assert (ada.close_code, ada.close_reason) == (None, None)
    with pytest.raises(PayloadTooLarge):
        ada.send("x" * (MAX_PAYLOAD_BYTES + 1))
    with pytest.raises(ValueError, match="text frames only"):
        bob.send(b"\x00\xff")
    cy.send("leave")
    dee.close(4000, "done here")
    client.close()
    closes = [(c.close_code, c.close_reason) for c in (ada, bob, cy, dee, eve)]
    assert closes == [
        (1009, "Message too big"),
        (1003, "Binary frames are not supported"),
        (1000, ""),
        (4000, "done here"),
        (1001, "Going away"),
    ]
    assert cy.messages == []  # its reply came after the close: the client never gets it


@pytest.mark.parametrize(
    ("query", "headers", "message"),
    [
        ("token=x", None, "query= takes a mapping of str to str or (name, value) pairs, not a str"),
        ({"n": 1}, None, "query= holds (str 'n', int 1): a handshake carries names and values as text"),
        ([("n", "1", "2")], None, "query= holds (str 'n', str '1', str '2')"),
        (None, {"X-Count": 2}, "headers= holds (str 'X-Count', int 2)"),
        (None, 42, "headers= takes a mapping of str to str or (name, value) pairs, not 42"),
    ],
)
def test_a_handshake_argument_of_the_wrong_type_is_the_tests_type_error(
    query: Any, headers: Any, message: str
) -> None:
    CONNECTS.clear()
    client = SocketTestClient(chatty)
    with pytest.raises(TypeError) as raised:
        client.connect("chatty", query=query, headers=headers)
    assert message in str(raised.value)
    assert CONNECTS == []  # the service never ran: the mistake is the test's
    ok = client.connect("chatty", query=[("n", "1"), ("n", "2")], headers={"X-Count": "2"})
    assert CONNECTS[0].query == {"n": "2"} and CONNECTS[0].headers["x-count"] == "2"
    assert json.loads(json.dumps(CONNECTS[0].event["multiValueQueryStringParameters"])) == {"n": ["1", "2"]}
    ok.close()


QUOTA = 131_072
"""API Gateway's 128 KB, in bytes."""

closes: list[tuple[int, str]] = []


def size(request: MessageRequest, context: Context) -> str:
    """The message's size in UTF-8 bytes: what the client sent reached the handler whole."""
    body = request.body
    return str(len(body.encode() if isinstance(body, str) else body))


sized = socket(
    "testing-sized",
    {"$default": size, "$disconnect": lambda r, c: closes.append((r.status_code, r.reason))},
)


@pytest.fixture
def client() -> SocketTestClient:
    closes.clear()
    return SocketTestClient(sized)


@pytest.mark.parametrize(
    "message",
    [
        "x" * QUOTA,
        "é" * (QUOTA // 2),  # two bytes a character: the quota counts bytes
        {"k": "x" * (QUOTA - len('{"k":""}'))},  # JSON as sent: compact
    ],
    ids=["ascii", "utf-8", "json"],
)
def test_a_message_of_exactly_128_kb_reaches_its_handler(client: SocketTestClient, message: Any) -> None:
    with client.connect("testing-sized") as ada:
        assert ada.send(message) == "131072"
        assert ada.open
    assert closes == [(1000, "")]


@pytest.mark.parametrize(
    "message",
    [
        "x" * (QUOTA + 1),
        "é" * (QUOTA // 2) + "x",
        {"k": "x" * (QUOTA - len('{"k":""}') + 1)},
    ],
    ids=["ascii", "utf-8", "json"],
)
def test_one_byte_over_128_kb_closes_1009_and_runs_no_handler(client: SocketTestClient, message: Any) -> None:
    with client.connect("testing-sized") as ada:
        with pytest.raises(PayloadTooLarge, match="a message of 131073 bytes exceeds API Gateway's 131072"):
            ada.send(message)
        assert not ada.open
        with pytest.raises(RuntimeError, match="cannot send on a closed connection"):
            ada.send("after")
    assert closes == [(1009, "Message too big")]


def test_a_binary_frame_closes_1003(client: SocketTestClient) -> None:
    """API Gateway's WebSocket APIs take text frames; a binary frame closes with 1003
    (websocket-api-develop-binary-media-types)."""
    with client.connect("testing-sized") as ada:
        with pytest.raises(ValueError) as refused:
            ada.send(b"x")
        assert str(refused.value) == (
            "API Gateway takes text frames only: a binary frame closes the connection with 1003"
        )
        assert not ada.open
    assert closes == [(1003, "Binary frames are not supported")]
