from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

import eventual.runtime.handler as handler
from eventual import ConnectRequest, Forbidden, Socket, Unauthorized, socket
from eventual.deployment import Deployment
from eventual.runtime.authorizer import GatewayRefusal, authorize, gateway_context, missing_identity_source
from eventual.runtime.management import ManagementClient
from eventual.sockets import SocketOptions
from tests.apigw_events import authorizer_event, sized_authorizer


def token_authorizer(request: ConnectRequest) -> dict[str, Any] | None:
    token = request.query.get("token") or request.headers.get("authorization", "").removeprefix("Bearer ")
    if token == "banned":
        raise Forbidden("banned user")
    if token not in ("ada", "bob"):
        return None
    return {"principalId": token, "name": token.title(), "admin": token == "ada", "level": 3}


def connect_request(**query: str) -> ConnectRequest:
    return ConnectRequest("C1=", query, {})


def test_a_dict_allows_and_is_the_identity() -> None:
    room = socket("room", {}, authorizer=token_authorizer)
    assert authorize(room, connect_request(token="ada")) == {
        "principalId": "ada",
        "name": "Ada",
        "admin": True,
        "level": 3,
    }


def test_none_is_401_and_forbidden_is_403() -> None:
    room = socket("room", {}, authorizer=token_authorizer)
    with pytest.raises(Unauthorized) as unauthorized:
        authorize(room, connect_request())
    assert unauthorized.value.status == 401
    with pytest.raises(Forbidden) as forbidden:
        authorize(room, connect_request(token="banned"))
    assert forbidden.value.status == 403


def test_async_authorizer() -> None:
    async def slow(request: ConnectRequest) -> dict[str, str]:
        await asyncio.sleep(0)
        return {"user": "async"}

    room = socket("room", {}, authorizer=slow)
    assert authorize(room, connect_request()) == {"user": "async"}


@pytest.mark.parametrize(
    ("identity", "match"),
    [({"roles": ["a"]}, "'roles' is list"), ("ada", "returns a dict"), ({"n": None}, "'n' is NoneType")],
)
def test_identity_must_fit_api_gateway_context(identity: Any, match: str) -> None:
    room = socket("room", {}, authorizer=lambda request: identity)
    with pytest.raises(TypeError, match=match):
        authorize(room, connect_request())


def test_no_authorizer_allows_with_an_empty_identity() -> None:
    assert authorize(socket("open", {}), connect_request()) == {}


def test_authorizer_must_be_callable() -> None:
    with pytest.raises(TypeError, match="authorizer must be callable"):
        socket("room", {}, authorizer="nope")  # type: ignore[arg-type]


