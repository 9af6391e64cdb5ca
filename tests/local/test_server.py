"""The dev server's side of "Local == cloud" (docs/architecture.md): the handshake, the events, the
route response, with the `websockets` client."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import time
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.frames import Frame, Opcode
from websockets.sync.client import ClientConnection, connect

from eventual.local import DevServer
from tests.local import services
from tests.local.conftest import url, whoami

pytestmark = pytest.mark.usefixtures("no_server_errors")

# API Gateway's quotas (apigateway-execution-service-websocket-limits-table), written out here:
# a test never reads the limit it checks from the code under test.
MESSAGE_QUOTA = 131_072
"""WebSocket message payload size: 128 KB."""
FRAME_QUOTA = 32_768
"""WebSocket frame size: 32 KB."""


def closed_with(ws: ClientConnection) -> tuple[int, str]:
    """The close frame the server sent."""
    with pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=5)
    assert closed.value.rcvd is not None, "the server closed without a close frame"
    return closed.value.rcvd.code, closed.value.rcvd.reason


def disconnect_of(connection_id: str) -> dict[str, object]:
    return services.wait_for(lambda e: e["type"] == "disconnect" and e["id"] == connection_id)


# -- $connect ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [401, 403, 429])
def test_connect_refusal_is_the_handshake_status(server: DevServer, status: int) -> None:
    marker = f"refuse-{status}-{time.monotonic_ns()}"
    with pytest.raises(InvalidStatus) as refused:
        connect(url(server, "local-lab", f"reject={status}&m={marker}"))
    assert refused.value.response.status_code == status
    assert refused.value.response.body == b"refused by $connect"
    connected = services.wait_for(lambda e: e["type"] == "connect" and e["query"].get("m") == marker)
    time.sleep(0.2)  # a refused connection never existed: no $disconnect follows
    assert services.events_of(connected["id"]) == [connected]


def test_connect_exception_is_a_500_handshake(server: DevServer, caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(url(server, "local-lab", "raise=1"))
    assert refused.value.response.status_code == 500
    assert "refused by an exception" in caplog.text  # logged by the runtime, not sent to the client
    assert b"refused by an exception" not in (refused.value.response.body or b"")


def test_connect_runs_before_the_upgrade(server: DevServer) -> None:
    """During $connect the connection does not exist yet for the management API (410), as in AWS."""
    marker = f"early-{time.monotonic_ns()}"
    with connect(url(server, "local-lab", f"sendself=1&m={marker}")) as ws:
        me = whoami(ws)
        connected = services.wait_for(lambda e: e["type"] == "connect" and e["query"].get("m") == marker)
        assert connected["id"] == me
        assert connected["sendself"] == "gone"
        ws.send("after")
        assert ws.recv(timeout=5) == "lab:after"  # the failed early send left nothing behind


def test_connect_event_is_api_gateway_shaped(server: DevServer) -> None:
    with connect(
        url(server, "local-lab", "token=abc&room=1&room=2&empty="),
        additional_headers={"X-Custom": "yes"},
        user_agent_header="lab-client/1.0",
    ) as ws:
        me = whoami(ws)
    connected = services.wait_for(lambda e: e["type"] == "connect" and e["id"] == me)
    assert connected["query"] == {"token": "abc", "room": "2", "empty": ""}
    assert connected["headers"]["x-custom"] == "yes"
    assert connected["context"] == {"socket": "local-lab", "service": "local-tests"}
    event = connected["event"]
    assert event["multiValueQueryStringParameters"]["room"] == ["1", "2"]
    assert event["headers"]["X-Forwarded-For"] == "127.0.0.1"
    rc = event["requestContext"]
    assert rc["routeKey"] == "$connect" and rc["eventType"] == "CONNECT"
    assert rc["connectionId"] == me and rc["identity"]["sourceIp"] == "127.0.0.1"
    assert rc["identity"]["userAgent"] == "lab-client/1.0"
    assert rc["domainName"] == f"localhost:{server.port}"  # the one host the server gives out
    assert rc["connectedAt"] <= rc["requestTimeEpoch"] <= time.time() * 1000
    assert len(me) == 16 and me.endswith("=")  # API Gateway's id shape: percent-encoding matters


def test_connect_without_query_leaves_the_keys_out(server: DevServer) -> None:
    with connect(url(server, "local-lab")) as ws:
        me = whoami(ws)
    event = services.wait_for(lambda e: e["type"] == "connect" and e["id"] == me)["event"]
    assert "queryStringParameters" not in event and "multiValueQueryStringParameters" not in event


def test_unknown_socket_path_is_404(server: DevServer) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(url(server, "no-such-socket"))
    assert refused.value.response.status_code == 404


# -- $default ---------------------------------------------------------------------------------


def test_default_return_value_is_sent_back(server: DevServer) -> None:
    with connect(url(server, "local-lab")) as ws:
        ws.send("json:hi")
        assert json.loads(ws.recv(timeout=5)) == {"echo": "hi", "list": [1, 2]}
        ws.send("bytes:raw")
        assert ws.recv(timeout=5) == "raw"  # a route response is a text frame
        ws.send("silent")
        ws.send("after-silence")
        assert ws.recv(timeout=5) == "lab:after-silence"  # None sent nothing


def test_message_event_is_api_gateway_shaped(server: DevServer) -> None:
    with connect(url(server, "local-lab")) as ws:
        me = whoami(ws)
        ws.send("héllo")
        ws.recv(timeout=5)
    event = services.wait_for(lambda e: e["type"] == "message" and e["body"] == "héllo")["event"]
    assert event["body"] == "héllo" and event["isBase64Encoded"] is False
    rc = event["requestContext"]
    assert (rc["routeKey"], rc["eventType"], rc["connectionId"]) == ("$default", "MESSAGE", me)
    assert rc["messageId"] and rc["requestId"] and rc["requestId"] != rc["messageId"]


def test_async_handlers_run(server: DevServer) -> None:
    with connect(url(server, "local-async")) as ws:
        for n in range(3):
            ws.send(str(n))
            assert ws.recv(timeout=5) == f"async:{n}"


def test_default_error_answers_like_api_gateway_and_keeps_the_connection(server: DevServer) -> None:
    with connect(url(server, "local-lab")) as ws:
        me = whoami(ws)
        ws.send("boom")
        answer = json.loads(ws.recv(timeout=5))
        assert answer["message"] == "Internal server error"
        assert answer["connectionId"] == me
        failed = services.wait_for(lambda e: e["type"] == "message" and e["id"] == me and e["body"] == "boom")
        assert answer["requestId"] == failed["event"]["requestContext"]["requestId"]
        assert set(answer) == {"message", "connectionId", "requestId"}  # no traceback leaks
        ws.send("still there?")
        assert ws.recv(timeout=5) == "lab:still there?"


def test_fragmented_message_is_one_event(server: DevServer) -> None:
    with connect(url(server, "local-echo")) as ws:
        ws.send(["frag", "men", "ted"])
        assert ws.recv(timeout=5) == "fragmented"


def test_pings_are_answered(server: DevServer) -> None:
    with connect(url(server, "local-echo")) as ws:
        assert ws.ping(b"are you there").wait(5)


# -- limits and closes ------------------------------------------------------------------------


def in_frames(text: str) -> list[str]:
    """``text`` in fragments of at most 32 KB, as API Gateway's frame quota requires."""
    return [text[i : i + FRAME_QUOTA] for i in range(0, len(text), FRAME_QUOTA)]


