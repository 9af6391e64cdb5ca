from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from eventual import socket
from eventual.runtime.dispatch import dispatch
from tests.apigw_events import connect_event, message_event
from tests.deployments import bare_deployment

pytestmark = pytest.mark.usefixtures("socket_registry")

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
