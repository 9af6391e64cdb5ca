"""Local == cloud (issue 12): the same handlers, the same outcome, on every side of ``conftest.SIDES``.

Each expectation names the documentation it comes from.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eventual.payload import payload_bytes

# -- item 2: connection records --------------------------------------------------------------------


def test_presence_lists_who_is_online_by_the_identity_the_authorizer_returned(side: Any) -> None:
    """The authorizer's context reaches $connect as requestContext.authorizer, values as strings,
    with principalId ("Controlling access to WebSocket APIs with AWS Lambda REQUEST authorizers",
    "Output from an API Gateway Lambda authorizer", API Gateway Developer Guide)."""
    ada, bob = side.connect("presence", {"name": "ada"}), side.connect("presence", {"name": "bob"})
    assert (ada.status, bob.status) == (200, 200)
    root = side.connect("admin")
    assert side.send("admin", root.connection_id, '{"action": "online"}').json() == ["ada", "bob"]

    records = side.send("admin", root.connection_id, '{"action": "records"}').json()
    assert sorted(r["connectionId"] for r in records) == sorted([ada.connection_id, bob.connection_id])
    [record] = [r for r in records if r["connectionId"] == ada.connection_id]
    assert record["identity"] == {"principalId": "ada", "name": "ada", "admin": "false"}
    assert isinstance(record["connectedAt"], int) and record["connectedAt"] > 1_600_000_000_000  # epoch ms

    side.disconnect("presence", bob.connection_id)
    assert side.send("admin", root.connection_id, '{"action": "online"}').json() == ["ada"]


def test_a_refused_connection_is_not_listed(side: Any) -> None:
    """An authorizer's Unauthorized is a 401 handshake answer; $connect never runs
    ("Controlling access to WebSocket APIs with AWS Lambda REQUEST authorizers")."""
    assert side.connect("presence").status == 401
    root = side.connect("admin")
    assert side.send("admin", root.connection_id, '{"action": "online"}').json() == []


def test_an_expired_connection_is_not_listed(side: Any) -> None:
    """Expired items stay readable until DynamoDB's background sweep, typically within 48 hours;
    reads filter them ("Working with expired items", DynamoDB Developer Guide)."""
    ada, bob = side.connect("presence", {"name": "ada"}), side.connect("presence", {"name": "bob"})
    side.expire("presence", ada.connection_id)
    root = side.connect("admin")
    assert side.send("admin", root.connection_id, '{"action": "online"}').json() == ["bob"]
    assert bob.status == 200


def test_connection_info_is_json_a_handler_can_return(side: Any) -> None:
    """GET @connections/{id} answers connectedAt, lastActiveAt and identity {sourceIp, userAgent}
    ("Use @connections commands in your backend service", API Gateway Developer Guide)."""
    ada = side.connect("presence", {"name": "ada"})
    root = side.connect("admin")
    info = side.send(
        "admin", root.connection_id, json.dumps({"action": "info", "id": ada.connection_id})
    ).json()
    assert set(info) == {"connectionId", "connectedAt", "lastActiveAt", "sourceIp", "userAgent"}
    assert info["connectionId"] == ada.connection_id
    assert all(isinstance(info[key], int) for key in ("connectedAt", "lastActiveAt"))
    assert all(isinstance(info[key], str) for key in ("sourceIp", "userAgent"))
    assert json.loads(payload_bytes(info)) == info


# -- item 3: declaration checks ---------------------------------------------------------------------


def test_a_name_that_cannot_be_a_url_path_segment_is_refused_where_synth_refuses_it(
    side: Any, tmp_path: Path
) -> None:
    """A WebSocket URL is wss://{api}.execute-api.{region}.amazonaws.com/{stage}; the dev server
    serves a socket at a path segment, which takes RFC 3986's unreserved characters as they are."""
    refusal = side.declare(tmp_path, 'from eventual import socket\nsocket("my socket/1", {})\n')
    assert refusal is not None
    assert "socket name 'my socket/1' cannot appear in a URL path" in refusal


def test_a_handler_that_cannot_take_request_and_context_is_refused_at_declaration(
    side: Any, tmp_path: Path
) -> None:
    """Lambda calls the integration with the event; eventual calls the handler with (request,
    context), so a handler taking neither would fail every event with a 500."""
    source = """
        from eventual import socket
        def on_connect():
            return None
        socket("chat", {"$connect": on_connect})
    """
    refusal = side.declare(tmp_path, source)
    assert refusal is not None
    assert "on_connect (" in refusal and "takes () but must take (request, context)" in refusal


def test_a_failing_middleware_answers_500_and_the_log_names_it(side: Any) -> None:
    """An unhandled integration error is a 500 {"message": "Internal server error"} (AWS Knowledge
    Center, "How can I troubleshoot the 'internal server' error with status code 500 for API
    Gateway endpoints that integrate with Lambda?"); on a WebSocket message route API Gateway adds
    connectionId and requestId to that body (observed; eventual.runtime.apigateway.error_response)."""
    conn = side.connect("guarded")
    assert side.send("guarded", conn.connection_id, "token").reply == "in"
    refused = side.send("guarded", conn.connection_id, "no")
    assert refused.status == 500
    assert refused.json()["message"] == "Internal server error"
    [failure] = side.failures()
    assert failure["message"] == "guarded middleware require_token failed: PermissionError: no token"


# -- the dev server's paragraph of the README, where a handler decides -----------------------------


def test_connect_decides_before_the_upgrade_and_its_status_is_the_handshakes(side: Any) -> None:
    """$connect's integration response decides the handshake: a non-2xx status refuses it with that
    status ("Working with routes for WebSocket APIs": the $connect route's backend can reject the
    connection; "Set up a $connect route that requires a WebSocket subprotocol" shows 400)."""
    assert side.connect("gate").status == 403
    assert side.connect("gate", {"ok": "1"}).status == 200


def test_a_message_routes_return_value_reaches_the_caller(side: Any) -> None:
    """A route response sends the integration's response back to the client ("Set up a WebSocket
    API route response")."""
    conn = side.connect("gate", {"ok": "1"})
    assert side.send("gate", conn.connection_id, "hi").json() == {"echo": "hi"}


# -- item 5: events API Gateway would not send --------------------------------------------------------


@pytest.mark.lambda_only
@pytest.mark.parametrize(
    ("event", "problem"),
    [
        ({}, "requestContext is missing"),
        (
            {"requestContext": {"routeKey": "$default", "eventType": "MESSAGE", "connectionId": 5}},
            "connectionId is int 5",
        ),
        (
            {"requestContext": {"routeKey": "$default", "eventType": "PING", "connectionId": "C="}},
            "eventType is str 'PING'",
        ),
    ],
)
def test_a_malformed_event_is_one_log_line_and_runs_nothing(
    side: Any, event: dict[str, Any], problem: str
) -> None:
    """API Gateway sends requestContext.routeKey, eventType and connectionId with every WebSocket
    event ("Working with WebSocket APIs", the Lambda proxy integration input of WebSocket routes,
    API Gateway Developer Guide); anything else is answered as a failed integration (above)."""
    if side.name != "lambda":
        pytest.skip("the dev server builds its events itself")
    response = side.invoke("guarded", event)
    assert response["statusCode"] == 500
    assert json.loads(response["body"])["message"] == "Internal server error"
    [failure] = side.failures()
    assert problem in failure["problem"] and failure["response"] == response
