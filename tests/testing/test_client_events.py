"""What the test client hands handlers and tells the test, field by field, as API Gateway does
("Working with WebSocket APIs": the $connect request's headers, the requestContext of every
event), held to literal values (docs/mutation.md)."""

from __future__ import annotations

import base64
import re
import sys
import time
import types
from typing import Any

import pytest

from eventual import ConfigurationError, SocketNotDeployed, SocketResponse, socket
from eventual.testing import Rejected, SocketTestClient

API_GATEWAY_ID = re.compile(r"^[A-Za-z0-9_-]{15}=$")
"""11 random bytes, URL-safe base64: ``L0SM9cOFvHcCIhw=``."""

events: list[tuple[str, Any]] = []


def record(kind: str) -> Any:
    def handler(request: Any, context: Any) -> Any:
        events.append((kind, request))
        return None

    return handler


def refuse(request: Any, context: Any) -> Any:
    if request.query.get("refuse"):
        return SocketResponse(403, b"\xffno")  # a body that is not UTF-8
    events.append(("connect", request))
    return None


recorded = socket(
    "testing-recorded",
    {"$connect": refuse, "$disconnect": record("disconnect"), "$default": record("message")},
)
other = socket("testing-other", {})


@pytest.fixture
def client() -> SocketTestClient:
    events.clear()
    return SocketTestClient(recorded, service="svc")


def test_connect_carries_api_gateways_headers_and_the_callers_own(client: SocketTestClient) -> None:
    before = int(time.time() * 1000)
    with client.connect("testing-recorded", query={"room": "a"}, headers=[("X-Custom", "1")]) as ada:
        pass
    after = int(time.time() * 1000)
    (_, connect), (_, gone) = events
    # As sent: the event's headers keep the case API Gateway gives them; the request's are lowered.
    assert list(connect.event["headers"]) == [
        "Host",
        "Sec-WebSocket-Key",
        "Sec-WebSocket-Version",
        "User-Agent",
        "X-Forwarded-For",
        "X-Forwarded-Port",
        "X-Forwarded-Proto",
        "X-Custom",
    ]
    headers = dict(connect.headers)
    key = headers.pop("sec-websocket-key")
    assert len(base64.b64decode(key, validate=True)) == 16
    assert headers == {
        "host": "testserver",
        "sec-websocket-version": "13",
        "user-agent": "eventual-testing",
        "x-forwarded-for": "198.51.100.7",
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
        "x-custom": "1",
    }
    assert connect.query == {"room": "a"}
    assert API_GATEWAY_ID.match(ada.connection_id) and API_GATEWAY_ID.match(connect.request_id)
    assert connect.connection_id == gone.connection_id == ada.connection_id
    context = connect.event["requestContext"]
    assert (context["domainName"], context["stage"], context["apiId"]) == ("testserver", "test", "testserver")
    assert before <= context["connectedAt"] <= after
    assert (context["identity"]["sourceIp"], context["identity"]["userAgent"]) == (
        "198.51.100.7",
        "eventual-testing",
    )
    assert (gone.status_code, gone.reason) == (1000, "")


def test_the_caller_may_be_named(client: SocketTestClient) -> None:
    with client.connect("testing-recorded", source_ip="203.0.113.9", user_agent="ua/2"):
        pass
    headers = events[0][1].headers
    assert (headers["x-forwarded-for"], headers["user-agent"]) == ("203.0.113.9", "ua/2")


def test_messages_get_fresh_ids_and_move_last_active_at(client: SocketTestClient) -> None:
    with client.connect("testing-recorded") as ada:
        first_active = ada.last_active_at
        time.sleep(0.01)
        ada.send("one")
        ada.send("two")
        assert ada.last_active_at > first_active
    one, two = (request for kind, request in events if kind == "message")
    assert (one.body, two.body) == ("one", "two")
    assert one.request_id != two.request_id and API_GATEWAY_ID.match(one.request_id)
    message_ids = {r.event["requestContext"]["messageId"] for r in (one, two)}
    assert len(message_ids) == 2 and all(API_GATEWAY_ID.match(m) for m in message_ids)


