"""The `$connect` authorizer on the dev server, with real `websockets` clients (`local-room`)."""

from __future__ import annotations

import base64
import json
import logging
import os
import socket
import threading
import time
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from eventual.local import DevServer
from tests.local import services
from tests.local.conftest import url, whoami

pytestmark = pytest.mark.usefixtures("no_server_errors")


def refused(server: DevServer, query: str) -> tuple[int, Any, str | None, str]:
    """Status, JSON body and error type of a refused handshake; ``marker`` tags the attempt."""
    marker = f"m{time.monotonic_ns()}"
    with pytest.raises(InvalidStatus) as error:
        connect(url(server, "local-room", f"{query}&m={marker}" if query else f"m={marker}"))
    answer = error.value.response
    return answer.status_code, json.loads(answer.body or b""), answer.headers.get("x-amzn-ErrorType"), marker


def connect_ran(marker: str) -> bool:
    return bool(services.recorded(lambda e: e["type"] == "connect" and e.get("query", {}).get("m") == marker))


def test_no_credentials_is_401_and_connect_never_runs(server: DevServer) -> None:
    status, body, error_type, marker = refused(server, "")
    assert (status, body, error_type) == (401, {"message": "Unauthorized"}, "UnauthorizedException")
    assert not connect_ran(marker)


def test_forbidden_is_403_without_the_authorizers_message(server: DevServer) -> None:
    status, body, error_type, marker = refused(server, "user=banned")
    assert status == 403 and error_type == "AccessDeniedException"
    assert "banned on purpose" not in json.dumps(body)  # API Gateway's own text, as in the cloud
    assert not connect_ran(marker)


@pytest.mark.parametrize(
    ("user", "logged"),
    [("explode", "RuntimeError: authorizer failed on purpose"), ("nested", "'roles' is list")],
)
def test_a_failing_authorizer_is_500_and_logged(
    server: DevServer, caplog: pytest.LogCaptureFixture, user: str, logged: str
) -> None:
    status, body, error_type, marker = refused(server, f"user={user}")
    assert (status, body, error_type) == (500, {"message": None}, "AuthorizerConfigurationException")
    assert not connect_ran(marker)
    [record] = [r for r in caplog.records if r.name == "eventual.runtime"]
    failure = json.loads(record.getMessage())
    assert failure["message"].startswith("local-room authorizer failed") and logged in failure["message"]
    assert failure["route"] == "$connect" and "Traceback" in failure["traceback"]
    with connect(url(server, "local-room", "user=after")) as ws:  # the server carries on
        assert whoami(ws)


def test_identity_reaches_connect_default_and_disconnect_as_api_gateway_passes_it(
    server: DevServer,
) -> None:
    with connect(url(server, "local-room", "user=ada")) as ws:
        me = whoami(ws)
        ws.send("identity")
        identity = json.loads(ws.recv(timeout=5))
    # Stringified values plus principalId (the policy's: here from "sub") and integrationLatency.
    latency = identity.pop("integrationLatency")
    assert isinstance(latency, int) and latency >= 0
    assert identity == {"sub": "ada", "admin": "true", "level": "3", "principalId": "ada"}
    expected = {**identity, "integrationLatency": latency}
    connected = services.wait_for(lambda e: e["type"] == "connect" and e["id"] == me)
    assert connected["identity"] == expected
    disconnected = services.wait_for(lambda e: e["type"] == "disconnect" and e["id"] == me)
    assert disconnected["identity"] == expected


def test_each_connection_keeps_its_own_identity_and_headers_count(server: DevServer) -> None:
    with (
        connect(url(server, "local-room", "user=bob")) as bob,
        connect(url(server, "local-room"), additional_headers={"X-User": "eve"}) as eve,
    ):
        for ws, name in ((bob, "bob"), (eve, "eve"), (bob, "bob")):
            ws.send("identity")
            assert json.loads(ws.recv(timeout=5))["principalId"] == name


def test_a_slow_authorizer_stalls_only_its_own_handshake(server: DevServer) -> None:
    services.RELEASE_ROOM.clear()
    slow_answer: list[str] = []

    def slow_client() -> None:
        with connect(url(server, "local-room", "user=slow"), open_timeout=10) as ws:
            ws.send("identity")
            slow_answer.append(json.loads(ws.recv(timeout=5))["sub"])

    thread = threading.Thread(target=slow_client)
    thread.start()
    try:
        time.sleep(0.1)  # the slow handshake is under way
        with connect(url(server, "local-room", "user=quick"), open_timeout=5) as ws:
            assert whoami(ws)
        assert slow_answer == []
    finally:
        services.RELEASE_ROOM.set()
        thread.join(10)
    assert slow_answer == ["slow"]


def test_an_authorizer_past_its_integration_timeout_is_refused_500(
    server: DevServer, caplog: pytest.LogCaptureFixture
) -> None:
    """API Gateway stops waiting for an authorizer at its integration timeout (29 s, or the
    function's own lower timeout; ``local-slow``'s is 1 s: apigateway-execution-service-websocket-
    limits-table) and refuses the handshake as it does for a failed authorizer. AWS documents
    no distinct answer for a timed-out WebSocket authorizer; this is its failed-authorizer one."""
    marker = f"m{time.monotonic_ns()}"
    with caplog.at_level(logging.WARNING, logger="eventual.local"), pytest.raises(InvalidStatus) as error:
        connect(url(server, "local-slow", f"authsleep=3&m={marker}"), open_timeout=10)
    answer = error.value.response

    def finished(event: dict[str, Any]) -> bool:
        return event["type"] == "slow-authorized" and event["query"].get("m") == marker

    assert not services.recorded(finished)  # refused while the authorizer was still running
    assert (answer.status_code, json.loads(answer.body or b"")) == (500, {"message": None})
    assert answer.headers.get("x-amzn-ErrorType") == "AuthorizerConfigurationException"
    [warning] = [r.getMessage() for r in caplog.records if r.name == "eventual.local"]
    assert "local-slow authorizer did not answer within its integration timeout of 1s" in warning
    caplog.clear()  # expected: not one of the server errors this module fails on
    services.wait_for(finished)  # it ran to the end on its worker; nothing else came of it
    with connect(url(server, "local-slow")) as ws:  # the server carries on
        ws.send("hello")
        assert ws.recv(timeout=5) == "slow:hello"


@pytest.mark.parametrize("host_field", ["Host", "host", "HOST"])
def test_the_default_identity_source_the_host_header_is_in_every_handshake_whatever_its_case(
    server: DevServer, host_field: str
) -> None:
    """Issue 19 item 13: an authorizer's default identity source is ``route.request.header.Host``.
    HTTP field names are case-insensitive (RFC 9110, 5.1), and HTTP/1.1 requires the field (h11
    refuses a request without one with 400 before any route runs), so every handshake the dev
    server reaches has it and the authorizer decides; a handshake is never 401 for lack of it."""
    key = base64.b64encode(os.urandom(16)).decode()
    head = (
        f"GET /__ws/local-room?user=ada HTTP/1.1\r\n{host_field}: 127.0.0.1:{server.port}\r\n"
        f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(head)
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 101 "), answer
