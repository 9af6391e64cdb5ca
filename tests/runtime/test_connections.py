"""Tracked connections in the service's DynamoDB table (moto), and broadcast over real HTTP."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from botocore.stub import Stubber

import eventual.runtime.connections as connections
from eventual import ConfigurationError, ConnectionGone, Socket, socket
from eventual.deployment import Deployment
from eventual.payload import payload_bytes
from eventual.runtime.dispatch import dispatch
from tests.apigw_events import CONNECTED_AT, connect_event, disconnect_event
from tests.deployments import bare_deployment
from tests.loopback_api import LoopbackApi
from tests.runtime.conftest import TABLE


def NO_MANAGEMENT(url: str) -> Any:
    raise AssertionError("this test reaches no connection")


def ids_of(sock: Socket) -> list[str]:
    return [record["connectionId"] for record in sock.connections()]


def items(dynamodb: Any) -> list[dict[str, Any]]:
    return sorted(dynamodb.scan(TableName=TABLE)["Items"], key=lambda item: item["connectionId"]["S"])


def test_connect_records_and_disconnect_removes(table: Any, deployment: Deployment) -> None:
    room = socket("room", {}, track_connections=True)
    event = connect_event("C1=")
    authorizer = {"principalId": "u1", "name": "Ada", "admin": True, "integrationLatency": 12}
    event["requestContext"]["authorizer"] = authorizer
    assert dispatch(room, event, deployment) == {"statusCode": 200}

    [item] = items(table)
    assert item["socket"] == {"S": "room"}
    assert item["identity"] == {
        "M": {"principalId": {"S": "u1"}, "name": {"S": "Ada"}, "admin": {"BOOL": True}}
    }
    assert item["connectedAt"] == {"N": str(CONNECTED_AT)}  # API Gateway's, from the event
    assert int(item[connections.TTL_ATTRIBUTE]["N"]) - time.time() > 2 * 60 * 60
    with deployment.activate():
        assert list(room.connections()) == [
            {
                "connectionId": "C1=",
                "identity": {"principalId": "u1", "name": "Ada", "admin": True},
                "connectedAt": CONNECTED_AT,
            }
        ]

    dispatch(room, disconnect_event("C1="), deployment)
    assert items(table) == []


def test_rejected_connect_is_not_recorded(table: Any, deployment: Deployment) -> None:
    from eventual import SocketResponse

    room = socket("room", {"$connect": lambda r, c: SocketResponse(403)}, track_connections=True)
    assert dispatch(room, connect_event("C1="), deployment)["statusCode"] == 403
    failing = socket("failing", {"$connect": lambda r, c: 1 / 0}, track_connections=True)
    assert dispatch(failing, connect_event("C2="), deployment)["statusCode"] == 500
    assert items(table) == []


def test_untracked_sockets_touch_no_table(deployment: Deployment) -> None:
    plain = socket("plain", {})
    assert dispatch(plain, connect_event(), deployment) == {"statusCode": 200}
    with pytest.raises(ConfigurationError, match="track_connections=True"):
        list(plain.connections())


def test_tracking_without_a_table_is_a_clear_failure(
    deployment: Deployment, caplog: pytest.LogCaptureFixture
) -> None:
    room = socket("room", {}, track_connections=True)
    assert dispatch(room, connect_event(), deployment)["statusCode"] == 500
    assert "has no connections table" in caplog.text


def test_connections_pages_through_the_table(table: Any) -> None:
    room = socket("room", {}, track_connections=True)
    other = socket("other", {}, track_connections=True)
    store = connections.DynamoConnectionStore(TABLE, page_size=7)
    with bare_deployment("svc", store).activate():
        for n in range(25):
            store.put("room", f"R{n:02}=", None)
        store.put("other", "O1=", None)

        calls: list[dict[str, Any]] = []
        store._client.meta.events.register(
            "provide-client-params.dynamodb.Query", lambda params, **_: calls.append(params)
        )
        ids = (c["connectionId"] for c in room.connections())
        first = next(ids)
        assert len(calls) == 1  # one page read, not the whole table
        assert [first, *ids] == [f"R{n:02}=" for n in range(25)]
        assert len(calls) == 4  # 25 ids in pages of 7
        assert all(call["Limit"] == 7 for call in calls)
        assert ids_of(other) == ["O1="]


def test_send_to_a_gone_connection_forgets_it(
    table: Any, loopback: LoopbackApi, deployment: Deployment
) -> None:
    room = socket("room", {}, track_connections=True)
    dispatch(room, connect_event("Alive="), deployment)
    dispatch(room, connect_event("Gone="), deployment)
    loopback.gone = {"Gone="}
    with pytest.raises(ConnectionGone):
        room.send("Gone=", "x")
    room.send("Alive=", "x")
    assert ids_of(room) == ["Alive="]


def test_broadcast_posts_once_per_connection_and_forgets_the_gone(
    table: Any, loopback: LoopbackApi, deployment: Deployment
) -> None:
    room = socket("room", {}, track_connections=True)
    for n in range(30):
        dispatch(room, connect_event(f"C{n:02}="), deployment)
    loopback.gone = {"C03=", "C17="}

    result = room.broadcast({"text": "hi"}, exclude="C00=", concurrency=4)

    assert (result.delivered, result.gone) == (27, 2)
    posts = [r for r in loopback.requests if r[0] == "POST"]
    assert len(posts) == 29 and len({cid for _, cid, _ in posts}) == 29
    assert all(body == b'{"text":"hi"}' for _, _, body in posts)
    assert "C00=" not in loopback.delivered()
    assert set(ids_of(room)) == {f"C{n:02}=" for n in range(30)} - loopback.gone


def test_broadcast_refuses_oversize_before_any_post(
    table: Any, loopback: LoopbackApi, deployment: Deployment
) -> None:
    from eventual import PayloadTooLarge

    room = socket("room", {}, track_connections=True)
    dispatch(room, connect_event("C1="), deployment)
    with pytest.raises(PayloadTooLarge):
        room.broadcast("x" * (200 * 1024))
    assert loopback.requests == []


def test_broadcast_surfaces_other_errors(table: Any, loopback: LoopbackApi, deployment: Deployment) -> None:
    from botocore.exceptions import ClientError

    room = socket("room", {}, track_connections=True)
    dispatch(room, connect_event("C1="), deployment)
    loopback.script = [403]
    with pytest.raises(ClientError, match="Forbidden"):
        room.broadcast("x")


def test_in_memory_store_has_the_same_behaviour() -> None:
    store = connections.InMemoryConnectionStore()
    deployment = bare_deployment("svc", store)
    room = socket("room", {}, track_connections=True)
    dispatch(room, connect_event("A="), deployment)
    dispatch(room, connect_event("B="), deployment)
    dispatch(room, disconnect_event("A="), deployment)
    with deployment.activate():
        assert ids_of(room) == ["B="]


def test_gone_is_raised_even_where_the_table_is_out_of_reach(
    loopback: LoopbackApi, deployment: Deployment, caplog: pytest.LogCaptureFixture
) -> None:
    """A function without the table (say mySocket's, sending on chat) still learns of the gone."""
    room = socket("room", {}, track_connections=True)
    loopback.gone = {"Gone="}
    with pytest.raises(ConnectionGone):
        room.send("Gone=", "x")
    assert "could not forget gone connection Gone=" in caplog.text
    assert "grant_connections" in caplog.text


@pytest.fixture(params=["dynamodb", "memory"])
def store_at(request: pytest.FixtureRequest, table: Any) -> Any:
    """A store of either kind whose clock the test sets: ``store_at(now)``."""
    clock = {"now": 1_800_000_000.0}

    def make(now: float) -> Any:
        clock["now"] = now
        return made

    if request.param == "dynamodb":
        made: Any = connections.DynamoConnectionStore(TABLE, page_size=2, clock=lambda: clock["now"])
    else:
        made = connections.InMemoryConnectionStore(clock=lambda: clock["now"])
    return make


def test_both_stores_yield_the_same_records(store_at: Any) -> None:
    store = store_at(1_800_000_000.0)
    store.put("room", "A=", {"principalId": "u1", "n": 2, "ratio": 0.5, "ok": False}, 1_799_999_999_123)
    store.put("room", "B=", None)
    assert sorted(store.connections("room"), key=lambda c: c["connectionId"]) == [
        {
            "connectionId": "A=",
            "identity": {"principalId": "u1", "n": 2, "ratio": 0.5, "ok": False},
            "connectedAt": 1_799_999_999_123,
        },
        {"connectionId": "B=", "identity": None, "connectedAt": 1_800_000_000_000},
    ]
    assert list(store.connection_ids("other")) == []


def test_expired_connections_are_left_out_before_the_sweep(store_at: Any) -> None:
    """DynamoDB deletes expired items typically within 48 hours and reads return them until then
    ("Working with expired items"): a connection whose $disconnect was lost must not be listed."""
    store = store_at(1_800_000_000.0)
    store.put("room", "Old=", None)
    store_at(1_800_000_000.0 + connections.TTL_SECONDS - 1)
    store.put("room", "New=", None)
    assert sorted(store.connection_ids("room")) == ["New=", "Old="]
    store_at(1_800_000_000.0 + connections.TTL_SECONDS + 1)
    assert list(store.connection_ids("room")) == ["New="]


def test_records_are_json_ready_and_copies(store_at: Any) -> None:
    store = store_at(1_800_000_000.0)
    store.put("room", "A=", {"principalId": "u1"}, 5)
    [record] = store.connections("room")
    assert json.loads(payload_bytes([record])) == [record]
    record["identity"]["principalId"] = "changed"
    assert next(store.connections("room"))["identity"] == {"principalId": "u1"}


def test_items_written_in_seconds_read_as_milliseconds(table: Any) -> None:
    """eventual 0.1 stored connectedAt in epoch seconds; its items live up to TTL_SECONDS."""
    now = int(time.time())
    table.put_item(
        TableName=TABLE,
        Item={
            "socket": {"S": "room"},
            "connectionId": {"S": "Old="},
            "connectedAt": {"N": str(now)},
            connections.TTL_ATTRIBUTE: {"N": str(now + 60)},
        },
    )
    [record] = connections.DynamoConnectionStore(TABLE).connections("room")
    assert record["connectedAt"] == now * 1000


# -- the edges mutation testing found (docs/mutation.md) ----------------------------------------


def test_expiry_is_strict_on_both_stores(store_at: Any) -> None:
    """An item is gone from the second its TTL names (the table's filter is ``#ttl > :now``)."""
    store = store_at(1_800_000_000.0)
    store.put("room", "A=", None)
    expires = 1_800_000_000 + 2 * 60 * 60 + 15 * 60  # API Gateway's 2 hours, and 15 minutes
    assert list(store_at(expires - 1).connection_ids("room")) == ["A="]
    assert list(store_at(expires).connection_ids("room")) == []


def test_the_table_is_queried_by_socket_page_by_page_without_expired_items() -> None:
    store = connections.DynamoConnectionStore(TABLE, page_size=7, clock=lambda: 1_800_000_000.5)
    with Stubber(store._client) as stub:
        stub.add_response(
            "query",
            {"Items": [{"socket": {"S": "room"}, "connectionId": {"S": "A="}}]},
            {
                "TableName": TABLE,
                "KeyConditionExpression": "#socket = :socket",
                "FilterExpression": "attribute_not_exists(#ttl) OR #ttl > :now",
                "ExpressionAttributeNames": {"#socket": "socket", "#ttl": "expiresAt"},
                "ExpressionAttributeValues": {":socket": {"S": "room"}, ":now": {"N": "1800000000"}},
                "Limit": 7,
            },
        )
        # An item without connectedAt (nothing eventual writes, yet a table may hold): time 0.
        assert list(store.connections("room")) == [{"connectionId": "A=", "identity": None, "connectedAt": 0}]
        stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("stored", "read"),
    [
        (99_999_999_999, 99_999_999_999_000),
        (100_000_000_000, 100_000_000_000),
        (1_700_000_000, 1_700_000_000_000),
    ],
)
def test_connected_at_in_seconds_is_told_from_milliseconds(table: Any, stored: int, read: int) -> None:
    """Below 10^11 (the year 5138 in seconds, 1973 in milliseconds) a time is seconds."""
    table.put_item(
        TableName=TABLE,
        Item={"socket": {"S": "room"}, "connectionId": {"S": "A="}, "connectedAt": {"N": str(stored)}},
    )
    [record] = connections.DynamoConnectionStore(TABLE).connections("room")
    assert record["connectedAt"] == read


def test_identity_numbers_keep_their_kind(store_at: Any) -> None:
    store = store_at(1_800_000_000.0)
    store.put("room", "A=", {"n": -5, "big": 10, "ratio": -0.25, "flag": True, "name": "-5"})
    [record] = store.connections("room")
    identity = record["identity"]
    assert identity == {"n": -5, "big": 10, "ratio": -0.25, "flag": True, "name": "-5"}
    assert [type(identity[k]) for k in ("n", "big", "ratio", "flag", "name")] == [int, int, float, bool, str]
    assert json.dumps(identity) == '{"n": -5, "big": 10, "ratio": -0.25, "flag": true, "name": "-5"}'


def test_forgetting_an_unknown_connection_is_no_error(store_at: Any) -> None:
    store = store_at(1_800_000_000.0)
    store.delete("room", "Never=")
    store.put("room", "A=", None)
    store.delete("room", "A=")
    store.delete("room", "A=")
    assert list(store.connection_ids("room")) == []
