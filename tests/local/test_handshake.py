"""The opening handshake (eventual/local/handshake.py): ``$connect``'s answers, early frames."""

from __future__ import annotations

import base64
import os
import socket
import struct

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from eventual.local import DevServer
from tests.local.conftest import url


@pytest.mark.parametrize("status", [99, -1, 100, 101, 600, 1000])
def test_a_connect_status_no_handshake_can_answer_is_a_logged_500(
    server: DevServer, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 10: statuses such as 99 or -1 made invalid status lines. API Gateway documents no
    such case; a Lambda answer it cannot use is an integration failure there (500)."""
    with pytest.raises(InvalidStatus) as refused:
        connect(url(server, "local-lab", f"status={status}"))
    assert refused.value.response.status_code == 500
    assert f"local-lab $connect handler returned status {status}" in caplog.text


def test_a_connect_over_its_timeout_is_504_and_no_connection(server: DevServer) -> None:
    """``local-slow``'s Lambda timeout is 1 s: API Gateway answers 504 once it passes."""
    with pytest.raises(InvalidStatus) as refused:
        connect(url(server, "local-slow", "sleep=2"), open_timeout=10)
    assert refused.value.response.status_code == 504
    assert b"Endpoint request timed out" in (refused.value.response.body or b"")


def masked_frame(opcode: int, payload: bytes, *, rsv: int = 0, fin: bool = True) -> bytes:
    key = os.urandom(4)
    first = (0x80 if fin else 0) | rsv << 4 | opcode
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return struct.pack("!BB", first, 0x80 | len(payload)) + key + masked


def upgrade_with(server: DevServer, early: bytes, until: bytes | None = None) -> bytes:
    """An upgrade request and ``early`` bytes in one packet; what the server answers until it
    closes (or ``until`` arrives)."""
    key = base64.b64encode(os.urandom(16)).decode()
    head = (
        f"GET /__ws/local-echo HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(head + early)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
                if until is not None and until in b"".join(chunks):
                    break
        except (TimeoutError, ConnectionResetError):
            pass
    return b"".join(chunks)


def test_early_frames_are_served_after_the_upgrade(server: DevServer) -> None:
    answer = upgrade_with(server, masked_frame(0x1, b"early"), until=b"\x81\x05early")
    assert answer.startswith(b"HTTP/1.1 101 ")
    assert answer.endswith(b"\r\n\r\n\x81\x05early")  # the echo of the frame sent with the request


def test_a_protocol_violation_in_the_upgrade_packet_closes_1002(server: DevServer) -> None:
    """Issue 10: it used to get a 101 and then no answer at all."""
    answer = upgrade_with(server, masked_frame(0x1, b"bad", rsv=0b100))  # RSV1 without an extension
    assert answer.startswith(b"HTTP/1.1 101 ")
    _, _, frames = answer.partition(b"\r\n\r\n")
    assert frames[:1] == b"\x88" and struct.unpack("!H", frames[2:4])[0] == 1002
