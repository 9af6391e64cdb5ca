from __future__ import annotations

import base64
import copy
import enum
import json
import time
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventual import ConnectRequest, DisconnectRequest, MessageRequest, SocketResponse
from eventual.routes import event_type_of
from eventual.runtime import apigateway
from eventual.runtime.apigateway import Caller, MalformedEvent, reply_of, request_from_event, response_for
from tests.apigw_events import STAGE, connect_event, disconnect_event, message_event


def test_connect_event_carries_query_and_lowercased_headers() -> None:
    event = connect_event("Xy9=", headers={"Authorization": "Bearer t"}, query={"room": "a b"})
    request = request_from_event(event)
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
    request = request_from_event(event)
    assert isinstance(request, ConnectRequest)
    assert (request.query, request.headers) == ({}, {})
    event["queryStringParameters"] = None  # API Gateway sends null for "no query string"
    assert request_from_event(event).query == {}  # type: ignore[union-attr]


def test_text_and_base64_messages() -> None:
    text = request_from_event(message_event("héllo"))
    assert isinstance(text, MessageRequest) and text.body == "héllo"
    raw = bytes(range(256))
    binary = request_from_event(message_event(raw))
    assert isinstance(binary, MessageRequest) and binary.body == raw
    empty = message_event("")
    del empty["body"]
    assert request_from_event(empty).body == ""  # type: ignore[union-attr]


def test_disconnect_carries_status_and_reason() -> None:
    request = request_from_event(disconnect_event(status_code=1001, reason="Going away"))
    assert isinstance(request, DisconnectRequest)
    assert (request.status_code, request.reason) == (1001, "Going away")


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@given(st.integers(min_value=0, max_value=4_102_444_800_000))
def test_request_time_is_api_gateways_format_of_that_second(epoch_ms: int) -> None:
    """``requestTime`` (``09/Feb/2024:18:11:43 +0000``) is formatted once per second and
    reused: each instant must still read as its own second, whatever came before."""
    for at in (epoch_ms, epoch_ms + 999, epoch_ms + 1000, epoch_ms - 1000, epoch_ms):
        if at < 0:
            continue
        t = time.gmtime(at // 1000)
        month = _MONTHS[t.tm_mon - 1]
        expected = f"{t.tm_mday:02d}/{month}/{t.tm_year}:{time.strftime('%H:%M:%S', t)} +0000"
        assert apigateway.request_time(at) == expected


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
    assert event_type_of(route_key) == expected


def test_identity_comes_from_the_authorizer_context() -> None:
    event = message_event("x")
    event["requestContext"]["authorizer"] = {"principalId": "u1", "name": "Ada"}
    assert request_from_event(event).identity == {"principalId": "u1", "name": "Ada"}
    assert request_from_event(message_event("x")).identity is None


@pytest.mark.parametrize("event", [connect_event(), message_event("x"), disconnect_event()])
@pytest.mark.parametrize("context", [{}, None])
def test_an_empty_authorizer_context_is_no_identity(event: dict[str, Any], context: object) -> None:
    """``"authorizer": {}`` (or null) carries nothing an authorizer said: the request has no
    identity, as when the key is absent, rather than an empty one that reads as authorized."""
    request = request_from_event(with_(event, context, "requestContext", "authorizer"))
    assert request.identity is None
    assert request == request_from_event(event)


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


# -- both directions of the contract, pinned by round trips -----------------------------------

_text = st.text(max_size=40)
_name = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters=":"), min_size=1
)
_identity = st.none() | st.dictionaries(_name, _text, min_size=1, max_size=4)


@st.composite
def callers(draw: st.DrawFn) -> Caller:
    return Caller(draw(_name), "192.0.2.7", draw(_text), draw(st.integers(0, 2**41)), draw(_identity))


