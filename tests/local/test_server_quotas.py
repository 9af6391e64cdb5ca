"""API Gateway's quotas and HTTP rules at the dev server's door, each at its limit and one past it
(issue 19 item 8), with real clients: the handshake URL (4,096 characters), the authorizer's result
(8 KB), the HTTP version of an upgrade (1.1), and a management API body declared over 128 KB.

The quotas: "Quotas for configuring and running a WebSocket API in API Gateway".
"""

from __future__ import annotations

import base64
import json
import os
import socket
from collections.abc import Iterator

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from eventual import Socket
from eventual.local import DevServer
from eventual.sockets import SocketOptions
from tests.apigw_events import sized_authorizer
from tests.local.conftest import url, whoami

pytestmark = pytest.mark.usefixtures("no_server_errors")


@pytest.mark.parametrize(("length", "allowed"), [(4096, True), (4097, False)])
def test_a_handshake_url_of_4096_characters_connects_and_a_longer_one_is_414(
    server: DevServer, length: int, allowed: bool
) -> None:
    """ "Length, in characters, of the URL for a WebSocket API: 4096": the URL the client opened."""
    bare = url(server, "local-echo", "q=")
    target = bare + "x" * (length - len(bare))
    assert len(target) == length
    if allowed:
        with connect(target) as ws:
            ws.send("hi")
            assert ws.recv(timeout=5) == "hi"
        return
    with pytest.raises(InvalidStatus) as refused:
        connect(target)
    answer = refused.value.response
    assert answer.status_code == 414
    assert json.loads(answer.body or b"") == {"message": "Request-URI Too Long"}


@pytest.fixture(scope="module")
def sized_server() -> Iterator[DevServer]:
    """A server with one socket whose authorizer answers exactly ``?size=N`` bytes."""
    sized = Socket("sized", {}, options=SocketOptions(authorizer=sized_authorizer))
    with DevServer("quotas", {"sized": sized}, port=0) as srv:
        yield srv


@pytest.mark.parametrize(("size", "allowed"), [(8192, True), (8193, False)])
def test_an_authorizer_result_of_8_kb_connects_and_a_larger_one_is_a_logged_500(
    sized_server: DevServer, size: int, allowed: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """ "AWS Lambda authorizer result size: 8 KB". AWS documents no answer past it; it is a result
    API Gateway cannot take, which it answers as a failed authorizer (500)."""
    target = url(sized_server, "sized", f"size={size}")
    if allowed:
        with connect(target):
            pass
        return
    with pytest.raises(InvalidStatus) as refused:
        connect(target)
    answer = refused.value.response
    assert (answer.status_code, json.loads(answer.body or b"")) == (500, {"message": None})
    assert answer.headers["x-amzn-ErrorType"] == "AuthorizerConfigurationException"
    assert (
        "AuthorizerResultTooLarge: its result (the policy and the identity as context) is 8193" in caplog.text
    )
    caplog.clear()  # the failure is the expected one: no_server_errors checks the rest


def exchange(server: DevServer, request: bytes, *, wait: float = 5) -> bytes:
    """What the server answers ``request`` until it closes, or ``b""`` if it says nothing in ``wait``."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=wait) as sock:
        sock.sendall(request)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except TimeoutError:
            pass
    return b"".join(chunks)


@pytest.mark.parametrize(("version", "status"), [("1.1", b"101"), ("1.0", b"400")])
def test_an_upgrade_needs_http_1_1(server: DevServer, version: str, status: bytes) -> None:
    """RFC 6455, 4.1: "the HTTP version MUST be at least 1.1"; AWS documents no answer to an older
    one, and 400 is what a server answers a handshake it cannot accept."""
    key = base64.b64encode(os.urandom(16)).decode()
    head = (
        f"GET /__ws/local-echo HTTP/{version}\r\nHost: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()
    answer = exchange(server, head, wait=1 if version == "1.1" else 5)  # a 101 stays open
    assert answer.startswith(b"HTTP/1.1 " + status + b" "), answer[:200]
    if version == "1.0":
        assert b"needs HTTP/1.1" in answer


def post_head(server: DevServer, connection_id: str, length: int, *extra: str) -> bytes:
    lines = [
        f"POST /__ws/local-lab/@connections/{connection_id} HTTP/1.1",
        f"Host: 127.0.0.1:{server.port}",
        f"Content-Length: {length}",
        *extra,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@pytest.mark.parametrize("expect", [(), ("Expect: 100-continue",)])
def test_a_management_post_declaring_more_than_128_kb_is_413_at_once(
    server: DevServer, expect: tuple[str, ...]
) -> None:
    """PostToConnection's PayloadTooLargeException, answered from the head (the body never sent):
    before, the server waited for a body it would refuse (with ``Expect: 100-continue``, it even
    asked for it)."""
    with connect(url(server, "local-lab")) as ws:
        answer = exchange(server, post_head(server, whoami(ws), 131073, *expect))
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert b"x-amzn-ErrorType: PayloadTooLargeException" in head
    assert b"connection: close" in head.lower()
    assert json.loads(body) == {"message": "Message is over the 131072 byte limit"}


def test_a_management_post_of_128_kb_waits_for_its_body_and_is_delivered(server: DevServer) -> None:
    with connect(url(server, "local-lab"), max_size=None) as ws:
        me = whoami(ws)
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(post_head(server, me, 131072))
            sock.settimeout(0.5)  # the server's request timeout is 30 s: silence here is waiting
            with pytest.raises(TimeoutError):
                sock.recv(65536)
            sock.settimeout(5)
            sock.sendall(b"y" * 131072)
            assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
        assert ws.recv(timeout=5) == "y" * 131072