def test_close_ends_every_open_connection_as_going_away(client: SocketTestClient) -> None:
    ada, bob = client.connect("testing-recorded"), client.connect("testing-recorded")
    bob.close(4000, "bye")
    client.close()
    gone = [(r.connection_id, r.status_code, r.reason) for kind, r in events if kind == "disconnect"]
    assert gone == [(bob.connection_id, 4000, "bye"), (ada.connection_id, 1001, "Going away")]
    assert not ada.open and not bob.open
    assert repr(ada) == f"<Connection {ada.connection_id} to 'testing-recorded', closed>"


def test_a_refusal_carries_its_status_and_body(client: SocketTestClient) -> None:
    with pytest.raises(Rejected) as refused:
        client.connect("testing-recorded", {"refuse": "1"})
    assert (refused.value.socket, refused.value.status, refused.value.body) == (
        "testing-recorded",
        403,
        "\ufffdno",
    )
    assert str(refused.value) == "connection to socket 'testing-recorded' refused with 403: \ufffdno"
    assert Rejected("s", 401, None).json() is None
    assert str(Rejected("s", 401, None)) == "connection to socket 's' refused with 401: (no body)"
    assert Rejected("s", 401, '{"a": 1}').json() == {"a": 1}


def test_sockets_come_from_a_module_a_mapping_or_a_list() -> None:
    entry = types.ModuleType("testing_entry")
    entry.chat = recorded  # type: ignore[attr-defined]
    sys.modules[entry.__name__] = entry
    try:
        assert list(SocketTestClient(entry.__name__).sockets) == ["testing-recorded"]
    finally:
        del sys.modules[entry.__name__]
    # A socket is served under its own name (its URLs, and so its send, are keyed by it), in name
    # order, as an entry's are.
    assert list(SocketTestClient({"x": recorded}).sockets) == ["testing-recorded"]
    assert list(SocketTestClient([recorded, other]).sockets) == ["testing-other", "testing-recorded"]
    assert repr(SocketTestClient([recorded, other])) == (
        "<SocketTestClient of 'test': testing-other, testing-recorded>"
    )
    empty = types.ModuleType("testing_no_sockets")
    sys.modules[empty.__name__] = empty
    try:
        with pytest.raises(ConfigurationError) as none_declared:
            SocketTestClient(empty.__name__)
    finally:
        del sys.modules[empty.__name__]
    assert str(none_declared.value) == (
        "entry 'testing_no_sockets' declares no socket: bind each socket to a name in it "
        '(chat = socket("chat", ...)) or import it there (from myapp.chat import chat)'
    )
    with pytest.raises(SocketNotDeployed) as unknown:
        SocketTestClient([]).connect("x")
    assert str(unknown.value) == "this test client has no socket named 'x' (its sockets: none)"


@pytest.mark.parametrize(("status", "accepted"), [(200, True), (299, True), (300, False), (301, False)])
def test_connect_accepts_below_300_only(status: int, accepted: bool) -> None:
    """API Gateway accepts the connection on a 2xx from $connect, refuses it on anything else."""
    statused = socket("testing-statused", {"$connect": lambda request, context: SocketResponse(status)})
    client = SocketTestClient(statused)
    if accepted:
        assert client.connect("testing-statused").open
    else:
        with pytest.raises(Rejected) as refused:
            client.connect("testing-statused")
        assert refused.value.status == status


def test_the_subprotocol_connect_selects() -> None:
    """$connect selects a subprotocol with its ``Sec-WebSocket-Protocol`` header ("Set up a
    $connect route that requires a WebSocket subprotocol")."""

    def select(request: Any, context: Any) -> SocketResponse:
        return SocketResponse(200, headers={"Sec-WebSocket-Protocol": "chat.v1"})

    chooser = socket("testing-chooser", {"$connect": select})
    with SocketTestClient(chooser).connect("testing-chooser") as ada:
        assert ada.subprotocol == "chat.v1"
        assert repr(ada) == f"<Connection {ada.connection_id} to 'testing-chooser', open>"
    with SocketTestClient(other).connect("testing-other") as bob:
        assert bob.subprotocol is None
