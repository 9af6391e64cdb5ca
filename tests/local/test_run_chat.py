"""examples/chat.py, served by `eventual local --entry examples.chat`, with real clients."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from eventual import ConnectRequest, Forbidden, Unauthorized
from tests.local.process import LocalProcess, eventual_local

KEY = "tests-key"


@pytest.fixture(scope="module")
def local() -> Iterator[LocalProcess]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CHAT_KEY", KEY)
        with eventual_local("--entry", "examples.chat", "--no-reload") as running:
            yield running
            assert running.stop() == 0


def join(local: LocalProcess, **query: str) -> ClientConnection:
    return connect(local.url("chat", urlencode(query)))


@pytest.mark.parametrize(
    ("query", "status"),
    [({}, 401), ({"name": "ada"}, 401), ({"key": KEY}, 401), ({"name": "ada", "key": "guess"}, 403)],
)
def test_joining_without_the_key_is_refused(local: LocalProcess, query: dict[str, str], status: int) -> None:
    with pytest.raises(InvalidStatus) as refused:
        join(local, **query)
    assert refused.value.response.status_code == status


def test_a_message_reaches_everyone_signed_with_the_senders_name(local: LocalProcess) -> None:
    with join(local, name="ada", key=KEY) as ada, join(local, name="bob", key=KEY) as bob:
        ada.send(json.dumps({"text": "hello, room"}))
        expected = {"from": "ada", "text": "hello, room"}
        assert json.loads(ada.recv(timeout=5)) == expected  # the sender included
        assert json.loads(bob.recv(timeout=5)) == expected
        bob.send(json.dumps({"text": "hi ada"}))
        assert [json.loads(ws.recv(timeout=5))["from"] for ws in (ada, bob)] == ["bob", "bob"]


def test_a_bad_message_is_answered_to_its_sender_only(local: LocalProcess) -> None:
    with join(local, name="ada", key=KEY) as ada, join(local, name="bob", key=KEY) as bob:
        ada.send("not json")
        assert "error" in json.loads(ada.recv(timeout=5))
        bob.send(json.dumps({"text": "first to reach ada"}))
        assert json.loads(ada.recv(timeout=5)) == {"from": "bob", "text": "first to reach ada"}


def test_the_demo_key_when_chat_key_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    # Imported here, into a registry of this test's own: a socket of examples.chat left in the
    # process registry would count as one of examples.service's (sockets_of takes the package's).
    from examples import chat

    monkeypatch.delenv("CHAT_KEY", raising=False)
    allowed = chat.check_key(ConnectRequest("C=", {"name": " Ada ", "key": chat.DEMO_KEY}, {}))
    assert allowed == {"principalId": "Ada", "name": "Ada"}
    with pytest.raises(Forbidden):
        chat.check_key(ConnectRequest("C=", {"name": "Ada", "key": KEY}, {}))
    with pytest.raises(Unauthorized):
        chat.check_key(ConnectRequest("C=", {"name": "   ", "key": chat.DEMO_KEY}, {}))
