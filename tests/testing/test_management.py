"""The test client's management API (``@connections`` in memory), at API Gateway's 128 KB quota.

``PostToConnection`` refuses a payload over 128 KB (apigateway-execution-service-websocket-limits-
table: "WebSocket message payload size"); the quota is written here as 131,072 bytes, never read
from the code under test, and tried at exactly the limit and one byte over, on both ways in:
``Socket.send`` from a handler (which checks before any call) and the API itself.
"""

from __future__ import annotations

import json

import pytest

from eventual import ConnectionGone, Context, MessageRequest, PayloadTooLarge, socket
from eventual.testing import SocketTestClient

QUOTA = 131_072
"""API Gateway's 128 KB, in bytes."""


def push(request: MessageRequest, context: Context) -> str:
    """Sends the caller as many bytes as its message asks for."""
    pusher.send(request.connection_id, "p" * int(request.body))
    return "sent"


pusher = socket("testing-pusher", {"$default": push})


def test_a_handler_may_send_exactly_128_kb() -> None:
    with SocketTestClient(pusher).connect("testing-pusher") as ada:
        assert ada.send(str(QUOTA)) == "sent"
        assert ada.received == ["p" * QUOTA]


def test_a_handler_sending_one_byte_more_fails_and_nothing_arrives() -> None:
    with SocketTestClient(pusher).connect("testing-pusher") as ada:
        reply = ada.send(str(QUOTA + 1))
        assert isinstance(reply, str)
        assert json.loads(reply)["message"] == "Internal server error"
        assert ada.received == []
        assert ada.open  # a refused send closes nothing


def test_the_management_api_itself_takes_128_kb_and_refuses_a_byte_more() -> None:
    client = SocketTestClient(pusher)
    with client.connect("testing-pusher") as ada:
        api = client.deployment.management("testing-pusher")
        api.post(ada.connection_id, b"m" * QUOTA)
        with pytest.raises(PayloadTooLarge, match="message of 131073 bytes exceeds 131072 bytes"):
            api.post(ada.connection_id, b"m" * (QUOTA + 1))
        assert ada.received == ["m" * QUOTA]
    with pytest.raises(ConnectionGone):
        api.post(ada.connection_id, b"late")
