"""What the console does to a connection (eventual/local/console/actions.py), done as a handler
does it: ``Socket.send`` and ``Socket.disconnect`` through boto3 and this server's management API.
A disconnect closes the client exactly as the management API's DELETE does (API Gateway's
DeleteConnection: the dev server closes with 1000 and no reason, docs/architecture.md)."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import quote

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from eventual.local import DevServer
from eventual.payload import MAX_PAYLOAD_BYTES
from tests.local import services
from tests.local.conftest import url, whoami

pytestmark = pytest.mark.usefixtures("no_server_errors")


def post(server: DevServer, action: str, body: bytes | dict[str, Any], **headers: str) -> tuple[int, Any]:
    client = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    client.request("POST", f"/__eventual/console/{action}", body=payload, headers=headers)
    answer = client.getresponse()
    raw = answer.read()
    client.close()
    return answer.status, json.loads(raw) if answer.getheader("Content-Type") == "application/json" else raw


def close_of(ws: ClientConnection) -> tuple[int, str]:
    with pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=5)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


def test_send_reaches_the_client_through_the_management_api(server: DevServer) -> None:
    with connect(url(server, "local-lab")) as ws:
        me = whoami(ws)
        before = server.feed.last_seq
        answer = post(server, "send", {"socket": "local-lab", "connectionId": me, "data": "from the console"})
        assert answer == (200, {"ok": True})
        assert ws.recv(timeout=5) == "from the console"
    (posted,) = [e for e in server.feed.since(before) if e.kind == "management"]
    assert (posted.route, posted.connection, posted.status, posted.body) == (
        "POST",
        me,
        200,
        b"from the console",
    )


def test_disconnect_closes_the_client_as_the_management_api_s_delete_does(server: DevServer) -> None:
    with connect(url(server, "local-lab")) as by_console, connect(url(server, "local-lab")) as by_delete:
        console_id, delete_id = whoami(by_console), whoami(by_delete)
        assert post(server, "disconnect", {"socket": "local-lab", "connectionId": console_id}) == (
            200,
            {"ok": True},
        )
        raw = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        raw.request("DELETE", f"/__ws/local-lab/@connections/{quote(delete_id, safe='')}")
        assert raw.getresponse().status == 204
        raw.close()
        assert close_of(by_console) == close_of(by_delete) == (1000, "")
    disconnects = [
        services.wait_for(lambda e, me=me: e["type"] == "disconnect" and e["id"] == me)  # type: ignore[misc]
        for me in (console_id, delete_id)
    ]
    assert [(e["code"], e["reason"]) for e in disconnects] == [(1000, ""), (1000, "")]
    deletes = [e for e in list(server.feed.recent) if e.kind == "management" and e.route == "DELETE"]
    assert {(e.connection, e.status) for e in deletes} >= {(console_id, 204), (delete_id, 204)}


def test_a_gone_connection_is_410(server: DevServer) -> None:
    for action in ("send", "disconnect"):
        status, body = post(server, action, {"socket": "local-lab", "connectionId": "nobody=", "data": "x"})
        assert (status, body) == (410, {"message": "connection 'nobody=' is gone"})


def test_a_message_over_api_gateway_s_limit_is_413(server: DevServer) -> None:
    with connect(url(server, "local-lab")) as ws:
        me = whoami(ws)
        fits = "x" * MAX_PAYLOAD_BYTES
        assert post(server, "send", {"socket": "local-lab", "connectionId": me, "data": fits}) == (
            200,
            {"ok": True},
        )
        assert ws.recv(timeout=5) == fits
        status, body = post(server, "send", {"socket": "local-lab", "connectionId": me, "data": fits + "x"})
        assert (status, body) == (
            413,
            {
                "message": "message of 131073 bytes exceeds API Gateway's WebSocket limit of "
                "131072 bytes (128 KB)"
            },
        )


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"not json", 400, None),
        (b"[1, 2]", 400, "the body must be a JSON object"),
        ({"connectionId": "a=", "data": "x"}, 404, "no socket named None"),
        ({"socket": "nope", "connectionId": "a=", "data": "x"}, 404, "no socket named 'nope'"),
        ({"socket": "local-lab", "data": "x"}, 400, "'connectionId' must be a string, not empty"),
        (
            {"socket": "local-lab", "connectionId": "", "data": "x"},
            400,
            "'connectionId' must be a string, not empty",
        ),
        ({"socket": "local-lab", "connectionId": "a="}, 400, "'data' must be a string"),
        ({"socket": "local-lab", "connectionId": "a=", "data": 3}, 400, "'data' must be a string"),
    ],
)
def test_a_request_that_says_nothing_doable_is_refused(
    server: DevServer, body: bytes | dict[str, Any], status: int, message: str | None
) -> None:
    answered, answer = post(server, "send", body)
    assert answered == status
    if message is not None:
        assert answer == {"message": message}


def test_another_site_s_page_cannot_act(server: DevServer) -> None:
    with connect(url(server, "local-lab")) as ws:
        me = whoami(ws)
        status, _ = post(
            server, "disconnect", {"socket": "local-lab", "connectionId": me}, Origin="http://evil.example"
        )
        assert status == 403
        ws.send("still")
        assert ws.recv(timeout=5) == "lab:still"


def test_a_request_sent_behind_an_action_is_answered_after_it(server: DevServer) -> None:
    """An action's answer waits for a worker; a keep-alive client's next request, sent at once
    (pipelined, RFC 9112 9.3.2), is read once the action is answered, and answered after it."""
    import re
    import socket as sockets

    body = json.dumps({"socket": "local-lab", "connectionId": "nobody=", "data": "x"}).encode()
    action = b"POST /__eventual/console/send HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n"
    state = b"GET /__eventual/console/state HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    with sockets.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        raw.sendall(action % len(body) + body + state)
        received = b""
        while len(re.findall(rb"HTTP/1\.1 (\d{3}) ", received)) < 2:
            received += raw.recv(1 << 16)
    assert re.findall(rb"HTTP/1\.1 (\d{3}) ", received) == [b"410", b"200"]
