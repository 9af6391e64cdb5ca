"""The management API (`@connections`) of the dev server, through boto3 and raw HTTP."""

from __future__ import annotations

import datetime
import http.client
import json
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import boto3
import pytest
from botocore.exceptions import ClientError
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from eventual import ConnectionGone
from eventual.local import DevServer
from tests.local import services
from tests.local.conftest import url, whoami
from tests.local.test_connection import open_websocket

pytestmark = pytest.mark.usefixtures("no_server_errors")

MESSAGE_QUOTA = 131_072
"""API Gateway's "WebSocket message payload size" quota, 128 KB, written out: never read from the
code under test (apigateway-execution-service-websocket-limits-table)."""


@pytest.fixture
def api(server: DevServer) -> Any:
    """A plain boto3 client for local-lab's management API, as any program would make one."""
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=server.socket_urls("local-lab")["http"],
        region_name="us-east-1",
    )


@pytest.fixture
def raw(server: DevServer) -> Iterator[http.client.HTTPConnection]:
    client = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    yield client
    client.close()


def error_code(error: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response = error.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_post_reaches_the_client_as_a_text_frame(server: DevServer, api: Any) -> None:
    with connect(url(server, "local-lab")) as ws:
        me = whoami(ws)
        assert me.endswith("=")  # boto3 sends it percent-encoded: %3D
        api.post_to_connection(ConnectionId=me, Data=b'{"n": 1}')
        api.post_to_connection(ConnectionId=me, Data="ünïcode".encode())
        assert ws.recv(timeout=5) == '{"n": 1}'
        assert ws.recv(timeout=5) == "ünïcode"  # boundaries kept, text frames


def test_socket_send_and_connection_gone_through_the_runtime(server: DevServer) -> None:
    with server.deployment.activate(), connect(url(server, "local-lab")) as ws:
        me = whoami(ws)
        services.lab.send(me, {"from": "test"})
        assert json.loads(ws.recv(timeout=5)) == {"from": "test"}
    services.wait_for(lambda e: e["type"] == "disconnect" and e["id"] == me)
    with server.deployment.activate(), pytest.raises(ConnectionGone):
        services.lab.send(me, "too late")


def test_get_connection_describes_it(server: DevServer, api: Any) -> None:
    before = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=1)
    with connect(url(server, "local-lab"), user_agent_header="probe/2") as ws:
        me = whoami(ws)
        info = api.get_connection(ConnectionId=me)
        assert info["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert info["Identity"] == {"SourceIp": "127.0.0.1", "UserAgent": "probe/2"}
        assert before <= info["ConnectedAt"] <= info["LastActiveAt"] <= datetime.datetime.now(datetime.UTC)
        ws.send("info")  # the same, from a handler through Socket.connection_info
        described = json.loads(ws.recv(timeout=5))
        assert described == {
            "connectionId": me,
            "connectedAt": round(info["ConnectedAt"].timestamp() * 1000),
            "lastActiveAt": described["lastActiveAt"],
            "sourceIp": "127.0.0.1",
            "userAgent": "probe/2",
        }


def test_last_active_at_moves_with_client_frames(server: DevServer, api: Any) -> None:
    with connect(url(server, "local-lab")) as ws:
        me = whoami(ws)
        first = api.get_connection(ConnectionId=me)["LastActiveAt"]
        time.sleep(0.05)
        whoami(ws)
        assert api.get_connection(ConnectionId=me)["LastActiveAt"] > first


def test_delete_closes_the_connection_then_everything_is_gone(server: DevServer, api: Any) -> None:
    with connect(url(server, "local-lab")) as ws:
        me = whoami(ws)
        deleted = api.delete_connection(ConnectionId=me)
        assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1000
    assert services.wait_for(lambda e: e["type"] == "disconnect" and e["id"] == me)["code"] == 1000
    for call in (api.post_to_connection, api.get_connection, api.delete_connection):
        kwargs = (
            {"ConnectionId": me, "Data": b"x"} if call == api.post_to_connection else {"ConnectionId": me}
        )
        with pytest.raises(ClientError) as gone:
            call(**kwargs)
        assert error_code(gone) == ("GoneException", 410)


def test_a_handler_can_disconnect_its_own_caller(server: DevServer) -> None:
    with connect(url(server, "local-lab")) as ws:
        me = whoami(ws)
        ws.send("bye")
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=5)
    assert services.wait_for(lambda e: e["type"] == "disconnect" and e["id"] == me)["code"] == 1000


@pytest.mark.parametrize("method", ["POST", "GET", "DELETE"])
def test_unknown_connection_is_410_gone(raw: http.client.HTTPConnection, method: str) -> None:
    raw.request(method, f"/__ws/local-lab/@connections/{quote('nope+/x=', safe='')}", body=b"x")
    answer = raw.getresponse()
    assert answer.status == 410
    assert answer.getheader("x-amzn-ErrorType") == "GoneException"
    assert "message" in json.loads(answer.read())


