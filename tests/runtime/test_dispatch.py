from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest

from eventual import SocketResponse, socket
from eventual.deployment import remaining_ms
from eventual.runtime.apigateway import MalformedEvent
from eventual.runtime.connections import InMemoryConnectionStore
from eventual.runtime.dispatch import dispatch, dispatch_async, log_failure, refuse
from tests.apigw_events import connect_event, disconnect_event, message_event
from tests.deployments import bare_deployment

DEPLOYMENT = bare_deployment("svc")


def boom(request: Any, context: Any) -> None:
    raise RuntimeError("secret detail")


def test_default_failure_answers_like_api_gateway_and_logs_one_line(caplog: pytest.LogCaptureFixture) -> None:
    failing = socket("failing", {"$default": boom})
    with caplog.at_level(logging.ERROR, logger="eventual.runtime"):
        response = dispatch(failing, message_event("x", "Conn1=", request_id="Req9="), DEPLOYMENT)
    assert response["statusCode"] == 500
    assert json.loads(response["body"]) == {
        "message": "Internal server error",
        "connectionId": "Conn1=",
        "requestId": "Req9=",
    }
    assert "secret detail" not in response["body"] and "Traceback" not in response["body"]

    [record] = caplog.records
    line = record.getMessage()
    assert "\n" not in line
    logged = json.loads(line)
    assert logged["connectionId"] == "Conn1="
    assert logged["route"] == "$default"
    assert logged["requestId"] == "Req9="
    assert logged["socket"] == "failing"
    assert "RuntimeError: secret detail" in logged["traceback"]
    assert "Traceback (most recent call last)" in logged["traceback"]


def test_connect_failure_rejects_with_500(caplog: pytest.LogCaptureFixture) -> None:
    failing = socket("failing", {"$connect": boom})
    assert dispatch(failing, connect_event(), DEPLOYMENT)["statusCode"] == 500
    assert "secret detail" in caplog.text


def test_unserialisable_result_is_a_logged_500(caplog: pytest.LogCaptureFixture) -> None:
    odd = socket("odd", {"$default": lambda request, context: object()})
    assert dispatch(odd, message_event("x"), DEPLOYMENT)["statusCode"] == 500
    assert "TypeError" in caplog.text


def test_context_carries_socket_and_service() -> None:
    seen = socket("seen", {"$default": lambda request, context: dict(context)})
    body = json.loads(dispatch(seen, message_event("x"), DEPLOYMENT)["body"])
    assert body == {"socket": "seen", "service": "svc"}


def test_context_is_fresh_per_event() -> None:
    def mutate(request: Any, context: dict[str, Any]) -> Any:
        context.setdefault("count", 0)
        context["count"] += 1
        return str(context["count"])

    counter = socket("counter", {"$default": mutate})
    assert [dispatch(counter, message_event("x"), DEPLOYMENT)["body"] for _ in range(2)] == ["1", "1"]


def test_lambda_request_id_reaches_the_failure_log(caplog: pytest.LogCaptureFixture) -> None:
    class LambdaContext:
        aws_request_id = "lambda-req-42"

    failing = socket("failing", {"$default": boom})
    dispatch(failing, message_event("x"), DEPLOYMENT, lambda_context=LambdaContext())
    assert json.loads(caplog.records[0].getMessage())["awsRequestId"] == "lambda-req-42"


# -- which step failed ---------------------------------------------------------------------------


def require_token(request: Any, context: Any, next: Any) -> Any:
    raise PermissionError("no token")


def passes(request: Any, context: Any, next: Any) -> Any:
    return next()


def rewraps(request: Any, context: Any, next: Any) -> Any:
    try:
        return next()
    except RuntimeError as error:
        raise ValueError("wrapped") from error


async def async_passes(request: Any, context: Any, next: Any) -> Any:
    return await next()


def failure_logged(sock: Any, caplog: pytest.LogCaptureFixture) -> dict[str, Any]:
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="eventual.runtime"):
        assert dispatch(sock, message_event("x"), DEPLOYMENT)["statusCode"] == 500
    [record] = caplog.records
    return json.loads(record.getMessage())  # type: ignore[no-any-return]


def test_a_failing_middleware_is_named_not_the_handler(caplog: pytest.LogCaptureFixture) -> None:
    guarded = socket.use(passes).use(require_token).socket("guarded", {"$default": boom})
    logged = failure_logged(guarded, caplog)
    assert logged["message"] == "guarded middleware require_token failed: PermissionError: no token"
    assert logged["failed"] == "middleware"
    assert logged["function"] == f"require_token ({__file__}:{require_token.__code__.co_firstlineno})"