@given(caller=callers(), body=st.text() | st.binary(), route_key=st.sampled_from(["$default", "sendMessage"]))
def test_a_message_event_reads_back_as_the_message_sent(
    caller: Caller, body: str | bytes, route_key: str
) -> None:
    event = apigateway.message_event(
        STAGE, caller, body, request_id="R=", message_id="M=", at=caller.connected_at, route_key=route_key
    )
    request = request_from_event(json.loads(json.dumps(event)))  # as Lambda receives it: JSON
    assert isinstance(request, MessageRequest)
    assert (request.connection_id, request.body, request.request_id) == (caller.connection_id, body, "R=")
    assert request.identity == caller.identity


@given(
    caller=callers(),
    headers=st.lists(st.tuples(_name, _text), max_size=6),
    query=st.lists(st.tuples(_name, _text), max_size=6),
)
def test_a_connect_event_reads_back_as_the_upgrade_request(
    caller: Caller, headers: list[tuple[str, str]], query: list[tuple[str, str]]
) -> None:
    event = apigateway.connect_event(STAGE, caller, headers=headers, query=query, request_id="R=")
    request = request_from_event(json.loads(json.dumps(event)))
    assert isinstance(request, ConnectRequest)
    assert request.query == dict(query)  # the single-value map keeps the last of repeated names
    expected_headers: dict[str, str] = {}
    for name, value in dict(headers).items():  # API Gateway's map keeps the last value per name
        expected_headers[name.lower()] = value
    assert request.headers == expected_headers
    assert event.get("multiValueQueryStringParameters", {}) == {
        name: [value for n, value in query if n == name] for name, _ in query
    }


@given(caller=callers(), code=st.integers(1000, 4999), reason=_text)
def test_a_disconnect_event_reads_back_as_the_close(caller: Caller, code: int, reason: str) -> None:
    event = apigateway.disconnect_event(STAGE, caller, status_code=code, reason=reason, request_id="R=", at=1)
    request = request_from_event(json.loads(json.dumps(event)))
    assert isinstance(request, DisconnectRequest)
    assert (request.connection_id, request.status_code, request.reason) == (
        caller.connection_id,
        code,
        reason,
    )


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@given(result=st.text(min_size=1) | st.binary(min_size=1))
def test_a_text_or_bytes_result_reaches_the_client_as_returned(result: str | bytes) -> None:
    response = json.loads(json.dumps(response_for("message", result)))  # as API Gateway receives it
    assert reply_of(response) == result


@given(result=st.lists(_json, max_size=3) | st.dictionaries(st.text(), _json, max_size=3))
def test_a_json_result_reaches_the_client_as_its_json(result: list[object] | dict[str, object]) -> None:
    reply = reply_of(response_for("message", result))
    assert isinstance(reply, str) and json.loads(reply) == result


@given(status=st.integers(200, 599), message=st.none() | st.text(min_size=1))
def test_a_socket_response_keeps_its_status_and_message(status: int, message: str | None) -> None:
    response = response_for("message", SocketResponse(status, message))
    assert response["statusCode"] == status
    assert reply_of(response) == message


def test_a_message_route_event_reads_back_with_its_route_key() -> None:
    request = request_from_event(message_event('{"action": "join"}', route_key="join"))
    assert isinstance(request, MessageRequest) and request.route_key == "join"
    assert request_from_event(message_event("x")).route_key == "$default"  # type: ignore[union-attr]


def test_connect_headers_select_the_subprotocol() -> None:
    chosen = SocketResponse(200, headers={"Sec-WebSocket-Protocol": "chat.v1"})
    assert response_for("connect", chosen) == {
        "statusCode": 200,
        "headers": {"Sec-WebSocket-Protocol": "chat.v1"},
    }
    assert "headers" not in response_for("message", SocketResponse(200, "x", headers={"X": "y"}))


def test_no_route_message_is_api_gateways_forbidden() -> None:
    assert json.loads(apigateway.no_route_message("C=", "R=")) == {
        "message": "Forbidden",
        "connectionId": "C=",
        "requestId": "R=",
    }


