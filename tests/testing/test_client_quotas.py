"""API Gateway's WebSocket quotas under the test client, each at its limit and one past it (issue 19
item 8): what the dev server refuses, and the cloud, the test client refuses the same way.

The quotas: "Quotas for configuring and running a WebSocket API in API Gateway".
"""

from __future__ import annotations

from typing import Any

import pytest

from eventual import ConnectRequest, Context, MessageRequest, PayloadTooLarge, Socket
from eventual.sockets import SocketOptions
from eventual.testing import Rejected, SocketTestClient
from tests.apigw_events import sized_authorizer

BASE = "ws://testserver/__ws/"


def recording(name: str, **options: Any) -> tuple[Socket, list[str]]:
    """A socket whose ``$connect`` records every connection it accepts."""
    connected: list[str] = []

    def on_connect(request: ConnectRequest, context: Context) -> None:
        connected.append(request.connection_id)

    return Socket(name, {"$connect": on_connect}, options=SocketOptions(**options)), connected


@pytest.mark.parametrize(("length", "allowed"), [(4096, True), (4097, False)])
def test_a_handshake_url_of_4096_characters_connects_and_a_longer_one_is_414(
    length: int, allowed: bool
) -> None:
    """ "Length, in characters, of the URL for a WebSocket API: 4096"; the URL is the one a client
    would open, the query percent-encoded."""
    sock, connected = recording("wide")
    client = SocketTestClient(sock)
    url_without_value = f"{BASE}wide?q="
    value = "x" * (length - len(url_without_value))
    if allowed:
        with client.connect("wide", query={"q": value}):
            assert len(connected) == 1
        return
    with pytest.raises(Rejected) as refused:
        client.connect("wide", query={"q": value})
    assert (refused.value.status, refused.value.json()) == (414, {"message": "Request-URI Too Long"})
    assert connected == []


def test_the_url_is_measured_percent_encoded() -> None:
    """A space is three characters of URL (``%20``): 4,096 characters of URL hold fewer of them."""
    sock, _ = recording("wide")
    client = SocketTestClient(sock)
    spaces = (4096 - len(f"{BASE}wide?q=")) // 3
    with client.connect("wide", query={"q": " " * spaces}):
        pass
    with pytest.raises(Rejected):
        client.connect("wide", query={"q": " " * (spaces + 1)})


@pytest.mark.parametrize(("size", "allowed"), [(8192, True), (8193, False)])
def test_an_authorizer_result_of_8_kb_connects_and_a_larger_one_is_500(size: int, allowed: bool) -> None:
    """ "AWS Lambda authorizer result size: 8 KB": past it, the authorizer failed (500), as API
    Gateway answers an authorizer's result it cannot take; ``$connect`` never runs."""
    sock, connected = recording("sized", authorizer=sized_authorizer)
    client = SocketTestClient(sock)
    if allowed:
        with client.connect("sized", query={"size": str(size)}) as conn:
            assert conn.identity is not None and conn.identity["principalId"] == "ada"
        assert len(connected) == 1
        return
    with pytest.raises(Rejected) as refused:
        client.connect("sized", query={"size": str(size)})
    assert (refused.value.status, refused.value.json()) == (500, {"message": None})
    assert connected == []


def test_send_posts_a_message_of_128_kb_and_refuses_one_byte_more() -> None:
    """ "Message payload size: 128 KB", through the management API's post as ``send`` makes it."""
    posted: list[int] = []

    def push(request: MessageRequest, context: Context) -> None:
        size = int(str(request.body))
        try:
            big.send(request.connection_id, "x" * size)
        except PayloadTooLarge:
            posted.append(-size)
        else:
            posted.append(size)

    big = Socket("big", {"$default": push})
    with SocketTestClient(big) as client, client.connect("big") as conn:
        conn.send("131072")
        conn.send("131073")
        assert posted == [131072, -131073]
        assert [len(m) for m in conn.received] == [131072]
