"""The failure log where Lambda formats logs as JSON: one flat object per failure, which
``eventual logs`` reads back as the socket, route, connection and error.

Lambda sets ``AWS_LAMBDA_LOG_FORMAT=JSON`` for a function whose log format is JSON (the construct's
default), and its Python runtime then formats each ``logging`` record as one JSON object:
``timestamp``, ``level``, ``message``, ``logger``, ``requestId`` (the invocation's), and the record's
``extra`` fields as keys of their own, the ones it writes itself winning ("Using Lambda advanced
logging controls with Python"). ``lambda_json_line`` below writes that shape, so the test can
follow the line the cloud would store from the runtime to the CLI.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from eventual.cli.log_lines import parse_message, render_text
from eventual.outputs import FunctionOwner
from eventual.runtime.dispatch import dispatch
from eventual.runtime.environment import LOG_FORMAT_ENV
from eventual.sockets import Socket
from tests.apigw_events import message_event
from tests.deployments import bare_deployment

DEPLOYMENT = bare_deployment("svc")
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("x", logging.INFO, "f", 1, "m", None, None))) | {
    "message"
}


class LambdaContext:
    aws_request_id = "8f507cfc-1111-4697-b07a-ac58fc914c95"


def boom(request: Any, context: Any) -> None:
    raise RuntimeError("secret detail\nsecond line")


def lambda_json_line(record: logging.LogRecord, request_id: str) -> str:
    """The line Lambda's JSON formatter writes for ``record`` (its shape, not its code)."""
    line: dict[str, Any] = {
        "timestamp": "2025-06-01T12:00:00.512Z",
        "level": record.levelname,
        "message": record.getMessage(),
        "logger": record.name,
        "requestId": request_id,
    }
    line.update((k, v) for k, v in vars(record).items() if k not in _RECORD_ATTRIBUTES and k not in line)
    return json.dumps(line)


def test_a_failure_is_one_flat_json_line_with_the_socket_route_connection_and_error(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(LOG_FORMAT_ENV, "JSON")
    failing = Socket("failing", {"$default": boom})
    with caplog.at_level(logging.ERROR, logger="eventual.runtime"):
        response = dispatch(
            failing,
            message_event("x", "Conn1=", request_id="Req9="),
            DEPLOYMENT,
            lambda_context=LambdaContext(),
        )
    assert response["statusCode"] == 500
    [record] = caplog.records
    assert record.getMessage() == "failing handler failed: RuntimeError: secret detail\nsecond line"
    line = json.loads(lambda_json_line(record, LambdaContext.aws_request_id))
    assert {
        k: line[k] for k in ("level", "requestId", "socket", "route", "connectionId", "apiRequestId")
    } == {
        "level": "ERROR",
        "requestId": LambdaContext.aws_request_id,  # the invocation's, written by Lambda
        "socket": "failing",
        "route": "$default",
        "connectionId": "Conn1=",
        "apiRequestId": "Req9=",  # API Gateway's, which Lambda's own requestId would hide
    }
    assert line["error"] == "RuntimeError: secret detail\nsecond line"
    assert "Traceback (most recent call last)" in line["traceback"]
    assert "awsRequestId" not in line  # the formatter's requestId says it


def test_eventual_logs_reads_that_line_as_the_failure_it_is(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(LOG_FORMAT_ENV, "JSON")
    failing = Socket("failing", {"$default": boom})
    with caplog.at_level(logging.ERROR, logger="eventual.runtime"):
        dispatch(failing, message_event("x", "Conn1="), DEPLOYMENT, lambda_context=LambdaContext())
    stored = lambda_json_line(caplog.records[0], LambdaContext.aws_request_id) + "\n"
    line = parse_message(
        stored,
        timestamp=1_748_779_200_512,
        stream="2025/06/01/svc-failing[$LATEST]0123456789abcdef",
        function="svc-failing",
        owner=FunctionOwner("failing", "socket"),
    )
    assert line.failure and line.socket == "failing"
    assert render_text(line).split("\n") == [
        "2025-06-01T12:00:00.512Z  failing  ERROR  [8f507cfc]  $default Conn1=: RuntimeError: secret detail"
    ]
    verbose = render_text(line, verbose=True).split("\n")
    assert verbose[1] == "    Traceback (most recent call last):"
    assert verbose[-1] == "    second line"


def test_elsewhere_the_message_is_the_record_as_json(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dev server, and a function whose options chose text logs."""
    monkeypatch.delenv(LOG_FORMAT_ENV, raising=False)
    failing = Socket("failing", {"$default": boom})
    with caplog.at_level(logging.ERROR, logger="eventual.runtime"):
        dispatch(failing, message_event("x", "Conn1=", request_id="Req9="), DEPLOYMENT)
    [record] = caplog.records
    logged = json.loads(record.getMessage())
    assert (logged["requestId"], logged["error"]) == ("Req9=", "RuntimeError: secret detail\nsecond line")
    assert not hasattr(record, "socket")
