"""eventual.testing's connection: what a client sends, and API Gateway's 128 KB message quota.

The quota ("WebSocket message payload size", 128 KB; a larger message closes the connection with
1009: apigateway-execution-service-websocket-limits-table) is written here as the number
131,072, never read from the code under test, and tried at exactly the limit and one byte over.
"""

from __future__ import annotations

from typing import Any

import pytest

from eventual import Context, MessageRequest, PayloadTooLarge, socket
from eventual.testing import SocketTestClient

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
