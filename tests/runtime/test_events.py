from __future__ import annotations

import base64

import pytest

from eventual import ConnectRequest, DisconnectRequest, MessageRequest, SocketResponse
from eventual.runtime.events import event_type_of, request_from_event, response_for
from tests.apigw_events import connect_event, disconnect_event, message_event


def test_connect_event_carries_query_and_lowercased_headers() -> None:
    event = connect_event("Xy9=", headers={"Authorization": "Bearer t"}, query={"room": "a b"})
    request = request_from_event(event_type_of(event), event)
    assert isinstance(request, ConnectRequest)
    assert request.type == "connect"
    assert request.connection_id == "Xy9="
    assert request.query == {"room": "a b"}
    assert request.headers["authorization"] == "Bearer t"
    assert request.headers["sec-websocket-version"] == "13"
    assert request.request_id == "ReqConnect1="
    assert request.event is event


def test_connect_event_without_headers_or_query() -> None:
    event = connect_event()
    del event["headers"]
    request = request_from_event("connect", event)
    assert isinstance(request, ConnectRequest)
    assert (request.query, request.headers) == ({}, {})
    event["queryStringParameters"] = None  # API Gateway sends null for "no query string"
    assert request_from_event("connect", event).query == {}  # type: ignore[union-attr]


def test_text_and_base64_messages() -> None:
    text = request_from_event("message", message_event("héllo"))
    assert isinstance(text, MessageRequest) and text.body == "héllo"
    raw = bytes(range(256))
    binary = request_from_event("message", message_event(raw))
    assert isinstance(binary, MessageRequest) and binary.body == raw
    empty = message_event("")
    del empty["body"]
    assert request_from_event("message", empty).body == ""  # type: ignore[union-attr]


def test_disconnect_carries_status_and_reason() -> None:
    request = request_from_event("disconnect", disconnect_event(status_code=1001, reason="Going away"))
    assert isinstance(request, DisconnectRequest)
    assert (request.status_code, request.reason) == (1001, "Going away")


@pytest.mark.parametrize(
    ("route_key", "expected"),
    [
        ("$connect", "connect"),
        ("$disconnect", "disconnect"),
        ("$default", "message"),
        ("sendMessage", "message"),
    ],
)
def test_route_keys_map_to_event_types(route_key: str, expected: str) -> None:
    assert event_type_of(message_event("x", route_key=route_key)) == expected


def test_identity_comes_from_the_authorizer_context() -> None:
    event = message_event("x")
    event["requestContext"]["authorizer"] = {"principalId": "u1", "name": "Ada"}
    assert request_from_event("message", event).identity == {"principalId": "u1", "name": "Ada"}
    assert request_from_event("message", message_event("x")).identity is None


@pytest.mark.parametrize(
    ("result", "response"),
    [
        (None, {"statusCode": 200}),
        ("text", {"statusCode": 200, "body": "text"}),
        ({"a": [1, "é"]}, {"statusCode": 200, "body": '{"a":[1,"é"]}'}),
        ([1, 2], {"statusCode": 200, "body": "[1,2]"}),
        (
            b"\x00\xff",
            {"statusCode": 200, "body": base64.b64encode(b"\x00\xff").decode(), "isBase64Encoded": True},
        ),
        (SocketResponse(202, "later"), {"statusCode": 202, "body": "later"}),
        (SocketResponse(204), {"statusCode": 204}),
    ],
)
def test_message_results_become_the_route_response(result: object, response: dict[str, object]) -> None:
    assert response_for("message", result) == response


def test_connect_and_disconnect_results() -> None:
    assert response_for("connect", None) == {"statusCode": 200}
    assert response_for("connect", SocketResponse(401, "who?")) == {"statusCode": 401, "body": "who?"}
    assert response_for("disconnect", SocketResponse(500, "ignored")) == {"statusCode": 200}
    assert response_for("disconnect", "ignored") == {"statusCode": 200}


def test_unsupported_result_type_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="returned set"):
        response_for("message", {1, 2})
