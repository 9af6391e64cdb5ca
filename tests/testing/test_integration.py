"""The test client waits for a handler as API Gateway (and ``eventual local``) waits for its
integration: 29 s, or the socket's own ``timeout`` when lower (issue 19, item 2).

API Gateway's WebSocket quota "Integration timeout: 50 milliseconds - 29 seconds"
(apigateway-execution-service-websocket-limits-table); past it a message's client gets
``{"message": "Endpoint request timed out", ...}`` and the late result is dropped, a ``$connect``
is refused with 504 and an authorizer with 500, as ``eventual local`` does
(tests/local/test_workers.py, test_handshake.py, test_authorizer.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.sync.client import connect

import eventual.runtime.integration
from eventual import ConnectRequest, Context, MessageRequest, socket
from eventual.local import DevServer
from eventual.testing import Rejected, SocketTestClient
from eventual.testing.integration import THREADS

RELEASE = threading.Event()
"""What the slow handlers wait for: the test releases them once it has its answer."""
FINISHED: list[str] = []
"""What the slow handlers did once released, in order."""


@pytest.fixture(autouse=True)
def released() -> Iterator[None]:
    RELEASE.clear()
    FINISHED.clear()
    yield
    RELEASE.set()  # no handler of this test outlives it


def wait_until(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not so in time"
        time.sleep(0.01)


def on_message(request: MessageRequest, context: Context) -> str:
    """``hold``: wait for RELEASE, push ``after``, reply ``late``; ``nap``: 0.2 s, reply ``rested``."""
    if request.body == "nap":
        time.sleep(0.2)  # well within the 1 s timeout
        return "rested"
    RELEASE.wait(10)
    SOCKETS[context["socket"]].send(request.connection_id, "after")
    FINISHED.append("def")
    return "late"


async def on_message_async(request: MessageRequest, context: Context) -> str:
    if request.body == "nap":
        await asyncio.sleep(0.2)
        return "rested"
    while not RELEASE.is_set():
        await asyncio.sleep(0.01)
    held_async.send(request.connection_id, "after")
    FINISHED.append("async")
    return "late"


def on_connect(request: ConnectRequest, context: Context) -> None:
    if "hold" in request.query:
        RELEASE.wait(10)


def authorizer(request: ConnectRequest) -> dict[str, Any]:
    if "hold" in request.query:
        RELEASE.wait(10)
    return {"sub": "anyone"}


async def authorizer_async(request: ConnectRequest) -> dict[str, Any]:
    while "hold" in request.query and not RELEASE.is_set():
        await asyncio.sleep(0.01)
    return {"sub": "anyone"}


held = socket("held", {"$connect": on_connect, "$default": on_message}, timeout=1)
held_async = socket("held-async", {"$default": on_message_async}, timeout=1)
guarded = socket("held-guarded", {"$default": on_message}, timeout=1, authorizer=authorizer)
guarded_async = socket("held-guarded-async", {}, timeout=1, authorizer=authorizer_async)
untimed = socket("held-untimed", {"$default": on_message})
"""No ``timeout``: API Gateway's 29 s applies."""
SOCKETS = {sock.name: sock for sock in (held, guarded, untimed)}


@pytest.mark.parametrize("sock", [held, held_async], ids=["def", "async def"])
def test_a_message_past_the_sockets_timeout_gets_the_timeout_answer_and_its_late_result_is_dropped(
    sock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING), SocketTestClient(sock) as client:
        ada = client.connect(sock.name)
        reply = ada.send("hold")  # returns while the handler still waits for RELEASE
        assert FINISHED == []
        answer = json.loads(str(reply))
        assert answer == {
            "message": "Endpoint request timed out",
            "connectionId": ada.connection_id,
            "requestId": answer["requestId"],
        }
        RELEASE.set()
        wait_until(lambda: FINISHED and len(ada.messages) == 2)
        # What it sends still arrives, as a late Lambda's post does; its reply never does.
        assert ada.messages == [reply, "after"]
        assert ada.received == ["after"]
        wait_until(lambda: "after its integration timeout" in caplog.text)
    assert f"{sock.name} $default on connection {ada.connection_id} returned 200 after its " in caplog.text
    assert "integration timeout of 1s: dropped" in caplog.text


@pytest.mark.parametrize("sock", [held, held_async], ids=["def", "async def"])
def test_a_message_within_the_sockets_timeout_gets_its_reply(sock: Any) -> None:
    with SocketTestClient(sock) as client, client.connect(sock.name) as ada:
        assert ada.send("nap") == "rested"


def test_a_connect_past_its_timeout_is_refused_504() -> None:
    client = SocketTestClient(held)
    with pytest.raises(Rejected) as refused:
        client.connect("held", query={"hold": "1"})
    assert (refused.value.status, refused.value.json()) == (504, {"message": "Endpoint request timed out"})
    assert client.connect("held").open  # within it: accepted


@pytest.mark.parametrize("sock", [guarded, guarded_async], ids=["def", "async def"])
def test_an_authorizer_past_its_timeout_refuses_with_500(sock: Any, caplog: pytest.LogCaptureFixture) -> None:
    client = SocketTestClient(sock)
    with caplog.at_level(logging.WARNING), pytest.raises(Rejected) as refused:
        client.connect(sock.name, query={"hold": "1"})
    assert (refused.value.status, refused.value.json()) == (500, {"message": None})
    assert f"{sock.name} authorizer did not answer within its integration timeout of 1s" in caplog.text
    conn = client.connect(sock.name)
    assert conn.identity is not None and conn.identity["sub"] == "anyone"


def test_the_test_client_and_the_dev_server_apply_one_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a ``timeout`` the socket gets API Gateway's 29 s, from the rule both sides read
    (eventual.runtime.integration): lowered, both time out a handler they would otherwise wait for."""
    monkeypatch.setattr(eventual.runtime.integration, "INTEGRATION_TIMEOUT", 0.6)
    with SocketTestClient(untimed).connect("held-untimed") as ada:
        assert json.loads(str(ada.send("hold")))["message"] == "Endpoint request timed out"
        assert ada.send("nap") == "rested"  # 0.2 s: within 0.6 s
        RELEASE.set()
        wait_until(lambda: FINISHED == ["def"])
    RELEASE.clear()
    with DevServer("svc", {"held-untimed": untimed}, port=0) as server:
        with connect(server.socket_urls("held-untimed")["wss"]) as ws:
            ws.send("hold")
            assert json.loads(ws.recv(timeout=5))["message"] == "Endpoint request timed out"
        RELEASE.set()


def test_handlers_past_their_timeout_take_a_bounded_number_of_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Twice as many handlers stuck past their timeout as the pool has threads: the threads stay
    at the bound, every event still gets its answer in time, and the queued ones run later."""
    monkeypatch.setattr(eventual.runtime.integration, "INTEGRATION_TIMEOUT", 0.05)
    client = SocketTestClient(untimed)
    with client.connect("held-untimed") as ada:
        for _ in range(2 * THREADS):
            assert json.loads(str(ada.send("hold")))["message"] == "Endpoint request timed out"
        pool = [t for t in threading.enumerate() if t.name.startswith("eventual-test-handler-")]
        assert len(pool) == THREADS
        RELEASE.set()
        wait_until(lambda: len(FINISHED) == 2 * THREADS)
