"""examples/service.py: ``mySocket`` (JSON middleware, echo) and ``rtc-socket`` (a relay)."""

from __future__ import annotations

import json

import pytest

from eventual.testing import SocketTestClient


def test_my_socket_answers_the_parsed_message(client: SocketTestClient) -> None:
    with client.connect("mySocket") as ws:
        assert json.loads(ws.send('{"foo": "x", "bar": "y"}')) == {"received": {"foo": "x", "bar": "y"}}
        assert ws.send("") == '{"received":null}'


def test_my_socket_answers_what_is_not_json_with_400s_body(client: SocketTestClient) -> None:
    with client.connect("mySocket") as ws:
        assert json.loads(ws.send("not json")) == {"error": "message is not JSON"}
        assert ws.open


def test_my_socket_logs_connect_and_disconnect(
    client: SocketTestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    with client.connect("mySocket") as ws:
        pass
    assert capsys.readouterr().out.splitlines() == [
        f"mySocket: {ws.connection_id} connected",
        f"mySocket: {ws.connection_id} disconnected",
    ]


def test_rtc_socket_relays_to_the_named_peer(client: SocketTestClient) -> None:
    with client.connect("rtc-socket") as ada, client.connect("rtc-socket") as bob:
        offer = {"type": "offer", "sdp": "v=0"}
        assert ada.send(json.dumps({"to": bob.connection_id, "data": offer})) is None
        assert bob.json() == [{"from": ada.connection_id, "data": offer}]
        assert ada.received == []


def test_rtc_socket_answers_a_gone_peer_and_a_malformed_message(client: SocketTestClient) -> None:
    with client.connect("rtc-socket") as ada:
        with client.connect("rtc-socket") as bob:
            gone = bob.connection_id
        assert json.loads(ada.send(json.dumps({"to": gone}))) == {"error": f"connection {gone} is gone"}
        assert json.loads(ada.send('{"data": 1}')) == {"error": 'send {"to": connectionId, "data": ...}'}


def test_a_peer_on_another_socket_is_gone_to_rtc_socket(client: SocketTestClient) -> None:
    with client.connect("rtc-socket") as ada, client.connect("mySocket") as other:
        reply = json.loads(ada.send(json.dumps({"to": other.connection_id})))
    assert reply == {"error": f"connection {other.connection_id} is gone"}
    assert other.received == []
