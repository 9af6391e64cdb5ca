"""Handlers on the worker pool (eventual/local/workers.py): failures of any kind, API Gateway's
integration timeout, and a loop that never waits for them."""

from __future__ import annotations

import asyncio
import http.client
import json
import logging
import threading
import time
from contextlib import ExitStack
from typing import Any

import pytest
from websockets.sync.client import connect

from eventual import Context, socket
from eventual.local import DevServer
from eventual.local.limits import WORKERS
from eventual.runtime.integration import INTEGRATION_TIMEOUT, integration_timeout
from eventual.sockets import sockets_of
from tests.local import services
from tests.local.conftest import url, whoami


def test_sys_exit_in_a_handler_is_logged_and_answered_like_any_failure(
    server: DevServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 10: a handler calling ``sys.exit`` used to drop its connection with no close frame
    and no log. API Gateway answers a failed integration with "Internal server error"."""
    with connect(url(server, "local-lab")) as ws:
        me = whoami(ws)
        ws.send("exit")
        answer = json.loads(ws.recv(timeout=5))
        assert (answer["message"], answer["connectionId"]) == ("Internal server error", me)
        ws.send("still here?")
        assert ws.recv(timeout=5) == "lab:still here?"
    assert "local-lab handler failed: SystemExit: 3" in caplog.text


def test_async_handlers_run_on_the_handler_loop_and_survive_sys_exit(
    server: DevServer, caplog: pytest.LogCaptureFixture
) -> None:
    """An ``async def`` handler needs no pool thread: it runs on the process's handler loop,
    and a ``SystemExit`` from it is a failure like any other, not the end of that loop."""
    with connect(url(server, "local-async")) as ws:
        ws.send("thread")
        assert ws.recv(timeout=5) == "eventual-async"
        ws.send("exit")
        assert json.loads(ws.recv(timeout=5))["message"] == "Internal server error"
        ws.send("1")
        assert ws.recv(timeout=5) == "async:1"
    assert "local-async handler failed: SystemExit: 4" in caplog.text


def test_integration_timeout_is_the_lambda_timeout_when_lower() -> None:
    assert integration_timeout(services.slow) == 1.0
    assert integration_timeout(services.lab) == INTEGRATION_TIMEOUT == 29.0


def test_a_timed_out_handler_gets_api_gateways_answer_and_its_late_result_is_dropped(
    server: DevServer, caplog: pytest.LogCaptureFixture
) -> None:
    """After the integration timeout the client receives ``{"message": "Endpoint request timed
    out", ...}``; the next message is served; the late result is logged, never sent."""
    with caplog.at_level(logging.WARNING, logger="eventual.local"), connect(url(server, "local-slow")) as ws:
        ws.send("sleep:1.5")
        answer = json.loads(ws.recv(timeout=5))
        assert answer["message"] == "Endpoint request timed out"
        assert set(answer) == {"message", "connectionId", "requestId"}
        ws.send("next")
        assert ws.recv(timeout=5) == "slow:next"
        services.wait_for(lambda e: e["type"] == "slow" and e["body"] == "sleep:1.5")
        ws.send("after")
        assert ws.recv(timeout=5) == "slow:after"  # not "slow:sleep:1.5": the late result was dropped
    assert "after its integration timeout of 1s: dropped" in caplog.text


def test_pings_are_answered_while_a_handler_runs(server: DevServer) -> None:
    """Issue 10: a long handler used to stall the connection's pongs (clients then closed with
    1011). API Gateway answers pings itself."""
    services.RELEASE.clear()
    with connect(url(server, "local-lab")) as ws:
        ws.send("block")
        for _ in range(3):
            assert ws.ping().wait(5)
        services.RELEASE.set()
        assert ws.recv(timeout=5) == "released"


def server_threads() -> int:
    return sum(1 for thread in threading.enumerate() if thread.name.startswith("eventual-"))


def test_the_thread_count_does_not_grow_with_connections(server: DevServer) -> None:
    """Issue 10: a thread per connection; now one loop and at most ``WORKERS`` handler threads."""
    with ExitStack() as stack:
        clients = [stack.enter_context(connect(url(server, "local-echo"))) for _ in range(2 * WORKERS)]
        for ws in clients:
            ws.send("x")  # every connection's handler at once: the pool takes them in turn
        for ws in clients:
            assert ws.recv(timeout=5) == "x"
        # A thread per connection would make it 2 * WORKERS at least: the loop, the pool (at
        # most WORKERS), the async handler loop, and a few left by other tests' blocked handlers.
        assert server_threads() < 2 * WORKERS


def test_a_thread_the_system_refuses_costs_no_connection(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 10: when a thread could not start, the exception escaped the accept loop, which
    never accepted again. Now the refusal is logged and the event waits for a running thread."""
    srv = DevServer("local-tests", sockets_of(services.__name__), port=0)
    srv.start()
    real_start = threading.Thread.start

    def start(thread: threading.Thread) -> None:
        if thread.name.startswith("eventual-handler-") and thread.name != "eventual-handler-1":
            raise RuntimeError("can't start new thread")
        real_start(thread)

    monkeypatch.setattr(threading.Thread, "start", start)
    services.RELEASE.clear()
    try:
        with connect(url(srv, "local-lab")) as blocked, connect(url(srv, "local-echo")) as waiting:
            me = whoami(blocked)
            blocked.send("block")  # holds the one thread there is until RELEASE
            services.wait_for(lambda e: e["type"] == "message" and e["body"] == "block" and e["id"] == me)
            waiting.send("queued")  # wants a second thread, which the system refuses
            page = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
            page.request("GET", "/")  # the loop still accepts and answers meanwhile
            assert page.getresponse().status == 200
            page.close()
            services.RELEASE.set()
            assert waiting.recv(timeout=5) == "queued"
        assert "could not start a eventual-handler thread (can't start new thread)" in caplog.text
    finally:
        services.RELEASE.set()
        srv.shutdown()


def test_a_def_middleware_in_front_of_an_async_handler_gets_its_result_on_a_worker() -> None:
    """Issue 19, item 4: the dev server used to run such a chain on the handler loop, where the
    middleware's ``next()`` could only return an awaitable. A chain with ``def`` steps now takes a
    worker thread, which runs them while the handler runs on the loop (eventual.bridge)."""
    where: list[str] = []

    def timed(request: Any, context: Context, next: Any) -> Any:
        where.append(threading.current_thread().name)
        started = time.perf_counter()
        result = next()
        return {"result": result, "took": time.perf_counter() - started}

    async def napping(request: Any, context: Context) -> str:
        where.append(threading.current_thread().name)
        await asyncio.sleep(0.3)
        return "rested"

    sock = socket.use({"message": timed}).socket("timed-nap", {"$default": napping})
    with DevServer("svc", {"timed-nap": sock}, port=0) as srv, connect(url(srv, "timed-nap")) as ws:
        ws.send("go")
        answer = json.loads(ws.recv(timeout=5))
    assert answer["result"] == "rested" and answer["took"] >= 0.25
    assert where[0].startswith("eventual-handler-") and where[1] == "eventual-async"
