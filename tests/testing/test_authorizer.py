"""The test client runs a socket's authorizer the way API Gateway (and the dev server) does."""

from __future__ import annotations

import json
from typing import Any

import pytest

from eventual import ConnectRequest, Context, Forbidden, MessageRequest, Socket, socket
from eventual.sockets import SocketOptions
from eventual.testing import Rejected, SocketTestClient


def check(request: ConnectRequest) -> dict[str, Any] | None:
    if request.query.get("fail"):
        raise RuntimeError("authorizer bug")
    if "name" not in request.query:
        return None
    if request.headers.get("x-key") != "k":
        raise Forbidden("wrong key")
    return {"principalId": request.query["name"], "admin": True, "level": 3}


@pytest.fixture
def client() -> SocketTestClient:
    def whoami(request: MessageRequest, context: Context) -> Any:
        return dict(request.identity or {})

    return SocketTestClient(socket("room", {"$default": whoami}, authorizer=check))


@pytest.mark.parametrize(
    ("query", "headers", "status", "body"),
    [
        ({}, {}, 401, {"message": "Unauthorized"}),
        (
            {"name": "ada"},
            {"X-Key": "guess"},
            403,
            {"Message": "User is not authorized to access this resource with an explicit deny"},
        ),
        ({"fail": "1"}, {}, 500, {"message": None}),
    ],
)
def test_refusals_answer_with_api_gateways_bodies(
    client: SocketTestClient, query: dict[str, str], headers: dict[str, str], status: int, body: Any
) -> None:
    with pytest.raises(Rejected) as refused:
        client.connect("room", query=query, headers=headers)
    assert (refused.value.status, refused.value.json()) == (status, body)


def test_the_identity_reaches_every_event_as_api_gateway_passes_it(client: SocketTestClient) -> None:
    with client.connect("room", query={"name": "ada"}, headers={"X-Key": "k"}) as ada:
        identity = ada.send("who am i?")
    seen = json.loads(identity)
    assert seen.pop("integrationLatency") >= 0
    assert seen == {"principalId": "ada", "admin": "true", "level": "3"}
    assert ada.identity is not None and ada.identity["principalId"] == "ada"


def test_a_handshake_without_the_default_identity_source_is_401_before_the_authorizer_runs() -> None:
    """Issue 19 item 13: an authorizer's default identity source is the ``Host`` header, so, as
    in the cloud, a handshake whose ``Host`` is empty is refused 401 and the authorizer never runs;
    with it (the test client sends one, as every client does), the authorizer decides."""
    calls: list[str] = []

    def allow(request: ConnectRequest) -> dict[str, Any]:
        calls.append(request.headers["host"])
        return {"principalId": "anyone"}

    client = SocketTestClient(Socket("guarded", {}, options=SocketOptions(authorizer=allow)))
    with pytest.raises(Rejected) as refused:
        client.connect("guarded", headers={"Host": ""})
    assert (refused.value.status, refused.value.json(), calls) == (401, {"message": "Unauthorized"}, [])
    with client.connect("guarded"):
        assert calls == ["testserver"]
