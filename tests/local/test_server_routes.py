"""Message routes and subprotocols on the dev server, with the `websockets` client, as API Gateway
routes them ("Create routes for WebSocket APIs in API Gateway", "Set up a $connect route that
requires a WebSocket subprotocol"): the same declarations that synthesize the cloud's routes."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

import examples.lobby
from eventual import socket
from eventual.local import DevServer, Limits


@pytest.fixture(scope="module")
def lobby_server() -> Iterator[DevServer]:
    """The example's lobby, plus `strict`: message routes and no $default."""
    strict = socket("local-strict", {"ping": lambda request, context: "pong"})
    sockets = {"lobby": examples.lobby.lobby, "local-strict": strict}
    with DevServer("routes", sockets, port=0, limits=Limits(close_timeout=1.0)) as server:
        yield server


def ws_url(server: DevServer, name: str) -> str:
    return server.socket_urls(name)["wss"]


def test_a_message_runs_the_route_its_action_names(lobby_server: DevServer) -> None:
    with connect(ws_url(lobby_server, "lobby")) as ws:
        ws.send('{"action": "ping", "n": 1}')
        assert json.loads(ws.recv(timeout=5)) == {"pong": {"action": "ping", "n": 1}}
        ws.send('{"action": "whoami"}')
        assert json.loads(ws.recv(timeout=5))["route"] == "whoami"


@pytest.mark.parametrize("message", ['{"action": "dance"}', "not json", '["ping"]', '{"action": 1}'])
def test_anything_else_goes_to_default(lobby_server: DevServer, message: str) -> None:
    with connect(ws_url(lobby_server, "lobby")) as ws:
        ws.send(message)
        answer = json.loads(ws.recv(timeout=5))
        assert answer["route"] == "$default" and answer["actions"] == ["ping", "whoami", "move"]


def test_without_default_api_gateway_answers_forbidden_and_keeps_the_connection(
    lobby_server: DevServer,
) -> None:
    """ "If there is no matching route and no $default route, the service returns an error": the
    client gets {"message": "Forbidden", ...} and the connection stays open."""
    with connect(ws_url(lobby_server, "local-strict")) as ws:
        ws.send('{"action": "other"}')
        refused = json.loads(ws.recv(timeout=5))
        assert refused["message"] == "Forbidden" and set(refused) == {"message", "connectionId", "requestId"}
        ws.send('{"action": "ping"}')
        assert ws.recv(timeout=5) == "pong"


def test_connect_selects_the_subprotocol_the_client_asked_for(lobby_server: DevServer) -> None:
    with connect(ws_url(lobby_server, "lobby"), subprotocols=["other", "lobby.v1"]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == "lobby.v1"
        ws.send('{"action": "ping"}')
        assert "pong" in json.loads(ws.recv(timeout=5))
    with connect(ws_url(lobby_server, "lobby")) as plain:
        assert plain.subprotocol is None
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url(lobby_server, "lobby"), subprotocols=["other"])  # type: ignore[list-item]
    assert refused.value.response.status_code == 400


def test_the_service_document_names_every_socket(lobby_server: DevServer) -> None:
    """The same shape the deployed HTTP API answers at GET /__eventual/service."""
    import urllib.request

    with urllib.request.urlopen(
        f"http://127.0.0.1:{lobby_server.port}/__eventual/service", timeout=5
    ) as answer:
        assert answer.headers["content-type"] == "application/json"
        document = json.loads(answer.read())
    assert document == {
        "service": "routes",
        "stage": "local",
        "sockets": {name: ws_url(lobby_server, name) for name in ("lobby", "local-strict")},
    }


def test_a_socket_a_reload_renames_closes_its_connections_1001(caplog: pytest.LogCaptureFixture) -> None:
    """A socket gone from the code is gone as a deleted API is: its clients are told so at once."""
    from websockets.exceptions import ConnectionClosed

    keep = socket("local-keep", {"$default": lambda request, context: "kept"})
    old = socket("local-old-name", {"$default": lambda request, context: "old"})
    server = DevServer("reload", {"local-keep": keep, "local-old-name": old}, port=0)
    with (
        server,
        connect(ws_url(server, "local-keep")) as kept,
        connect(ws_url(server, "local-old-name")) as gone,
    ):
        server.replace_sockets({"local-keep": keep, "local-new-name": old})
        with pytest.raises(ConnectionClosed) as closed:
            gone.recv(timeout=5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
        kept.send("still here?")
        assert kept.recv(timeout=5) == "kept"
    assert "'local-old-name' is no longer declared (renamed or removed by a reload)" in caplog.text