@pytest.mark.parametrize("outer", [passes, async_passes])
def test_a_handler_failing_under_middleware_is_named(outer: Any, caplog: pytest.LogCaptureFixture) -> None:
    sock = socket.use(outer).socket("handled", {"$default": boom})
    logged = failure_logged(sock, caplog)
    assert logged["message"] == "handled handler failed: RuntimeError: secret detail"
    assert logged["failed"] == "handler"
    assert logged["function"] == f"boom ({__file__}:{boom.__code__.co_firstlineno})"


def test_a_middleware_raising_its_own_error_is_the_culprit(caplog: pytest.LogCaptureFixture) -> None:
    sock = socket.use(rewraps).socket("rewrapping", {"$default": boom})
    logged = failure_logged(sock, caplog)
    assert logged["message"] == "rewrapping middleware rewraps failed: ValueError: wrapped"


# -- events API Gateway would not send -----------------------------------------------------------


def refusal_logged(sock: Any, event: Any, caplog: pytest.LogCaptureFixture) -> tuple[Any, dict[str, Any]]:
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="eventual.runtime"):
        response = dispatch(sock, event, DEPLOYMENT, lambda_context=LambdaContext())
    [record] = caplog.records
    line = record.getMessage()
    assert "\n" not in line
    return response, json.loads(line)


class LambdaContext:
    aws_request_id = "lambda-req-7"


def test_a_malformed_event_runs_nothing_and_is_one_log_line(caplog: pytest.LogCaptureFixture) -> None:
    ran: list[object] = []
    sock = socket("strict", {"$default": lambda request, context: ran.append(request)})
    event = message_event("x", "Conn1=", request_id="Req1=")
    del event["requestContext"]["routeKey"]
    response, logged = refusal_logged(sock, event, caplog)
    assert ran == []  # not run as $default
    assert response == {
        "statusCode": 500,
        "body": '{"message":"Internal server error","connectionId":"Conn1=","requestId":"Req1="}',
    }
    problem = "requestContext.routeKey is missing; API Gateway sends a non-empty string"
    assert logged == {
        "level": "ERROR",
        "message": f"strict refused a malformed event: {problem}",
        "socket": "strict",
        "problem": problem,
        "response": response,
        "route": None,
        "connectionId": "Conn1=",
        "requestId": "Req1=",
        "awsRequestId": "lambda-req-7",
    }


@pytest.mark.parametrize(
    "event", [None, [], {}, {"requestContext": None}, {"requestContext": {"connectionId": 5}}]
)
def test_an_event_without_ids_is_answered_with_empty_ones(
    event: Any, caplog: pytest.LogCaptureFixture
) -> None:
    response, logged = refusal_logged(socket("strict", {}), event, caplog)
    assert json.loads(response["body"]) == {
        "message": "Internal server error",
        "connectionId": "",
        "requestId": "",
    }
    assert logged["connectionId"] is None


def test_a_route_the_socket_does_not_declare_is_not_run_as_default(caplog: pytest.LogCaptureFixture) -> None:
    ran: list[object] = []
    sock = socket("routed", {"join": lambda r, c: ran.append(r), "$default": lambda r, c: ran.append(r)})
    response, logged = refusal_logged(sock, message_event("{}", route_key="leave"), caplog)
    assert ran == [] and response["statusCode"] == 500
    assert logged["problem"] == (
        "routeKey 'leave' is not a route of socket 'routed' (its message routes: join): the deployed "
        "API and this code differ; deploy again"
    )


def test_dispatch_async_awaits_on_the_running_loop_like_dispatch(caplog: pytest.LogCaptureFixture) -> None:
    """The dev server's path for ``async def`` handlers answers exactly as ``dispatch`` does."""
    import asyncio

    from eventual.deployment import current_deployment
    from eventual.runtime.dispatch import dispatch_async

    async def handler(request: Any, context: Any) -> str:
        await asyncio.sleep(0)
        return f"{request.body} in {current_deployment().service}"

    async def failing(request: Any, context: Any) -> None:
        raise RuntimeError("async secret")

    answers = socket("answers", {"$default": handler})
    fails = socket("fails", {"$default": failing})
    sync = socket("sync", {"$default": lambda request, context: "plain"})
    event = message_event("x", "Conn1=", request_id="Req9=")

    async def run() -> list[dict[str, Any]]:
        return [dict(await dispatch_async(s, event, DEPLOYMENT)) for s in (answers, fails, sync)]

    ok, failed, plain = asyncio.run(run())
    assert ok == dict(dispatch(answers, event, DEPLOYMENT)) == {"statusCode": 200, "body": "x in svc"}
    assert failed == dict(dispatch(fails, event, DEPLOYMENT))
    assert failed["statusCode"] == 500 and "async secret" in caplog.text
    assert plain == {"statusCode": 200, "body": "plain"}


