"""send/disconnect through boto3: moto for the happy path, botocore's Stubber and a loopback
HTTP server for what moto cannot do (GoneException, throttling)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto import mock_aws
from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends
from moto.core import DEFAULT_ACCOUNT_ID

from eventual import ConfigurationError, ConnectionGone, PayloadTooLarge, SocketNotDeployed, socket
from eventual.deployment import Deployment, set_process_default
from eventual.payload import payload_bytes
from eventual.runtime.environment import URLS_ENV, deployment_from
from eventual.runtime.management import ManagementClient
from tests.loopback_api import LoopbackApi

CHAT_URL = "https://abcd1234.execute-api.us-east-1.amazonaws.com/prod"
ROOM_URL = "https://wxyz9876.execute-api.eu-west-1.amazonaws.com/live"

MESSAGE_QUOTA = 131_072
"""API Gateway's "WebSocket message payload size" quota, 128 KB, written out: never read from the
code under test (apigateway-execution-service-websocket-limits-table)."""


@pytest.fixture(autouse=True)
def socket_urls(environ: dict[str, str]) -> Iterator[None]:
    urls = {
        "chat": {"wss": CHAT_URL.replace("https", "wss"), "http": CHAT_URL},
        "room": {"wss": ROOM_URL.replace("https", "wss"), "http": ROOM_URL},
    }
    environ[URLS_ENV] = json.dumps(urls)
    yield


def moto_connections(region: str = "us-east-1") -> dict[str, Any]:
    return apigatewaymanagementapi_backends[DEFAULT_ACCOUNT_ID][region].connections  # type: ignore[no-any-return]


@mock_aws
def test_send_posts_the_encoded_bytes(deployment: Deployment) -> None:
    chat = socket("chat", {})
    chat.send("Conn1=", "héllo ")
    chat.send("Conn1=", b"\x00\x01 ")
    chat.send("Conn1=", {"a": [1, 2]})
    chat.send("Conn1=", ["x"])
    # moto keys connections by the id as it appears, percent-encoded, in the URL path.
    recorded = moto_connections()["Conn1%3D"].data
    assert recorded == "héllo ".encode() + b'\x00\x01 {"a":[1,2]}["x"]'


@mock_aws
def test_any_socket_can_send_on_another_in_its_own_region(deployment: Deployment) -> None:
    socket("chat", {})
    room = socket("room", {})
    room.send("R1", "to the room")
    assert moto_connections("eu-west-1")["R1"].data == b"to the room"
    assert "R1" not in moto_connections("us-east-1")


@mock_aws
def test_disconnect_deletes_the_connection(deployment: Deployment) -> None:
    chat = socket("chat", {})
    chat.send("Conn2", "x")
    assert "Conn2" in moto_connections()
    chat.disconnect("Conn2")
    assert "Conn2" not in moto_connections()


@mock_aws
def test_connection_info_returns_api_gateway_fields(deployment: Deployment) -> None:
    chat = socket("chat", {})
    chat.send("Conn3", "x")
    info = chat.connection_info("Conn3")
    assert set(info) == {"connectionId", "connectedAt", "lastActiveAt", "sourceIp", "userAgent"}
    assert info["connectionId"] == "Conn3"
    assert isinstance(info["connectedAt"], int) and isinstance(info["lastActiveAt"], int)
    assert json.loads(payload_bytes(info)) == info  # a handler can return it as is


def test_connection_info_converts_boto3_times_and_identity(deployment: Deployment) -> None:
    """GetConnection's answer ("GetConnection", API Gateway V2 management API reference) as boto3
    parses it: timestamps as aware datetimes, the identity under Identity."""
    chat = socket("chat", {})
    answer = {
        "ConnectedAt": datetime(2024, 2, 9, 18, 11, 43, 419000, tzinfo=UTC),
        "LastActiveAt": datetime(2024, 2, 9, 20, 11, 43, 420000, tzinfo=timezone(timedelta(hours=2))),
        "Identity": {"SourceIp": "192.0.2.1", "UserAgent": "python-websockets/14.0"},
    }
    with Stubber(deployment.management("chat")._client) as stub:  # type: ignore[attr-defined]
        stub.add_response("get_connection", answer, {"ConnectionId": "C1="})
        info = chat.connection_info("C1=")
    assert info == {
        "connectionId": "C1=",
        "connectedAt": 1707502303419,
        "lastActiveAt": 1707502303420,
        "sourceIp": "192.0.2.1",
        "userAgent": "python-websockets/14.0",
    }


def test_payload_over_128_kb_is_refused_before_any_call(deployment: Deployment) -> None:
    chat = socket("chat", {})
    client = deployment.management("chat")
    with Stubber(client._client):  # type: ignore[attr-defined]  # no responses queued: any call would fail the test
        with pytest.raises(PayloadTooLarge, match="message of 131073 bytes exceeds"):
            chat.send("Conn1", "x" * (MESSAGE_QUOTA + 1))
        with pytest.raises(PayloadTooLarge):
            chat.send("Conn1", {"big": "é" * (MESSAGE_QUOTA // 2)})


def test_payload_of_exactly_128_kb_is_sent(deployment: Deployment) -> None:
    chat = socket("chat", {})
    client = deployment.management("chat")
    with Stubber(client._client) as stub:  # type: ignore[attr-defined]
        stub.add_response("post_to_connection", {}, {"ConnectionId": "C", "Data": b"x" * MESSAGE_QUOTA})
        chat.send("C", "x" * MESSAGE_QUOTA)
        stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("operation", "call"),
    [
        ("post_to_connection", lambda s: s.send("Gone1", "x")),
        ("delete_connection", lambda s: s.disconnect("Gone1")),
        ("get_connection", lambda s: s.connection_info("Gone1")),
    ],
)
def test_gone_exception_becomes_connection_gone(operation: str, call: Any, deployment: Deployment) -> None:
    chat = socket("chat", {})
    with Stubber(deployment.management("chat")._client) as stub:  # type: ignore[attr-defined]
        stub.add_client_error(operation, service_error_code="GoneException", http_status_code=410)
        with pytest.raises(ConnectionGone) as caught:
            call(chat)
    assert caught.value.connection_id == "Gone1"


def test_other_errors_are_not_mistaken_for_gone(deployment: Deployment) -> None:
    chat = socket("chat", {})
    with Stubber(deployment.management("chat")._client) as stub:  # type: ignore[attr-defined]
        stub.add_client_error(
            "post_to_connection", service_error_code="ForbiddenException", http_status_code=403
        )
        with pytest.raises(ClientError, match="ForbiddenException"):
            chat.send("C", "x")


def test_one_client_per_socket_url_with_standard_retries(deployment: Deployment) -> None:
    first: Any = deployment.management("chat")
    assert deployment.management("chat") is first
    room: Any = deployment.management("room")
    assert room is not first
    config = first._client.meta.config
    assert config.retries["mode"] == "standard"
    assert first._client.meta.region_name == "us-east-1"
    assert room._client.meta.region_name == "eu-west-1"


def test_endpoints_come_from_the_environment(deployment: Deployment) -> None:
    chat = socket("chat", {})
    assert chat.http_endpoint == CHAT_URL
    assert chat.wss_endpoint == "wss://abcd1234.execute-api.us-east-1.amazonaws.com/prod"
    lonely = socket("lonely", {})
    with pytest.raises(SocketNotDeployed, match=r"'lonely' is not part of service 'svc'.*chat, room"):
        lonely.send("C", "x")


@pytest.mark.parametrize("raw", ["{not json", "[1]", '{"chat": {"wss": "x"}}'])
def test_malformed_socket_urls_fail_at_cold_start(raw: str) -> None:
    with pytest.raises(ConfigurationError, match="EVENTUAL_SOCKET_URLS is not a JSON map"):
        deployment_from({URLS_ENV: raw})


def test_a_socket_of_another_service_is_not_deployed_here() -> None:
    chat = socket("chat", {})
    other = Deployment("other", {}, management=ManagementClient)
    with other.activate(), pytest.raises(SocketNotDeployed, match="not part of service 'other'"):
        chat.send("C", "x")


def test_outside_any_deployment_a_send_says_where_sockets_run() -> None:
    chat = socket("chat", {})
    previous = set_process_default(None)
    try:
        with pytest.raises(
            SocketNotDeployed, match=r"only from its service's own code .* in Lambda or under `eventual"
        ):
            chat.send("C", "x")
    finally:
        set_process_default(previous)


def test_the_process_default_serves_threads_a_handler_starts(deployment: Deployment) -> None:
    """In Lambda the cold start sets it; a thread does not inherit the event's context."""
    chat = socket("chat", {})
    previous = set_process_default(deployment)
    try:
        seen: list[str] = []
        thread = threading.Thread(target=lambda: seen.append(chat.http_endpoint))
        thread.start()
        thread.join()
    finally:
        set_process_default(previous)
    assert seen == [CHAT_URL]


def test_throttling_is_retried_over_real_http(loopback: LoopbackApi, deployment: Deployment) -> None:
    chat = socket("chat", {})
    loopback.script = [429, 429]
    chat.send("abc=", "hello")
    assert loopback.requests == [("POST", "abc=", b"hello")] * 3


def test_gone_over_real_http(loopback: LoopbackApi, deployment: Deployment) -> None:
    chat = socket("chat", {})
    loopback.gone = {"abc="}
    with pytest.raises(ConnectionGone):
        chat.send("abc=", "hello")
    loopback.gone = set()
    chat.disconnect("abc=")
    assert [method for method, _, _ in loopback.requests] == ["POST", "DELETE"]