def test_message_of_128_kb_passes_and_one_byte_more_closes_1009(server: DevServer) -> None:
    """API Gateway's quotas: 128 KB a message, in frames of at most 32 KB; "if a larger message
    (or larger frame size) is received, the connection is closed with code 1009"."""
    with connect(url(server, "local-echo"), max_size=None) as echo:
        exactly = "é" * (MESSAGE_QUOTA // 2)  # the quota counts bytes, not characters
        echo.send([exactly[i : i + 16_384] for i in range(0, len(exactly), 16_384)])  # 32 KB frames
        assert echo.recv(timeout=5) == exactly
    with connect(url(server, "local-lab"), max_size=None) as ws:
        me = whoami(ws)
        with contextlib.suppress(ConnectionClosed):
            ws.send(in_frames("x" * (MESSAGE_QUOTA + 1)))
        code, _ = closed_with(ws)
    assert code == 1009
    assert disconnect_of(me)["code"] == 1009


def test_frame_over_32_kb_closes_1009(server: DevServer) -> None:
    with connect(url(server, "local-echo")) as ws:
        ws.send("y" * FRAME_QUOTA)  # exactly the quota: fine
        assert ws.recv(timeout=5) == "y" * FRAME_QUOTA
        ws.send("y" * (FRAME_QUOTA + 1))
        assert closed_with(ws)[0] == 1009


def test_replies_over_32_kb_arrive_in_frames_of_32_kb(server: DevServer) -> None:
    """API Gateway splits what it sends into frames within its own 32 KB quota."""
    with connect(url(server, "local-echo")) as ws:
        ws.send(in_frames("z" * 100_000))
        fragments = list(ws.recv_streaming())
    assert "".join(map(str, fragments)) == "z" * 100_000
    assert max(len(fragment) for fragment in fragments) == FRAME_QUOTA


def test_oversize_fragmented_message_closes_1009(server: DevServer) -> None:
    with connect(url(server, "local-echo")) as ws:
        with contextlib.suppress(ConnectionClosed):  # the close may cut the last fragment's send
            ws.send(["y" * (MESSAGE_QUOTA // 2)] * 3)
        assert closed_with(ws)[0] == 1009


def test_binary_frame_closes_1003(server: DevServer) -> None:
    with connect(url(server, "local-lab")) as ws:
        me = whoami(ws)
        ws.send(b"\x00\x01binary")
        code, reason = closed_with(ws)
    assert (code, reason) == (1003, "Binary frames are not supported")
    assert (disconnect_of(me)["code"], disconnect_of(me)["reason"]) == (
        1003,
        "Binary frames are not supported",
    )
    assert not [e for e in services.events_of(me) if e["type"] == "message" and e["body"] != "whoami"]


def test_invalid_utf8_text_closes_1007(server: DevServer) -> None:
    with connect(url(server, "local-lab")) as ws:
        me = whoami(ws)
        with ws.protocol_mutex:  # a frame the library would never send itself
            ws.protocol.send_frame(Frame(Opcode.TEXT, b"\xff\xfe"))
            ws.send_data()
        assert closed_with(ws) == (1007, "Invalid UTF-8 in a text frame")
    assert disconnect_of(me)["code"] == 1007


def test_client_close_code_and_reason_reach_disconnect(server: DevServer) -> None:
    with connect(url(server, "local-lab")) as ws:
        me = whoami(ws)
        ws.close(4001, "see you")
    gone = disconnect_of(me)
    assert (gone["code"], gone["reason"]) == (4001, "see you")
    rc = gone["event"]["requestContext"]  # type: ignore[index]
    assert (rc["routeKey"], rc["eventType"]) == ("$disconnect", "DISCONNECT")
    assert (rc["disconnectStatusCode"], rc["disconnectReason"]) == (4001, "see you")


def test_abrupt_drop_is_a_1006_disconnect(server: DevServer) -> None:
    with connect(url(server, "local-lab")) as ws:
        me = whoami(ws)
        ws.socket.shutdown(socket.SHUT_RDWR)  # no close frame: the network went away
    assert disconnect_of(me)["code"] == 1006


def test_plain_http_to_a_socket_is_426(server: DevServer) -> None:
    client = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    client.request("GET", "/__ws/local-lab")
    assert client.getresponse().status == 426
    client.close()


def test_root_without_a_web_directory_lists_the_sockets(server: DevServer) -> None:
    client = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    client.request("GET", "/")
    answer = client.getresponse()
    text = answer.read().decode()
    assert answer.status == 200
    assert f"local-echo - ws://localhost:{server.port}/__ws/local-echo" in text.splitlines()
    client.request("GET", "/missing.js")
    missing = client.getresponse()
    assert missing.status == 404
    missing.read()
    client.close()


def test_web_directory_files_are_served_and_confined(tmp_path: Path) -> None:
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "index.html").write_text("<p>page</p>")
    (tmp_path / "web" / "app.js").write_text("console.log(1)")
    (tmp_path / "secret.txt").write_text("not for the browser")
    with DevServer("local-tests", {}, port=0, web_dir=tmp_path / "web") as web:
        client = http.client.HTTPConnection("127.0.0.1", web.port, timeout=5)
        for path, status, body, content_type in [
            ("/", 200, b"<p>page</p>", "text/html; charset=utf-8"),
            ("/app.js", 200, b"console.log(1)", "text/javascript; charset=utf-8"),
            ("/../secret.txt", 404, b"Not found\n", "text/plain; charset=utf-8"),
            ("/%2e%2e/secret.txt", 404, b"Not found\n", "text/plain; charset=utf-8"),
        ]:
            client.request("GET", path)
            answer = client.getresponse()
            assert (answer.status, answer.read(), answer.getheader("Content-Type")) == (
                status,
                body,
                content_type,
            )
        client.request("HEAD", "/app.js")
        head = client.getresponse()
        assert (head.status, head.getheader("Content-Length"), head.read()) == (200, "14", b"")
        client.close()


def test_a_message_in_two_fragments_arrives_whole(server: DevServer) -> None:
    """Exactly two frames (the client library's own fragmenting ends with an empty third)."""
    with connect(url(server, "local-echo")) as ws:
        with ws.protocol_mutex:
            ws.protocol.send_text(b"first half, ", fin=False)
            ws.protocol.send_continuation(b"second half", fin=True)
            ws.send_data()
        assert ws.recv(timeout=5) == "first half, second half"


def test_a_long_reply_arrives_whole_and_in_order(server: DevServer) -> None:
    """Split into 32 KB frames, every frame in its place: the content tells them apart."""
    text = "".join(f"{n:07d}," for n in range(12_500))  # 100,000 bytes, no two frames alike
    with connect(url(server, "local-echo")) as ws:
        ws.send(in_frames(text))
        assert ws.recv(timeout=5) == text