# -- tracking, Lambda's clock, the refusals: held to literal results (docs/mutation.md) ---------


class _LambdaContext:
    aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"

    def get_remaining_time_in_millis(self) -> int:
        return 4_321


def _tracked() -> tuple[Any, Any]:
    def refuse_bob(request: Any, context: Any) -> Any:
        refusals = {"bob": 403, "carol": 300}  # API Gateway accepts a 2xx only
        status = refusals.get(request.query.get("user", ""))
        return SocketResponse(status) if status else None

    seen: list[list[str]] = []

    def gone(request: Any, context: Any) -> None:
        seen.append([r["connectionId"] for r in room.connections()])

    room = socket("room", {"$connect": refuse_bob, "$disconnect": gone}, track_connections=True)
    return room, seen


def test_an_accepted_connect_is_tracked_with_its_identity_and_api_gateways_time() -> None:
    room, seen = _tracked()
    deployment = bare_deployment("svc", InMemoryConnectionStore())
    accepted = connect_event("Ada=", query={"user": "ada"})
    accepted["requestContext"]["authorizer"] = {"principalId": "ada", "integrationLatency": 12}
    assert dispatch(room, accepted, deployment) == {"statusCode": 200}
    assert dispatch(room, connect_event("Bob=", query={"user": "bob"}), deployment) == {"statusCode": 403}
    assert dispatch(room, connect_event("Carol=", query={"user": "carol"}), deployment) == {"statusCode": 300}
    assert dispatch(room, message_event("hi", "Cid="), deployment)["statusCode"] == 200
    with deployment.activate():
        assert list(room.connections()) == [
            {"connectionId": "Ada=", "identity": {"principalId": "ada"}, "connectedAt": 1707502303419}
        ]
    dispatch(room, disconnect_event("Ada="), deployment)
    assert seen == [[]]  # forgotten before its $disconnect handler ran


def test_an_untracked_socket_touches_no_store() -> None:
    plain = socket("plain", {})
    assert dispatch(plain, connect_event("Ada="), DEPLOYMENT) == {"statusCode": 200}  # no store here
    assert dispatch(plain, disconnect_event("Ada="), DEPLOYMENT) == {"statusCode": 200}


def test_lambdas_clock_reaches_the_handler() -> None:
    clock = socket("clock", {"$default": lambda request, context: str(remaining_ms()())})  # type: ignore[misc]
    reply = dispatch(clock, message_event("x"), DEPLOYMENT, lambda_context=_LambdaContext())
    assert reply == {"statusCode": 200, "body": "4321"}
    unclocked = socket("unclocked", {"$default": lambda request, context: str(remaining_ms())})
    assert dispatch(unclocked, message_event("x"), DEPLOYMENT) == {"statusCode": 200, "body": "None"}


@pytest.mark.parametrize(("routes", "named"), [({}, "none"), ({"a": boom, "b": boom}, "a, b")])
def test_an_undeclared_route_is_refused_naming_the_routes(
    routes: dict[str, Any], named: str, caplog: pytest.LogCaptureFixture
) -> None:
    sock = socket("routed", routes)
    event = message_event("x", "Conn1=", route_key="nope", request_id="Req9=")
    with caplog.at_level(logging.ERROR, logger="eventual.runtime"):
        answer = dispatch(sock, event, DEPLOYMENT)
        answered_async = asyncio.run(dispatch_async(sock, event, DEPLOYMENT))
    expected_body = {"message": "Internal server error", "connectionId": "Conn1=", "requestId": "Req9="}
    assert answer == answered_async
    assert json.loads(answer["body"]) == expected_body
    problems = [json.loads(r.getMessage()) for r in caplog.records]
    assert [(p["connectionId"], p["requestId"]) for p in problems] == [("Conn1=", "Req9=")] * 2
    assert problems[0]["problem"] == (
        f"routeKey 'nope' is not a route of socket 'routed' (its message routes: {named}): the "
        "deployed API and this code differ; deploy again"
    )


def test_refuse_and_log_failure_pass_on_what_the_caller_says(caplog: pytest.LogCaptureFixture) -> None:
    sock = socket("said", {})
    answer = {"statusCode": 500, "body": '{"message":null}'}
    with caplog.at_level(logging.ERROR, logger="eventual.runtime"):
        assert refuse(sock, {}, MalformedEvent("bad"), response=answer) is answer
        log_failure(sock, connect_event(), RuntimeError("no"), what="authorizer")
    refused, failed = (json.loads(r.getMessage()) for r in caplog.records)
    assert refused["response"] == answer
    assert (failed["failed"], failed["message"]) == ("authorizer", "said authorizer failed: RuntimeError: no")
