"""The service's AsyncAPI 3.0 document (eventual/asyncapi.py): what it says about each socket and
route, and every generated document passes the official parser (@asyncapi/parser, through node)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from pydantic import BaseModel

import examples.service
import tests.parity.service
from eventual import Socket, route
from eventual.asyncapi import asyncapi_document
from eventual.local import DevServer
from eventual.socket_options import SocketOptions
from eventual.sockets import sockets_of
from tests.asyncapi.parser import parse

EXAMPLE = sockets_of(examples.service.__name__)
CLOUD_URLS = {name: f"wss://{i}abc.execute-api.eu-west-1.amazonaws.com/dev" for i, name in enumerate(EXAMPLE)}


class Report(BaseModel):
    level: int


def nested_routes() -> Socket:
    """Message routes and no $default, selected by a nested property; subprotocols; an authorizer."""

    def report(request: Any, context: dict[str, Any]) -> None:
        """File a report."""

    return Socket(
        "alerts~v2",
        {"report": route(report, message=Report), "ack": lambda request, context: "ok"},
        options=SocketOptions(
            route_selection="$request.body.meta.kind",
            subprotocols=("alerts.v2", "alerts.v1"),
            authorizer=lambda request: {"principalId": "x"},
        ),
    )


def served_locally() -> dict[str, Any]:
    """What ``eventual local`` answers at /__eventual/asyncapi.json for the example service."""
    with DevServer("my-service", EXAMPLE, port=0) as server:
        url = f"http://127.0.0.1:{server.port}/__eventual/asyncapi.json"
        with urllib.request.urlopen(url, timeout=10) as answer:
            assert answer.headers["content-type"] == "application/json"
            document: dict[str, Any] = json.loads(answer.read())
            return document


def every_document() -> dict[str, dict[str, Any]]:
    return {
        "example, eventual local": served_locally(),
        "example, a deployed stage": asyncapi_document(
            "my-service",
            "dev",
            EXAMPLE,
            urls=CLOUD_URLS,
            identity_sources={"chat": ["route.request.querystring.key"]},
        ),
        "parity service": asyncapi_document(
            "parity",
            "default",
            sockets_of(tests.parity.service.__name__),
            urls={"orders": "wss://o.example/prod"},
        ),
        "untyped": asyncapi_document(
            "plain", "default", {"echo": Socket("echo", {})}, urls={"echo": "ws://h:1/e"}
        ),
        "nested selection": asyncapi_document(
            "alerts",
            "default",
            {"alerts~v2": nested_routes()},
            urls={"alerts~v2": "wss://a.example/prod"},
            identity_sources={"alerts~v2": ["route.request.header.X-Key", "route.request.querystring.team"]},
        ),
    }


@pytest.fixture(scope="module")
def documents() -> dict[str, dict[str, Any]]:
    return every_document()


def test_every_generated_document_passes_the_official_parser_without_a_warning(
    documents: dict[str, dict[str, Any]],
) -> None:
    results = parse(list(documents.values()))
    assert dict(zip(documents, results, strict=True)) == {
        name: {"parsed": True, "diagnostics": []} for name in documents
    }


def test_the_parser_refuses_a_broken_document(documents: dict[str, dict[str, Any]]) -> None:
    """The check bites: a server without a host and an operation on a channel that does not exist."""
    broken = json.loads(json.dumps(documents["example, eventual local"]))
    del broken["servers"]["lobby"]["host"]
    broken["operations"]["lobby.move"]["channel"] = {"$ref": "#/channels/nowhere"}
    [result] = parse([broken])
    errors = [d for d in result["diagnostics"] if d["severity"] == 0]
    assert result["parsed"] is False and len(errors) >= 2


def test_one_server_and_channel_per_socket_at_its_address(documents: dict[str, dict[str, Any]]) -> None:
    local, cloud = documents["example, eventual local"], documents["example, a deployed stage"]
    assert sorted(local["channels"]) == sorted(local["servers"]) == sorted(EXAMPLE) != []
    assert local["servers"]["chat"]["protocol"] == "ws"
    assert local["servers"]["chat"]["host"].startswith("localhost:")
    assert local["channels"]["rtc-socket"]["address"] == "/__ws/rtc-socket"
    assert (local["info"]["title"], local["info"]["version"]) == ("my-service", "local")
    assert cloud["servers"]["lobby"] == {
        **cloud["servers"]["lobby"],
        "host": f"{list(EXAMPLE).index('lobby')}abc.execute-api.eu-west-1.amazonaws.com",
        "protocol": "wss",
    }
    assert cloud["channels"]["lobby"]["address"] == "/dev"


def test_each_route_is_an_operation_with_its_message_and_reply(documents: dict[str, dict[str, Any]]) -> None:
    doc = documents["example, eventual local"]
    lobby = {k.partition(".")[2]: v for k, v in doc["operations"].items() if k.startswith("lobby.")}
    assert sorted(lobby) == ["default", "move", "ping", "whoami"]
    move = lobby["move"]
    assert (move["action"], move["summary"]) == (
        "receive",
        "Move to a square of the board; the reply says who moved where.",
    )
    assert move["messages"] == [{"$ref": "#/channels/lobby/messages/move"}]
    assert move["reply"]["messages"] == [
        {"$ref": "#/channels/lobby/messages/move.reply"},
        {"$ref": "#/channels/lobby/messages/InvalidMessage"},
    ]
    messages = doc["channels"]["lobby"]["messages"]
    assert messages["move"]["payload"] == {
        "allOf": [
            {"$ref": "#/components/schemas/Move"},
            {"type": "object", "properties": {"action": {"const": "move"}}, "required": ["action"]},
        ]
    }
    assert messages["move.reply"]["payload"] == {"$ref": "#/components/schemas/Moved"}
    assert doc["components"]["schemas"]["Move"]["properties"]["x"] == {
        "maximum": 7,
        "minimum": 0,
        "title": "X",
        "type": "integer",
    }
    assert doc["components"]["schemas"]["InvalidMessage"]["required"] == [
        "message",
        "route",
        "errors",
        "connectionId",
        "requestId",
    ]
    # untyped: the route's selection only, and no reply
    assert messages["ping"]["payload"] == {
        "type": "object",
        "properties": {"action": {"const": "ping"}},
        "required": ["action"],
    }
    assert "reply" not in lobby["ping"] and lobby["whoami"]["reply"]["messages"] == [
        {"$ref": "#/channels/lobby/messages/whoami.reply"}
    ]


def test_pushed_types_are_what_the_service_sends(documents: dict[str, dict[str, Any]]) -> None:
    doc = documents["example, eventual local"]
    push = doc["operations"]["chat.push"]
    assert (push["action"], push["messages"]) == ("send", [{"$ref": "#/channels/chat/messages/ChatLine"}])
    assert doc["components"]["schemas"]["ChatLine"]["required"] == ["from", "text"]
    assert "chat.push" not in documents["untyped"]["operations"] and "lobby.push" not in doc["operations"]


def test_the_authorizers_declared_inputs_and_the_subprotocols(documents: dict[str, dict[str, Any]]) -> None:
    doc = documents["nested selection"]
    server, channel = doc["servers"]["alerts_v2"], doc["channels"]["alerts_v2"]
    assert server["security"] == [
        {"$ref": "#/components/securitySchemes/alerts_v2.X-Key"},
        {"$ref": "#/components/securitySchemes/alerts_v2.team"},
    ]
    assert doc["components"]["securitySchemes"]["alerts_v2.team"]["in"] == "query"
    assert doc["components"]["securitySchemes"]["alerts_v2.X-Key"]["in"] == "header"
    binding = channel["bindings"]["ws"]
    assert binding["query"]["required"] == ["team"]
    assert binding["headers"]["required"] == ["Sec-WebSocket-Protocol", "X-Key"]
    assert binding["headers"]["properties"]["Sec-WebSocket-Protocol"]["examples"] == [
        "alerts.v2",
        "alerts.v1",
    ]
    # no $default: only the message routes, selected by the nested property
    assert sorted(doc["operations"]) == ["alerts_v2.ack", "alerts_v2.report"]
    report = channel["messages"]["report"]["payload"]["allOf"][1]
    assert report["properties"]["meta"] == {
        "type": "object",
        "properties": {"kind": {"const": "report"}},
        "required": ["kind"],
    }
    # an authorizer whose inputs nobody declared (locally): said so, no security scheme
    local = documents["example, eventual local"]
    assert (
        "security" not in local["servers"]["chat"] and "undeclared" in local["servers"]["chat"]["description"]
    )
    assert documents["example, a deployed stage"]["servers"]["chat"]["security"] == [
        {"$ref": "#/components/securitySchemes/chat.key"}
    ]