# -- what API Gateway would not send -------------------------------------------------------------
# The shapes: "WebSocket API Lambda proxy integration input" examples ("Setting up WebSocket API
# integrations", API Gateway Developer Guide): requestContext always carries routeKey, eventType,
# connectionId and requestId as strings; a binary frame's body is base64 with isBase64Encoded.


def without(event: dict[str, Any], *path: str) -> dict[str, Any]:
    event = copy.deepcopy(event)
    holder = event
    for key in path[:-1]:
        holder = holder[key]
    del holder[path[-1]]
    return event


def with_(event: dict[str, Any], value: object, *path: str) -> dict[str, Any]:
    event = copy.deepcopy(event)
    holder = event
    for key in path[:-1]:
        holder = holder[key]
    holder[path[-1]] = value
    return event


MALFORMED = [
    ([], "the event is list []; API Gateway sends an object"),
    ({}, "requestContext is missing; API Gateway sends an object"),
    ({"requestContext": "x"}, "requestContext is str 'x'; API Gateway sends an object"),
    (
        without(message_event("x"), "requestContext", "connectionId"),
        "requestContext.connectionId is missing; API Gateway sends a non-empty string",
    ),
    (
        with_(message_event("x"), "", "requestContext", "connectionId"),
        "requestContext.connectionId is str ''; API Gateway sends a non-empty string",
    ),
    (
        without(message_event("x"), "requestContext", "routeKey"),
        "requestContext.routeKey is missing; API Gateway sends a non-empty string",
    ),
    (
        with_(message_event("x"), 7, "requestContext", "requestId"),
        "requestContext.requestId is int 7; API Gateway sends a string",
    ),
    (
        with_(message_event("x"), "PING", "requestContext", "eventType"),
        "requestContext.eventType is str 'PING'; API Gateway sends 'MESSAGE' with route '$default'",
    ),
    (
        without(connect_event(), "requestContext", "eventType"),
        "requestContext.eventType is missing; API Gateway sends 'CONNECT' with route '$connect'",
    ),
    (
        with_(disconnect_event(), "MESSAGE", "requestContext", "eventType"),
        "requestContext.eventType is str 'MESSAGE'; API Gateway sends 'DISCONNECT' with route '$disconnect'",
    ),
    (
        with_(message_event("x"), "u1", "requestContext", "authorizer"),
        "requestContext.authorizer is str 'u1'; API Gateway sends an object (the authorizer's context)",
    ),
    (
        with_(connect_event(), "1", "requestContext", "connectedAt"),
        "requestContext.connectedAt is str '1'; API Gateway sends an integer (epoch milliseconds)",
    ),
    (
        with_(message_event("x"), 5, "body"),
        "body is int 5; API Gateway sends a string (base64 for a binary message)",
    ),
    (
        with_(message_event("x"), "true", "isBase64Encoded"),
        "isBase64Encoded is str 'true'; API Gateway sends a boolean",
    ),
    (
        with_(message_event(b"\x00"), "not base64!", "body"),
        "body is not valid base64 (Only base64 data is allowed), yet isBase64Encoded is true",
    ),
    (  # Hypothesis found it: a2b_base64 raises a plain ValueError for non-ASCII text
        with_(message_event(b"\x00"), "\x80", "body"),
        "body is not valid base64 (string argument should contain only ASCII characters), yet "
        "isBase64Encoded is true",
    ),
    (
        with_(connect_event(), ["a"], "headers"),
        "headers is list ['a']; API Gateway sends an object of strings",
    ),
    (
        with_(connect_event(), {"a": 1}, "queryStringParameters"),
        "queryStringParameters is dict {'a': 1}; API Gateway sends an object of strings",
    ),
    (
        with_(disconnect_event(), "1000", "requestContext", "disconnectStatusCode"),
        "requestContext.disconnectStatusCode is str '1000'; API Gateway sends an integer close code",
    ),
]


@pytest.mark.parametrize(("event", "problem"), MALFORMED)
def test_a_malformed_event_is_refused_naming_what_is_wrong(event: Any, problem: str) -> None:
    with pytest.raises(MalformedEvent) as caught:
        request_from_event(event)
    assert str(caught.value) == problem


