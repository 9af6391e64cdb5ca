"""examples/lobby.py: message routes selected by ``action``, and a subprotocol at ``$connect``."""

from __future__ import annotations

import json

import pytest

from eventual.testing import Rejected, SocketTestClient


def test_routes_are_selected_by_action(client: SocketTestClient) -> None:
    with client.connect("lobby") as ws:
        assert json.loads(ws.send({"action": "ping", "n": 1})) == {"pong": {"action": "ping", "n": 1}}
        assert json.loads(ws.send({"action": "whoami"})) == {
            "connectionId": ws.connection_id,
            "route": "whoami",
        }
        for other in ('{"action": "dance"}', "not json", "[1]"):
            assert json.loads(ws.send(other))["route"] == "$default"


def test_connect_selects_the_subprotocol_or_refuses(client: SocketTestClient) -> None:
    with client.connect("lobby", headers={"Sec-WebSocket-Protocol": "x.v0, lobby.v1"}) as ws:
        assert ws.subprotocol == "lobby.v1"
    with client.connect("lobby") as ws:
        assert ws.subprotocol is None
    with pytest.raises(Rejected) as refused:
        client.connect("lobby", headers={"Sec-WebSocket-Protocol": "x.v0"})
    assert (refused.value.status, refused.value.body) == (400, "this socket speaks lobby.v1 only")
