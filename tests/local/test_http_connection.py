"""HTTP/1.1 through h11 (eventual/local/http_connection.py): every request is answered or closed
on purpose, hostile clients included. Regression tests for issue 10's malformed-request defects."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from eventual.local import DevServer, Limits
from eventual.sockets import sockets_of
from tests.local import services

pytestmark = pytest.mark.usefixtures("no_server_errors")


@pytest.fixture(scope="module")
def quick() -> Iterator[DevServer]:
    """A server whose whole-request deadline is short (the default is 30 s)."""
    limits = Limits(request_timeout=1.0, close_timeout=0.5)
    with DevServer("local-tests", sockets_of(services.__name__), port=0, limits=limits) as srv:
        yield srv


def exchange(server: DevServer, data: bytes) -> bytes:
    """Send ``data``, then read until the server closes (or 5 s pass)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(data)
        return read_all(sock)


def read_all(sock: socket.socket) -> bytes:
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except (TimeoutError, ConnectionResetError):
        pass
    return b"".join(chunks)


def test_a_head_dripped_byte_by_byte_is_timed_out_as_a_whole(quick: DevServer) -> None:
    """Issue 10: the deadline used to apply to each recv, so a slow drip was never timed out."""
    with socket.create_connection(("127.0.0.1", quick.port), timeout=5) as sock:
        head = b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 100
        answer = b""
        for byte in head:  # one byte every 50 ms: each well within the deadline, the whole not
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                break
            time.sleep(0.05)
            sock.setblocking(False)
            try:
                answer = sock.recv(4096)
            except BlockingIOError:
                continue
            finally:
                sock.setblocking(True)
            break
        answer += read_all(sock)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert answer.endswith(b"\r\n\r\nRequest timeout: the whole request must arrive in time\n")


def test_an_idle_keep_alive_connection_is_closed_without_an_answer(quick: DevServer) -> None:
    with socket.create_connection(("127.0.0.1", quick.port), timeout=5) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        answer = read_all(sock)  # ends when the server closes: after the deadline
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert answer.count(b"HTTP/1.1 ") == 1  # closed without a 408: there was no request to answer


def test_head_answers_get_headers_without_a_body(quick: DevServer) -> None:
    answer = exchange(quick, b"HEAD / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ") and b"Content-Length: " in head
    assert body == b""


def test_426_names_the_protocol_to_upgrade_to(quick: DevServer) -> None:
    """RFC 9110, 15.5.22: a 426 "MUST send an Upgrade header field"."""
    answer = exchange(quick, b"GET /__ws/local-lab HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 426 ")
    assert b"\r\nUpgrade: websocket\r\n" in answer


@pytest.mark.parametrize("path", ["/%00", "/a%00b.js", "/" + "n" * 5000, "/" + "d/" * 3000 + "x"])
def test_paths_no_file_can_have_are_404(quick: DevServer, path: str) -> None:
    """Issue 10: a NUL byte or a name over the OS limit used to get no answer at all."""
    request = f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode()
    assert exchange(quick, request).startswith(b"HTTP/1.1 404 ")


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GARBAGE\r\n\r\n", b"400"),
        (b"GET / HTTP/1.1\r\nHost: localhost\r\nBad Header\r\n\r\n", b"400"),
        (b"GET / HTTP/1.1\r\nHost: localhost\r\nX: " + b"a" * 70_000 + b"\r\n\r\n", b"431"),
        (
            b"POST /__ws/local-lab/@connections/x HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Length: 9999999\r\n\r\n" + b"a" * 1_100_000,
            b"413",
        ),
        (b"GET / HTTP/1.1\r\n\r\n", b"400"),  # HTTP/1.1 requires Host (h11)
    ],
)
def test_malformed_requests_get_a_status(quick: DevServer, request_bytes: bytes, status: bytes) -> None:
    assert exchange(quick, request_bytes).startswith(b"HTTP/1.1 " + status + b" ")


def test_pipelined_requests_are_answered_in_order(quick: DevServer) -> None:
    two = (
        b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"
        b"GET /missing HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    answer = exchange(quick, two)
    assert answer.startswith(b"HTTP/1.1 200 ") and answer.count(b"HTTP/1.1 404 ") == 1


# -- the HTTP limits on both sides, answers word for word (docs/mutation.md) --------------------


def padded_get(head_size: int) -> bytes:
    """A GET whose head (target, and each header's name, value and 4 bytes of framing) is
    ``head_size`` bytes: the URL and headers a client may send, 64 KiB in all."""
    pad = head_size - len("/") - len("Host") - len("localhost") - 4 - len("X-Pad") - 4
    return b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Pad: " + b"p" * pad + b"\r\nConnection: close\r\n\r\n"


def test_a_head_of_64_kib_is_served_and_one_byte_more_is_431(quick: DevServer) -> None:
    connection_close = len("Connection") + len("close") + 4
    assert exchange(quick, padded_get(65_536 - connection_close)).startswith(b"HTTP/1.1 200 ")
    refused = exchange(quick, padded_get(65_537 - connection_close))
    assert refused.startswith(b"HTTP/1.1 431 ")
    assert refused.endswith(b"\r\n\r\nRequest header fields too large\n")


def test_a_body_of_1_mib_is_read_and_one_byte_more_is_413(quick: DevServer) -> None:
    def post(size: int) -> bytes:
        head = (
            "POST /__eventual/service HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
            f"Content-Length: {size}\r\n\r\n"
        )
        return exchange(quick, head.encode() + b"b" * size)

    # Not a management API POST, whose limit is a message's 128 KB (tests/local/test_server_quotas.py).
    read = post(1_048_576)  # read whole, then answered by its route: the document takes GET only
    assert read.startswith(b"HTTP/1.1 405 ")
    refused = post(1_048_577)
    assert refused.startswith(b"HTTP/1.1 413 ")
    assert refused.endswith(b"\r\n\r\nRequest body over 1048576 bytes\n")