def test_optional_fields_may_be_absent_or_null() -> None:
    event = with_(message_event("x"), None, "body")
    assert request_from_event(without(event, "isBase64Encoded")).body == ""  # type: ignore[union-attr]
    bare = with_(connect_event(), None, "headers")
    assert request_from_event(without(bare, "requestContext", "requestId")).headers == {}  # type: ignore[union-attr]


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
_paths = st.sampled_from(
    [
        ("body",),
        ("isBase64Encoded",),
        ("headers",),
        ("queryStringParameters",),
        *(("requestContext", key) for key in ("routeKey", "eventType", "connectionId", "requestId")),
        *(("requestContext", key) for key in ("authorizer", "connectedAt", "disconnectStatusCode")),
    ]
)


@given(
    base=st.sampled_from([connect_event(), message_event("x"), message_event(b"\x01"), disconnect_event()]),
    path=_paths,
    value=_json,
)
def test_any_json_in_any_field_parses_or_is_refused_as_malformed(
    base: dict[str, Any], path: tuple[str, ...], value: object
) -> None:
    """Whatever Lambda hands over, the parser answers with a request or MalformedEvent, never with
    another exception (which would skip the one-line failure log)."""
    try:
        request = request_from_event(with_(base, value, *path))
    except MalformedEvent:
        return
    assert request.connection_id and request.route_key


def test_int_and_str_subclasses_pass_as_what_json_would_give() -> None:
    """The dev server hands its close code over as websockets' CloseCode, an IntEnum."""
    close = enum.IntEnum("CloseCode", {"NORMAL_CLOSURE": 1000}).NORMAL_CLOSURE
    request = request_from_event(with_(disconnect_event(), close, "requestContext", "disconnectStatusCode"))
    assert request.status_code == 1000  # type: ignore[union-attr]

    class Text(str):
        pass

    event = with_(message_event("x"), Text("C1="), "requestContext", "connectionId")
    assert request_from_event(event).connection_id == "C1="
    with pytest.raises(MalformedEvent, match="disconnectStatusCode is bool True"):
        request_from_event(with_(disconnect_event(), True, "requestContext", "disconnectStatusCode"))


# -- the edges the mutation run found (docs/mutation.md) ---------------------------------------


def test_a_failed_integration_is_answered_with_api_gateways_own_500() -> None:
    assert apigateway.error_response("C1=", "R1=") == {
        "statusCode": 500,
        "body": '{"message":"Internal server error","connectionId":"C1=","requestId":"R1="}',
    }


def test_events_may_be_any_mapping_not_only_dicts() -> None:
    """What the dev server and tests hand over need not be a dict; any read-only mapping parses
    the same, its requestContext too."""
    event = message_event("hi", "C1=")
    frozen = MappingProxyType({**event, "requestContext": MappingProxyType(event["requestContext"])})
    assert request_from_event(frozen) == request_from_event(event)


class _Id(str):
    """A string of a subclass, as some JSON decoders or enums give."""


def test_an_absent_request_id_is_empty_whatever_the_ids_types() -> None:
    for connection_id in ("C1=", _Id("C1=")):
        event = message_event("hi")
        del event["requestContext"]["requestId"]
        event["requestContext"]["connectionId"] = connection_id
        request = request_from_event(event)
        assert (request.connection_id, request.request_id) == ("C1=", "")


def test_an_empty_body_carries_no_reply() -> None:
    assert reply_of({"statusCode": 200, "body": ""}) is None
    assert reply_of({"statusCode": 200}) is None
    assert reply_of({"statusCode": 200, "body": "XXXX"}) == "XXXX"


def test_an_unknown_attribute_is_named() -> None:
    with pytest.raises(AttributeError) as missing:
        _ = apigateway.nope  # type: ignore[attr-defined]
    assert str(missing.value) == "module 'eventual.runtime.apigateway' has no attribute 'nope'"
