"""Every event the dev server handles becomes one record of its feed (eventual/local/feed.py):
authorizer, $connect, each message with its route, $disconnect, management API requests, with
the logged traceback of a failure. The terminal's lines and the console read these records."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from eventual.local import DevServer
from eventual.local.feed import EventRecord
from tests.local.conftest import url, whoami

pytestmark = pytest.mark.usefixtures("no_server_errors")


def records_of(server: DevServer, connection_id: str) -> list[EventRecord]:
    return [event for event in list(server.feed.recent) if event.connection == connection_id]


def wait_records(
    server: DevServer, connection_id: str, done: Callable[[list[EventRecord]], bool], timeout: float = 10.0
) -> list[EventRecord]:
    """The connection's records, once ``done`` says they are all there (the loop records them)."""
    deadline = time.monotonic() + timeout
    while True:
        found = records_of(server, connection_id)
        if done(found):
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"records of {connection_id}: {found}")
        time.sleep(0.01)


def kinds(records: list[EventRecord]) -> list[tuple[str, str, int]]:
    return [(event.kind, event.route, event.status) for event in records]


def test_a_connection_lives_in_the_feed_from_its_authorizer_to_its_disconnect(server: DevServer) -> None:
    with connect(url(server, "local-room", "user=ada")) as ws:
        ws.send("whoami")
        me = ws.recv(timeout=5)
        assert isinstance(me, str)
    records = wait_records(server, me, lambda found: any(e.kind == "disconnect" for e in found))
    assert kinds(records) == [
        ("authorizer", "authorizer", 200),
        ("connect", "$connect", 200),
        ("message", "$default", 200),
        ("disconnect", "$disconnect", 200),
    ]
    authorizer, connected, message, disconnected = records
    # The identity as handlers see it: API Gateway's stringified context.
    for event in (authorizer, connected, message, disconnected):
        assert event.identity is not None
        assert (event.identity["sub"], event.identity["admin"], event.identity["level"]) == (
            "ada",
            "true",
            "3",
        )
        assert event.socket == "local-room"
        assert event.failure is None
    assert message.body == "whoami"
    assert disconnected.detail == "1000"  # the client's close code (its reason is empty)
    assert [event.seq for event in records] == sorted(event.seq for event in records)


def test_a_failed_handler_s_record_carries_the_traceback_the_runtime_logged(server: DevServer) -> None:
    with connect(url(server, "local-lab")) as ws:
        me = whoami(ws)
        ws.send("boom")
        assert '"Internal server error"' in str(ws.recv(timeout=5))
        ws.send("after")
        assert ws.recv(timeout=5) == "lab:after"
    records = wait_records(server, me, lambda found: any(e.body == "after" for e in found))
    boom = next(event for event in records if event.body == "boom")
    assert boom.status == 500
    assert boom.failure is not None
    assert boom.failure.startswith("Traceback (most recent call last):")
    assert boom.failure.rstrip().endswith("RuntimeError: handler failed on purpose")
    after = next(event for event in records if event.body == "after")
    assert (after.status, after.failure) == (200, None)


@pytest.mark.parametrize(
    ("user", "status"),
    [("", 401), ("banned", 403), ("explode", 500)],
    ids=["no identity", "forbidden", "authorizer raised"],
)
def test_a_refused_connection_leaves_its_authorizer_s_record_only(
    server: DevServer, user: str, status: int
) -> None:
    before = server.feed.last_seq
    with pytest.raises(InvalidStatus) as refused:
        connect(url(server, "local-room", f"user={user}" if user else ""))
    assert refused.value.response.status_code == status
    deadline = time.monotonic() + 5
    while not (recorded := [e for e in server.feed.since(before) if e.kind == "authorizer"]):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    (authorizer,) = recorded
    assert (authorizer.socket, authorizer.status, authorizer.identity) == ("local-room", status, None)
    assert not records_of(server, authorizer.connection)[1:]  # no $connect, no $disconnect
    if status == 500:
        assert authorizer.failure is not None
        assert authorizer.failure.rstrip().endswith("RuntimeError: authorizer failed on purpose")
    else:
        assert authorizer.failure is None  # a refusal is no failure


def test_a_timed_out_handler_is_recorded_as_504(server: DevServer) -> None:
    with connect(url(server, "local-slow")) as ws:
        ws.send("sleep:3")  # local-slow's timeout is 1 s
        assert "Endpoint request timed out" in str(ws.recv(timeout=5))
        ws.send("quick")
        assert ws.recv(timeout=5) == "slow:quick"
    records = [event for event in list(server.feed.recent) if event.socket == "local-slow"]
    slept = next(event for event in records if event.body == "sleep:3")
    assert slept.status == 504
    assert 1000 <= slept.ms < 2900  # answered at the timeout, not when the handler returned


def test_a_handler_s_sends_are_management_api_records_before_its_own(server: DevServer) -> None:
    with connect(url(server, "local-lab")) as ws:
        me = whoami(ws)
        ws.send("push:first,second")
        assert [ws.recv(timeout=5) for _ in range(3)] == ["first", "second", "reply"]
        ws.send("info")
        ws.recv(timeout=5)
    records = wait_records(server, me, lambda found: any(e.body == "info" for e in found))
    asked = next(event.seq for event in records if event.body == "whoami")
    pushed = [event for event in records if event.seq > asked and event.kind != "disconnect"]
    assert [(event.kind, event.route, event.status, event.body) for event in pushed] == [
        ("management", "POST", 200, b"first"),
        ("management", "POST", 200, b"second"),
        ("message", "$default", 200, "push:first,second"),
        ("management", "GET", 200, None),
        ("message", "$default", 200, "info"),
    ]
    assert {event.socket for event in pushed} == {"local-lab"}


def test_a_management_request_for_a_gone_connection_is_recorded_as_410(server: DevServer) -> None:
    import http.client

    client = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    client.request("POST", "/__ws/local-lab/@connections/nobody%3D", body=b"hello")
    assert client.getresponse().status == 410
    client.close()
    (gone,) = wait_records(server, "nobody=", bool)  # the id as decoded from the URL
    assert (gone.kind, gone.socket, gone.route, gone.status, gone.body) == (
        "management",
        "local-lab",
        "POST",
        410,
        b"hello",
    )
