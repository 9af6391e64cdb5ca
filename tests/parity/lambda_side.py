"""The Lambda side of the parity suite: each socket's function entry (``eventual.runtime.handler``)
invoked with the events API Gateway sends, as API Gateway sequences them.

What API Gateway itself does around the functions is reproduced here, from its documentation:
the REQUEST authorizer runs before ``$connect`` and its context reaches every later event as
``requestContext.authorizer`` (stringified values, plus ``principalId``: "Controlling access to
WebSocket APIs with AWS Lambda REQUEST authorizers"); a message goes to the route the route
selection expression picks ("Route selection expressions"). DynamoDB and the management API are
moto's. A local side (``eventual local`` and a real client) offers the same methods.
"""

from __future__ import annotations

import importlib
import itertools
import json
import logging
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

import eventual.runtime.handler as handler
from eventual.deployment import set_process_default
from eventual.runtime import apigateway
from eventual.runtime.apigateway import Caller, reply_of
from eventual.runtime.connections import TTL_ATTRIBUTE
from eventual.runtime.environment import ENTRY_ENV, SERVICE_ENV, SOCKET_ENV, TABLE_ENV, URLS_ENV
from eventual.sockets import Socket, sockets_of
from tests.apigw_events import DEFAULT_HEADERS, STAGE

ENTRY = "tests.parity.service"
TABLE = "parity-connections"
URL = "https://abcd1234.execute-api.us-east-1.amazonaws.com/prod"


class Outcome:
    """What the client sees: the status (handshake or route response) and the message, if any."""

    def __init__(self, status: int, reply: str | bytes | None = None, connection_id: str = "") -> None:
        self.status, self.reply, self.connection_id = status, reply, connection_id

    def json(self) -> Any:
        assert self.reply is not None, f"no message (status {self.status})"
        return json.loads(self.reply)


class Logged(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


class LambdaSide:
    name = "lambda"

    def __init__(self, monkeypatch: pytest.MonkeyPatch, dynamodb: Any) -> None:
        self._env, self._dynamodb = monkeypatch, dynamodb
        self._ids = itertools.count(1)
        self._callers: dict[str, Caller] = {}
        self.log = Logged()
        logging.getLogger("eventual.runtime").addHandler(self.log)
        monkeypatch.setenv(SERVICE_ENV, "parity")
        monkeypatch.setenv(ENTRY_ENV, ENTRY)
        monkeypatch.setenv(TABLE_ENV, TABLE)
        urls = {
            name: {"wss": URL.replace("https", "wss"), "http": URL}
            for name in ("presence", "admin", "guarded", "gate", "orders")
        }
        monkeypatch.setenv(URLS_ENV, json.dumps(urls))

    def socket(self, name: str) -> Socket:
        importlib.import_module(ENTRY)
        return sockets_of(ENTRY)[name]

    def close(self) -> None:
        logging.getLogger("eventual.runtime").removeHandler(self.log)
        set_process_default(None)

    def invoke(self, socket: str, event: Any, entry: str = "handle") -> Any:
        """One invocation of the socket's function, as a fresh container would run it."""
        self._env.setenv(SOCKET_ENV, socket)
        self._env.setattr(handler, "_loaded", None)
        return getattr(handler, entry)(event, None)

    def connect(self, socket: str, query: dict[str, str] | None = None) -> Outcome:
        connection_id = f"Conn{next(self._ids):04d}="
        caller = Caller(connection_id, "192.0.2.1", "python-websockets/14.0", int(time.time() * 1000))
        ask = {"headers": DEFAULT_HEADERS.items(), "query": (query or {}).items(), "request_id": "ReqConn="}
        if self.socket(socket).options.authorizer is not None:
            try:
                answer = self.invoke(socket, apigateway.authorizer_event(STAGE, caller, **ask), "authorize")
            except Exception as error:  # API Gateway: 401 exactly for "Unauthorized", else 500
                return Outcome(401 if str(error) == "Unauthorized" else 500)
            if answer["policyDocument"]["Statement"][0]["Effect"] != "Allow":
                return Outcome(403)
            context = {k: v if isinstance(v, str) else json.dumps(v) for k, v in answer["context"].items()}
            identity = {**context, "principalId": answer["principalId"], "integrationLatency": 1}
            caller = Caller(connection_id, caller.source_ip, caller.user_agent, caller.connected_at, identity)
        response = self.invoke(socket, apigateway.connect_event(STAGE, caller, **ask))
        if response["statusCode"] < 300:
            self._callers[connection_id] = caller
        return Outcome(response["statusCode"], reply_of(response), connection_id)

    def send(self, socket: str, connection_id: str, body: str) -> Outcome:
        route = self.socket(socket).select_route(body)
        assert route is not None
        event = apigateway.message_event(
            STAGE,
            self._callers[connection_id],
            body,
            request_id="ReqMsg=",
            message_id="Msg=",
            at=int(time.time() * 1000),
            route_key=route,
        )
        response = self.invoke(socket, event)
        return Outcome(response["statusCode"], reply_of(response), connection_id)

    def disconnect(self, socket: str, connection_id: str) -> None:
        caller = self._callers.pop(connection_id)
        event = apigateway.disconnect_event(
            STAGE, caller, status_code=1000, reason="", request_id="ReqBye=", at=int(time.time() * 1000)
        )
        self.invoke(socket, event)

    def expire(self, socket: str, connection_id: str) -> None:
        """The connection's item outlives its TTL, not yet swept (a lost $disconnect)."""
        self._dynamodb.update_item(
            TableName=TABLE,
            Key={"socket": {"S": socket}, "connectionId": {"S": connection_id}},
            UpdateExpression="SET #ttl = :past",
            ExpressionAttributeNames={"#ttl": TTL_ATTRIBUTE},
            ExpressionAttributeValues={":past": {"N": str(int(time.time()) - 1)}},
        )

    def declare(self, directory: Path, source: str) -> str | None:
        """The cloud's side of a declaration is synth, which imports the entry (checks on):
        nothing else reaches Lambda."""
        return declare_entry(directory, source)

    def failures(self) -> list[dict[str, Any]]:
        """The function's failure log lines, each one JSON object."""
        return [json.loads(line) for line in self.log.lines]


def declare_entry(directory: Path, source: str) -> str | None:
    """Import an entry as synth and ``eventual local`` do (declaration checks on): what refuses it,
    or ``None``."""
    name = f"parity_entry_{abs(hash(source))}"
    (directory / f"{name}.py").write_text(textwrap.dedent(source))
    sys.path.insert(0, str(directory))
    try:
        importlib.import_module(name)
    except Exception as error:
        return f"{type(error).__name__}: {error}"
    finally:
        sys.modules.pop(name, None)
        sys.path.remove(str(directory))
    return None
