"""Slow handlers, handlers that send, ordering, API Gateway's time limits, shutdown."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from eventual.local import DevServer, Limits
from eventual.sockets import sockets_of
from tests.local import services
from tests.local.conftest import url, whoami

pytestmark = pytest.mark.usefixtures("no_server_errors")


def test_a_blocked_handler_stalls_no_other_connection(server: DevServer) -> None:
    services.RELEASE.clear()
    with connect(url(server, "local-lab")) as blocked, connect(url(server, "local-echo")) as other:
        blocked.send("block")  # its handler waits until RELEASE is set
        services.wait_for(lambda e: e["body"] == "block" if e["type"] == "message" else False)
        for n in range(50):
            other.send(str(n))
            assert other.recv(timeout=5) == str(n)
        with connect(url(server, "local-lab")) as newcomer:  # connecting works too
            assert whoami(newcomer)
        services.RELEASE.set()
        assert blocked.recv(timeout=5) == "released"


def test_a_handler_that_sends_to_its_caller_does_not_deadlock(server: DevServer) -> None:
    with connect(url(server, "local-lab")) as ws:
        ws.send("push:" + ",".join(f"p{n}" for n in range(30)))
        received = [ws.recv(timeout=10) for _ in range(31)]
    # What the handler sent arrives before its route response, in the order sent.
    assert received == [f"p{n}" for n in range(30)] + ["reply"]


def test_handlers_on_many_connections_send_to_each_other(server: DevServer) -> None:
    """Every connection's handler sends to every other connection at once: no deadlock."""
    with ExitStack() as stack:
        clients = [stack.enter_context(connect(url(server, "local-lab"))) for _ in range(8)]
        ids = [whoami(ws) for ws in clients]
        errors: list[BaseException] = []

        def fan_out(sender: int) -> None:
            try:
                # A thread starts with no current deployment; a handler's would have the server's.
                with server.deployment.activate():
                    for target in ids:
                        services.lab.send(target, f"from {sender}")
            except BaseException as error:  # reported below
                errors.append(error)

        # The runtime path a handler takes, from eight threads at once.
        threads = [threading.Thread(target=fan_out, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert not errors
        for ws in clients:
            got = sorted(str(ws.recv(timeout=10)) for _ in range(8))
            assert got == sorted(f"from {n}" for n in range(8))


def test_events_of_a_connection_arrive_in_order(server: DevServer) -> None:
    with connect(url(server, "local-echo")) as ws:
        for n in range(300):  # no waiting between sends: they queue up on the connection
            ws.send(f"m{n}")
        assert [ws.recv(timeout=10) for _ in range(300)] == [f"m{n}" for n in range(300)]


@pytest.fixture
def short_limits_server() -> Iterator[DevServer]:
    limits = Limits(idle_timeout=0.5, max_duration=3.0, close_timeout=0.5)
    with DevServer("local-tests", sockets_of(services.__name__), port=0, limits=limits) as srv:
        yield srv


def test_idle_connection_closes_1001_going_away(short_limits_server: DevServer) -> None:
    with connect(url(short_limits_server, "local-lab")) as ws:
        me = whoami(ws)
        silent_since = time.monotonic()
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
        silent = time.monotonic() - silent_since
    # Closed for idleness (0.5 s), well before the maximum duration (3 s) would have closed it.
    assert silent < 2.0
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1001, "Going away")
    gone = services.wait_for(lambda e: e["type"] == "disconnect" and e["id"] == me)
    assert (gone["code"], gone["reason"]) == (1001, "Going away")


def test_activity_keeps_a_connection_only_until_the_maximum_duration(short_limits_server: DevServer) -> None:
    """Idleness counts from the client's last frame, not from when the connection opened
    (API Gateway's quotas: "Idle Connection Timeout" 10 minutes, "Connection duration" 2 hours).
    A server measuring from the opening would close this busy connection after 0.5 s, so it must
    outlive the idle timeout by far: 2.5 s, five times it, yet still close at the maximum (3 s)."""
    with connect(url(short_limits_server, "local-echo")) as ws:
        opened = time.monotonic()
        with pytest.raises(ConnectionClosed) as closed:
            for n in range(100):  # a message every 0.1 s: never idle
                ws.send(str(n))
                assert ws.recv(timeout=5) == str(n)
                time.sleep(0.1)
        lived = time.monotonic() - opened
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
    assert lived > 2.5  # the messages counted as activity; the maximum duration closed it


def test_shutdown_closes_every_connection_1001_after_disconnect() -> None:
    srv = DevServer("local-tests", sockets_of(services.__name__), port=0, limits=Limits(close_timeout=1.0))
    srv.start()
    with ExitStack() as stack:
        clients = [stack.enter_context(connect(url(srv, "local-lab"))) for _ in range(5)]
        ids = [whoami(ws) for ws in clients]
        srv.shutdown()
        for ws in clients:
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=5)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
    for me in ids:
        gone = services.wait_for(lambda e, me=me: e["type"] == "disconnect" and e["id"] == me)
        assert gone["code"] == 1001
    assert not srv.connections


def test_a_connect_in_flight_at_shutdown_still_gets_its_disconnect() -> None:
    """Shutdown waits for a ``$connect`` under way: if it accepts, the connection existed (its
    handler may have stored it), so its ``$disconnect`` runs before the server stops, as every
    accepted connection's does in the cloud ("Use $connect and $disconnect routes")."""
    srv = DevServer("local-tests", sockets_of(services.__name__), port=0, limits=Limits(close_timeout=1.0))
    srv.start()
    services.RELEASE_ROOM.clear()
    marker = f"m{time.monotonic_ns()}"

    def held_client() -> None:
        with contextlib.suppress(Exception), connect(url(srv, "local-room", f"user=held&hold=1&m={marker}")):
            pass  # shutdown cuts the handshake either way

    client = threading.Thread(target=held_client)
    client.start()
    connected = services.wait_for(lambda e: e["type"] == "connect" and e["query"].get("m") == marker)
    stopping = threading.Thread(target=srv.shutdown)
    stopping.start()
    time.sleep(0.2)  # shutdown is under way while $connect still holds
    assert stopping.is_alive()
    services.RELEASE_ROOM.set()  # $connect returns, accepting
    stopping.join(15)
    client.join(10)
    assert not stopping.is_alive()
    assert services.recorded(lambda e: e["type"] == "disconnect" and e["id"] == connected["id"])
