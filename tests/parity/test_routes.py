"""One set of messages, routed the same way by the Lambda entry (behind API Gateway's selection),
the test client and `eventual local` ("Create routes for WebSocket APIs in API Gateway": a JSON
message's `action` names the route, anything else goes to `$default`)."""

from __future__ import annotations

import json

from websockets.sync.client import connect

import examples.lobby
from eventual.local import DevServer
from eventual.runtime.dispatch import dispatch
from eventual.testing import SocketTestClient
from tests.apigw_events import message_event
from tests.deployments import bare_deployment

MESSAGES = ['{"action": "ping", "x": 1}', '{"action": "whoami"}', '{"action": "dance"}', "plain text"]


def routes_in(answers: list[str]) -> list[str | None]:
    return [json.loads(answer).get("route", "ping" if "pong" in answer else None) for answer in answers]


def through_lambda() -> list[str]:
    """API Gateway selects the route (the socket's own expression); the Lambda entry runs it."""
    lobby = examples.lobby.lobby
    answers = []
    for body in MESSAGES:
        route = lobby.select_route(body)
        assert route is not None
        response = dispatch(lobby, message_event(body, route_key=route), bare_deployment("svc"))
        answers.append(response["body"])
    return answers


def through_the_test_client() -> list[str]:
    with SocketTestClient(examples.lobby.lobby).connect("lobby") as conn:
        return [str(conn.send(body)) for body in MESSAGES]


def through_eventual_local() -> list[str]:
    with (
        DevServer("parity", {"lobby": examples.lobby.lobby}, port=0) as server,
        connect(server.socket_urls("lobby")["wss"]) as ws,
    ):
        answers = []
        for body in MESSAGES:
            ws.send(body)
            answers.append(str(ws.recv(timeout=5)))
        return answers


def test_the_same_messages_take_the_same_routes_everywhere() -> None:
    lambda_routes = routes_in(through_lambda())
    assert lambda_routes == ["ping", "whoami", "$default", "$default"]
    assert routes_in(through_the_test_client()) == lambda_routes
    assert routes_in(through_eventual_local()) == lambda_routes