def test_a_connection_is_gone_on_another_socket(server: DevServer, api: Any) -> None:
    other = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=server.socket_urls("local-echo")["http"],
        region_name="us-east-1",
    )
    with connect(url(server, "local-lab")) as ws:
        me = whoami(ws)
        with pytest.raises(ClientError) as gone:
            other.post_to_connection(ConnectionId=me, Data=b"wrong api")
        assert error_code(gone) == ("GoneException", 410)


def test_delete_answers_204_without_a_body(server: DevServer, raw: http.client.HTTPConnection) -> None:
    with connect(url(server, "local-lab")) as ws:
        me = whoami(ws)
        raw.request("DELETE", f"/__ws/local-lab/@connections/{quote(me, safe='')}")
        answer = raw.getresponse()
        assert (answer.status, answer.read()) == (204, b"")


def test_post_over_128_kb_is_413(server: DevServer, raw: http.client.HTTPConnection) -> None:
    with connect(url(server, "local-lab"), max_size=None) as ws:
        me = whoami(ws)
        path = f"/__ws/local-lab/@connections/{quote(me, safe='')}"
        raw.request("POST", path, body=b"z" * (MESSAGE_QUOTA + 1))
        answer = raw.getresponse()
        assert answer.status == 413
        assert answer.getheader("x-amzn-ErrorType") == "PayloadTooLargeException"
        assert json.loads(answer.read()) == {"message": "Message is over the 131072 byte limit"}
        raw.request("POST", path, body=b"z" * MESSAGE_QUOTA)  # the limit itself passes
        assert raw.getresponse().status == 200
        assert ws.recv(timeout=5) == "z" * MESSAGE_QUOTA


def test_management_of_an_unknown_socket_is_404(raw: http.client.HTTPConnection) -> None:
    raw.request("POST", "/__ws/nope/@connections/abc%3D", body=b"x")
    assert raw.getresponse().status == 404


def test_keep_alive_serves_many_requests_on_one_connection(
    server: DevServer, raw: http.client.HTTPConnection
) -> None:
    with connect(url(server, "local-lab")) as ws:
        me = whoami(ws)
        for n in range(20):
            raw.request("POST", f"/__ws/local-lab/@connections/{quote(me, safe='')}", body=str(n).encode())
            answer = raw.getresponse()
            assert answer.status == 200
            answer.read()
        assert [ws.recv(timeout=5) for _ in range(20)] == [str(n) for n in range(20)]


def test_post_with_expect_100_continue_like_curl(server: DevServer) -> None:
    with connect(url(server, "local-lab")) as ws:
        me = whoami(ws)
        body = b"c" * 5000
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw_socket:
            raw_socket.sendall(
                f"POST /__ws/local-lab/@connections/{quote(me, safe='')} HTTP/1.1\r\nHost: localhost\r\n"
                f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n".encode()
            )
            assert raw_socket.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
            raw_socket.sendall(body)
            assert raw_socket.recv(100).startswith(b"HTTP/1.1 200 OK\r\n")
        assert ws.recv(timeout=5) == body.decode()


def test_a_connection_closing_is_gone_for_post_and_delete(
    server: DevServer, raw: http.client.HTTPConnection
) -> None:
    """Once the service closed it (``DeleteConnection``), a connection whose client has not yet
    answered the close frame takes no more messages: 410, as for one already gone. (A raw client
    that never reads keeps it closing until the close timeout.)"""
    known = set(server.connections)
    silent = open_websocket(server, "/__ws/local-lab")
    (me,) = set(server.connections) - known
    path = f"/__ws/local-lab/@connections/{quote(me, safe='')}"
    with silent:
        raw.request("DELETE", path)
        answer = raw.getresponse()
        assert (answer.status, answer.read()) == (204, b"")
        for method in ("POST", "DELETE"):
            raw.request(method, path, body=b"late")
            answer = raw.getresponse()
            assert (method, answer.status) == (method, 410)
            answer.read()
        gone = services.wait_for(lambda e: e["type"] == "disconnect" and e["id"] == me)
    assert (gone["code"], gone["reason"]) == (1000, "")


def test_another_method_is_405(server: DevServer, raw: http.client.HTTPConnection) -> None:
    with connect(url(server, "local-lab")) as ws:
        me = whoami(ws)
        raw.request("PUT", f"/__ws/local-lab/@connections/{quote(me, safe='')}", body=b"x")
        answer = raw.getresponse()
        assert (answer.status, answer.getheader("x-amzn-ErrorType")) == (405, "MethodNotAllowed")
        assert json.loads(answer.read()) == {
            "message": "PUT is not a management API method: POST, GET or DELETE"
        }
