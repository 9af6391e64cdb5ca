"""send/disconnect through boto3: moto for the happy path, botocore's Stubber and a loopback
HTTP server for what moto cannot do (GoneException, throttling)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto import mock_aws
from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends
from moto.core import DEFAULT_ACCOUNT_ID

import eventual.runtime.management as management
from eventual import ConnectionGone, PayloadTooLarge, SocketNotDeployed, socket
from eventual.runtime.payload import MAX_PAYLOAD_BYTES
from tests.loopback_api import LoopbackApi

CHAT_URL = "https://abcd1234.execute-api.us-east-1.amazonaws.com/prod"
ROOM_URL = "https://wxyz9876.execute-api.eu-west-1.amazonaws.com/live"

pytestmark = pytest.mark.usefixtures("socket_registry")


@pytest.fixture(autouse=True)
def socket_urls(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    urls = {
        "chat": {"wss": CHAT_URL.replace("https", "wss"), "http": CHAT_URL},
        "room": {"wss": ROOM_URL.replace("https", "wss"), "http": ROOM_URL},
    }
    monkeypatch.setenv("EVENTUAL_SOCKET_URLS", json.dumps(urls))
    monkeypatch.setattr(management, "_clients", {})
    yield


def moto_connections(region: str = "us-east-1") -> dict[str, Any]:
    return apigatewaymanagementapi_backends[DEFAULT_ACCOUNT_ID][region].connections  # type: ignore[no-any-return]


@mock_aws
def test_send_posts_the_encoded_bytes() -> None:
    chat = socket("chat", {})
    chat.send("Conn1=", "héllo ")
    chat.send("Conn1=", b"\x00\x01 ")
    chat.send("Conn1=", {"a": [1, 2]})
    chat.send("Conn1=", ["x"])
    # moto keys connections by the id as it appears, percent-encoded, in the URL path.
    recorded = moto_connections()["Conn1%3D"].data
    assert recorded == "héllo ".encode() + b'\x00\x01 {"a":[1,2]}["x"]'


@mock_aws
def test_any_socket_can_send_on_another_in_its_own_region() -> None:
    socket("chat", {})
    room = socket("room", {})
    room.send("R1", "to the room")
    assert moto_connections("eu-west-1")["R1"].data == b"to the room"
    assert "R1" not in moto_connections("us-east-1")


@mock_aws
def test_disconnect_deletes_the_connection() -> None:
    chat = socket("chat", {})
    chat.send("Conn2", "x")
    assert "Conn2" in moto_connections()
    chat.disconnect("Conn2")
    assert "Conn2" not in moto_connections()


@mock_aws
def test_connection_info_returns_api_gateway_fields() -> None:
    chat = socket("chat", {})
    chat.send("Conn3", "x")
    info = chat.connection_info("Conn3")
    assert set(info) == {"ConnectedAt", "LastActiveAt", "Identity"}


def test_payload_over_128_kb_is_refused_before_any_call() -> None:
    chat = socket("chat", {})
    client = management.management_client("chat")
    with Stubber(client._client):  # no responses queued: any call would fail the test
        with pytest.raises(PayloadTooLarge, match=f"{MAX_PAYLOAD_BYTES + 1} bytes"):
            chat.send("Conn1", "x" * (MAX_PAYLOAD_BYTES + 1))
        with pytest.raises(PayloadTooLarge):
            chat.send("Conn1", {"big": "é" * (MAX_PAYLOAD_BYTES // 2)})


def test_payload_of_exactly_128_kb_is_sent() -> None:
    chat = socket("chat", {})
    client = management.management_client("chat")
    with Stubber(client._client) as stub:
        stub.add_response("post_to_connection", {}, {"ConnectionId": "C", "Data": b"x" * MAX_PAYLOAD_BYTES})
        chat.send("C", "x" * MAX_PAYLOAD_BYTES)
        stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("operation", "call"),
    [
        ("post_to_connection", lambda s: s.send("Gone1", "x")),
        ("delete_connection", lambda s: s.disconnect("Gone1")),
        ("get_connection", lambda s: s.connection_info("Gone1")),
    ],
)
def test_gone_exception_becomes_connection_gone(operation: str, call: Any) -> None:
    chat = socket("chat", {})
    with Stubber(management.management_client("chat")._client) as stub:
        stub.add_client_error(operation, service_error_code="GoneException", http_status_code=410)
        with pytest.raises(ConnectionGone) as caught:
            call(chat)
    assert caught.value.connection_id == "Gone1"


def test_other_errors_are_not_mistaken_for_gone() -> None:
    chat = socket("chat", {})
    with Stubber(management.management_client("chat")._client) as stub:
        stub.add_client_error(
            "post_to_connection", service_error_code="ForbiddenException", http_status_code=403
        )
        with pytest.raises(ClientError, match="ForbiddenException"):
            chat.send("C", "x")


def test_one_client_per_socket_url_with_standard_retries() -> None:
    first = management.management_client("chat")
    assert management.management_client("chat") is first
    assert management.management_client("room") is not first
    config = first._client.meta.config
    assert config.retries["mode"] == "standard"
    assert first._client.meta.region_name == "us-east-1"
    assert management.management_client("room")._client.meta.region_name == "eu-west-1"


def test_endpoints_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    chat = socket("chat", {})
    assert chat.http_endpoint == CHAT_URL
    assert chat.wss_endpoint == "wss://abcd1234.execute-api.us-east-1.amazonaws.com/prod"
    lonely = socket("lonely", {})
    with pytest.raises(SocketNotDeployed, match="'lonely' has no URL"):
        lonely.send("C", "x")
    monkeypatch.setenv("EVENTUAL_SOCKET_URLS", "{not json")
    with pytest.raises(SocketNotDeployed, match="not valid JSON"):
        _ = chat.wss_endpoint


def test_throttling_is_retried_over_real_http(loopback: LoopbackApi) -> None:
    chat = socket("chat", {})
    loopback.script = [429, 429]
    chat.send("abc=", "hello")
    assert loopback.requests == [("POST", "abc=", b"hello")] * 3


def test_gone_over_real_http(loopback: LoopbackApi) -> None:
    chat = socket("chat", {})
    loopback.gone = {"abc="}
    with pytest.raises(ConnectionGone):
        chat.send("abc=", "hello")
    loopback.gone = set()
    chat.disconnect("abc=")
    assert [method for method, _, _ in loopback.requests] == ["POST", "DELETE"]