@pytest.fixture
def lambda_authorizer(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    room = socket("room", {}, authorizer=token_authorizer)
    monkeypatch.setattr(handler, "_loaded", (room, Deployment("svc", {}, management=ManagementClient)))
    yield


@pytest.mark.usefixtures("lambda_authorizer")
def test_lambda_authorizer_allows_with_a_policy_carrying_the_identity() -> None:
    event = authorizer_event(headers={"Authorization": "Bearer bob"})
    answer = handler.authorize(event, None)
    assert answer["principalId"] == "bob"
    assert answer["context"] == {"principalId": "bob", "name": "Bob", "admin": False, "level": 3}
    [statement] = answer["policyDocument"]["Statement"]
    assert statement == {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}


@pytest.mark.usefixtures("lambda_authorizer")
def test_lambda_authorizer_denies_403_with_a_deny_policy() -> None:
    answer = handler.authorize(authorizer_event(query={"token": "banned"}), None)
    assert answer["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert "context" not in answer


@pytest.mark.usefixtures("lambda_authorizer")
def test_lambda_authorizer_signals_401_the_way_api_gateway_expects() -> None:
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        handler.authorize(authorizer_event(query={"token": "eve"}), None)


@pytest.mark.usefixtures("lambda_authorizer")
@pytest.mark.parametrize(
    ("mangle", "problem"),
    [
        (lambda e: e.pop("requestContext"), "requestContext is missing"),
        (
            lambda e: e["requestContext"].update(routeKey="$default", eventType="MESSAGE"),
            "route is '$connect'",
        ),
    ],
)
def test_a_malformed_authorizer_event_is_one_log_line_and_a_500(
    mangle: Any, problem: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Not "Unauthorized" (a 401 the client would take for bad credentials): API Gateway answers
    an authorizer's failure with 500, and the log line says what was wrong."""
    event = authorizer_event(headers={"Authorization": "Bearer bob"})
    mangle(event)
    with pytest.raises(Exception, match=r"^Internal server error$"):
        handler.authorize(event, None)
    [record] = caplog.records
    logged = json.loads(record.getMessage())
    assert problem in logged["problem"]
    assert logged["response"] == {"statusCode": 500, "body": '{"message":null}'}


# -- identity sources: what API Gateway checks before it invokes the authorizer -------------------


def counting_socket(name: str) -> tuple[Socket, list[str]]:
    """A socket whose authorizer allows everyone and records each call."""
    calls: list[str] = []

    def allow(request: ConnectRequest) -> dict[str, Any]:
        calls.append(request.connection_id)
        return {"principalId": "anyone"}

    return Socket(name, {}, options=SocketOptions(authorizer=allow)), calls


@pytest.mark.parametrize(
    ("headers", "allowed"),
    [
        ({}, True),  # the documented example's Host
        ({"Host": "ws.example.com"}, True),  # a custom domain's
        ({"Host": ""}, False),
    ],
)
def test_by_default_the_authorizer_runs_on_every_handshake_with_a_host(
    headers: dict[str, str], allowed: bool
) -> None:
    """Issue 19 item 13: the default identity source is ``route.request.header.Host``, which every
    handshake carries; one without it is refused 401 before the authorizer runs, as in the cloud."""
    guarded, calls = counting_socket("guarded")
    event = authorizer_event(headers=headers)
    if allowed:
        assert gateway_context(guarded, event)["principalId"] == "anyone"
        assert calls == ["Ab1Cd2Ef3Gh="]
        return
    with pytest.raises(GatewayRefusal) as refused:
        gateway_context(guarded, event)
    assert (refused.value.status, refused.value.body) == (401, {"message": "Unauthorized"})
    assert calls == []


@pytest.mark.parametrize(
    ("sources", "headers", "query", "missing"),
    [
        (["route.request.querystring.token"], {}, {"token": "t"}, None),
        (["route.request.querystring.token"], {}, {}, "route.request.querystring.token"),
        (["route.request.querystring.token"], {}, {"token": ""}, "route.request.querystring.token"),
        (["route.request.querystring.token"], {}, {"Token": "t"}, "route.request.querystring.token"),
        (["route.request.header.X-Key"], {"x-key": "k"}, {}, None),  # header names: any case
        (
            ["route.request.header.X-Key", "route.request.querystring.t"],
            {"X-Key": "k"},
            {},
            "route.request.querystring.t",
        ),
        (["context.connectionId"], {}, {}, None),
        (["context.identity.sourceIp"], {}, {}, None),
        (["context.nope"], {}, {}, "context.nope"),
        (["stageVariables.v"], {}, {}, "stageVariables.v"),
    ],
)
def test_an_event_without_one_of_the_identity_sources_names_it(
    sources: list[str], headers: dict[str, str], query: dict[str, str], missing: str | None
) -> None:
    event = authorizer_event(headers=headers, query=query)
    assert missing_identity_source(sources, event) == missing
    guarded, calls = counting_socket("guarded")
    if missing is None:
        gateway_context(guarded, event, sources)
        assert len(calls) == 1
    else:
        with pytest.raises(GatewayRefusal):
            gateway_context(guarded, event, sources)
        assert calls == []


# -- the authorizer's result: at most 8 KB -----------------------------------------------------


@pytest.fixture
def sized_lambda_authorizer(monkeypatch: pytest.MonkeyPatch) -> None:
    sized = Socket("sized", {}, options=SocketOptions(authorizer=sized_authorizer))
    monkeypatch.setattr(handler, "_loaded", (sized, Deployment("svc", {}, management=ManagementClient)))


@pytest.mark.usefixtures("sized_lambda_authorizer")
def test_the_lambda_authorizer_answers_up_to_8_kb_and_fails_past_it_saying_why(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Issue 19 item 8: "AWS Lambda authorizer result size: 8 KB" (WebSocket quotas). API Gateway
    refuses a larger answer with 500 and logs nothing the user sees; the function now fails as it
    would, with a log line that says why."""
    answer = handler.authorize(authorizer_event(query={"size": "8192"}), None)
    assert len(json.dumps(answer, ensure_ascii=False).encode()) == 8192
    assert answer["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    assert caplog.records == []
    with pytest.raises(Exception, match=r"^Internal server error$"):
        handler.authorize(authorizer_event(query={"size": "8193"}), None)
    [record] = caplog.records
    logged = json.loads(record.getMessage())
    assert logged["message"].startswith("sized authorizer failed: AuthorizerResultTooLarge: its result")
    assert "8193 bytes" in logged["message"] and "8192 at most" in logged["message"]


@pytest.mark.parametrize(("size", "allowed"), [(8192, True), (8193, False)])
def test_api_gateways_decision_takes_a_result_of_8_kb_and_refuses_a_larger_with_500(
    size: int, allowed: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """The decision the dev server and the test client make (:func:`gateway_context`)."""
    sized = Socket("sized", {}, options=SocketOptions(authorizer=sized_authorizer))
    event = authorizer_event(query={"size": str(size)})
    if allowed:
        assert gateway_context(sized, event)["principalId"] == "ada"
        return
    with pytest.raises(GatewayRefusal) as refused:
        gateway_context(sized, event)
    assert (refused.value.status, refused.value.body) == (500, {"message": None})
    assert refused.value.error_type == "AuthorizerConfigurationException"
    assert "AuthorizerResultTooLarge" in caplog.text
