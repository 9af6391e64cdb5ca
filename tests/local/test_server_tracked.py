"""Tracked connections on the dev server: `connections()` and `broadcast()` through the runtime's
code path (the in-memory store, boto3 posts to the server's own `@connections`), real clients."""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import boto3
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from eventual.deployment import current_deployment
from eventual.local import DevServer, Limits
from tests.local import services
from tests.local.conftest import url, whoami

pytestmark = pytest.mark.usefixtures("no_server_errors")

Clients = Callable[[int], list[tuple[ClientConnection, str]]]


def tracked() -> set[str]:
    return {c["connectionId"] for c in services.room.connections()}


def eventually(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait (bounded) for what the server does once a client is gone: ``$disconnect`` runs after."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not so within {timeout} s; tracked: {tracked()}")
        time.sleep(0.01)


@pytest.fixture(autouse=True)
def empty_room(server: DevServer) -> Iterator[None]:
    """The test reads the room as the server's handlers do: with the server's deployment current."""
    with server.deployment.activate():
        eventually(lambda: not tracked())  # the previous test's clients are gone for the server too
        services.RELEASE_ROOM.clear()
        yield
        services.RELEASE_ROOM.set()


@pytest.fixture
def clients(server: DevServer) -> Iterator[Clients]:
    """``clients(n)``: n connected clients (users u0..), each with its connection id."""
    with ExitStack() as stack:

        def open_clients(count: int) -> list[tuple[ClientConnection, str]]:
            opened = []
            for n in range(count):
                ws = stack.enter_context(connect(url(server, "local-room", f"user=u{n}")))
                opened.append((ws, whoami(ws)))
            return opened

        yield open_clients


def command(ws: ClientConnection, text: str) -> object:
    ws.send(text)
    reply = ws.recv(timeout=10)
    return json.loads(reply)


def raw_handshake(server: DevServer, query: str) -> socket.socket:
    """A bare TCP client that sends the upgrade request and reads nothing: it can vanish at will."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET /__ws/local-room?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    return sock


def reset(sock: socket.socket) -> None:
    """Close with a TCP reset: no close frame, no FIN, as a client whose network fails."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def connect_with(marker: str) -> dict[str, object]:
    return services.wait_for(lambda e: e["type"] == "connect" and e.get("query", {}).get("m") == marker)


def disconnect_of(connection_id: str) -> dict[str, object]:
    return services.wait_for(lambda e: e["type"] == "disconnect" and e["id"] == connection_id)


def test_broadcast_reaches_everyone_but_the_excluded_sender(clients: Clients) -> None:
    joined = clients(6)
    (sender, sender_id), receivers = joined[0], joined[1:]
    assert tracked() == {connection_id for _, connection_id in joined}
    assert command(sender, "others:hello") == {"delivered": 5, "gone": 0}
    for ws, _ in receivers:
        assert ws.recv(timeout=5) == "hello"
    # Every post completed before the handler answered: had the sender been sent one, it would
    # have arrived before this answer.
    assert whoami(sender) == sender_id


def test_broadcast_without_exclude_includes_the_sender(clients: Clients) -> None:
    joined = clients(3)
    sender = joined[0][0]
    sender.send("everyone:hi all")
    assert sender.recv(timeout=5) == "hi all"
    assert json.loads(sender.recv(timeout=5)) == {"delivered": 3, "gone": 0}
    assert [ws.recv(timeout=5) for ws, _ in joined[1:]] == ["hi all", "hi all"]


def test_a_stale_record_is_counted_gone_and_forgotten(clients: Clients) -> None:
    (sender, sender_id), (receiver, receiver_id) = clients(2)
    # A record whose $disconnect was lost: the server's management API answers 410 for it.
    current_deployment().connections.put("local-room", "Stale0000000000=", None)
    assert command(sender, "others:still there?") == {"delivered": 1, "gone": 1}
    assert receiver.recv(timeout=5) == "still there?"
    assert command(sender, "connections") == sorted([sender_id, receiver_id])


def test_connections_after_closed_reset_and_deleted_connections(server: DevServer, clients: Clients) -> None:
    (closing, closing_id), (deleted, deleted_id), (staying, staying_id) = clients(3)
    marker = f"reset-{time.monotonic_ns()}"
    dropping = raw_handshake(server, f"user=dropper&m={marker}")
    assert dropping.recv(4096).startswith(b"HTTP/1.1 101 ")
    dropping_id = str(connect_with(marker)["id"])
    assert tracked() == {closing_id, deleted_id, staying_id, dropping_id}

    closing.close()
    reset(dropping)
    api = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=server.socket_urls("local-room")["http"],
        region_name="us-east-1",
    )
    api.delete_connection(ConnectionId=deleted_id)
    with pytest.raises(ConnectionClosed):
        deleted.recv(timeout=5)

    eventually(lambda: tracked() == {staying_id})
    codes = {cid: disconnect_of(cid)["code"] for cid in (closing_id, dropping_id, deleted_id)}
    assert codes == {closing_id: 1000, dropping_id: 1006, deleted_id: 1000}
    assert command(staying, "connections") == [staying_id]


def test_a_failing_disconnect_handler_still_untracks(
    server: DevServer, caplog: pytest.LogCaptureFixture
) -> None:
    with connect(url(server, "local-room", "user=crash")) as ws:
        me = whoami(ws)
        assert me in tracked()
    disconnect_of(me)
    eventually(lambda: me not in tracked())
    eventually(lambda: "local-room handler failed: RuntimeError" in caplog.text)


def test_a_client_gone_before_the_upgrade_completes_gets_disconnect(server: DevServer) -> None:
    marker = f"hold-{time.monotonic_ns()}"
    vanishing = raw_handshake(server, f"user=vanishing&hold=1&m={marker}")
    connection_id = str(connect_with(marker)["id"])  # $connect is running, and will accept
    reset(vanishing)
    time.sleep(0.05)  # the reset reaches the server before $connect returns
    services.RELEASE_ROOM.set()
    assert disconnect_of(connection_id)["code"] == 1006
    eventually(lambda: connection_id not in tracked())


def test_shutdown_runs_every_disconnect_and_empties_the_store(server: DevServer) -> None:
    own = DevServer("shutdown-test", {"local-room": services.room}, port=0, limits=Limits(close_timeout=1.0))
    own.start()
    try:
        store = own.deployment.connections
        assert store is not server.deployment.connections  # each server keeps its own connections
        room_url = own.socket_urls("local-room")["wss"]
        with ExitStack() as stack:
            ids = []
            for n in range(3):
                ws = stack.enter_context(connect(f"{room_url}?user=s{n}"))
                ids.append(whoami(ws))
            assert set(store.connection_ids("local-room")) == set(ids)
            own.shutdown()
            assert list(store.connection_ids("local-room")) == []
            assert [disconnect_of(cid)["code"] for cid in ids] == [1001, 1001, 1001]
    finally:
        own.shutdown()
    assert current_deployment() is server.deployment  # the other server changed nothing here
