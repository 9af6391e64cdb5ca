"""examples/chat.py: an authorizer with a key, tracked connections and broadcast."""

from __future__ import annotations

import json

import pytest

from eventual.testing import Rejected, SocketTestClient
from examples.chat import DEMO_KEY

KEY = "tests-key"


@pytest.fixture(autouse=True)
def chat_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAT_KEY", KEY)


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({}, 401),
        ({"name": "ada"}, 401),
        ({"key": KEY}, 401),
        ({"name": "   ", "key": KEY}, 401),
        ({"name": "ada", "key": "guess"}, 403),
    ],
)
def test_joining_without_the_key_is_refused(
    client: SocketTestClient, query: dict[str, str], status: int
) -> None:
    with pytest.raises(Rejected) as refused:
        client.connect("chat", query=query)
    assert refused.value.status == status
    assert client.connections("chat") == []


def test_a_message_reaches_everyone_signed_with_the_senders_name(client: SocketTestClient) -> None:
    with client.connect("chat", query={"name": "ada", "key": KEY}) as ada:
        with client.connect("chat", query={"name": " bob ", "key": KEY}) as bob:
            assert sorted(client.connections("chat")) == sorted([ada.connection_id, bob.connection_id])
            assert ada.send(json.dumps({"text": "hello, room"})) is None
            bob.send(json.dumps({"text": "hi ada"}))
            expected = [{"from": "ada", "text": "hello, room"}, {"from": "bob", "text": "hi ada"}]
            assert ada.json() == bob.json() == expected  # the sender included, in one order
        assert client.connections("chat") == [ada.connection_id]


def test_a_bad_message_is_answered_to_its_sender_only(client: SocketTestClient) -> None:
    ada = client.connect("chat", query={"name": "ada", "key": KEY})
    with ada, client.connect("chat", query={"name": "bob", "key": KEY}) as bob:
        assert json.loads(ada.send("not json")) == {"error": 'send {"text": "..."}'}
        assert "at most" in json.loads(ada.send(json.dumps({"text": "x" * 4001})))["error"]
        assert bob.received == []


def test_the_demo_key_when_chat_key_is_unset(
    client: SocketTestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHAT_KEY")
    with client.connect("chat", query={"name": " Ada ", "key": DEMO_KEY}) as ada:
        assert ada.identity is not None and ada.identity["name"] == "Ada"
    with pytest.raises(Rejected) as refused:
        client.connect("chat", query={"name": "Ada", "key": KEY})
    assert refused.value.status == 403
