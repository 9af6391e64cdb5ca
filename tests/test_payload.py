"""The one JSON encoder (eventual/payload.py) every path uses.

Strict JSON (issue 19, item 3): NaN and Infinity, which RFC 8259 has no syntax for and a browser's
``JSON.parse`` rejects, are refused like any value JSON cannot carry: a route response fails as
its handler failing does (the failure log line, API Gateway's 500 answer), and ``send``,
``broadcast`` and a fanned-out broadcast raise before anything is posted.

Models out (issue 22): ``send``, ``broadcast`` and handler return values take pydantic models and
dataclasses, encoded in pydantic's JSON mode by the same encoder.

What handlers send, as bytes, and API Gateway's 128 KB quota on it (``Socket.send``'s check).

The quota ("WebSocket message payload size", 128 KB: apigateway-execution-service-websocket-limits-
table) is written here as 131,072 bytes, never read from the code under test.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import logging
import math
import uuid
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel
from websockets.sync.client import connect

from eventual import ConnectRequest, Context, MessageRequest, Socket, route, socket
from eventual.errors import PayloadTooLarge
from eventual.local import DevServer
from eventual.payload import checked_payload, json_dumps, payload_bytes
from eventual.runtime.dispatch import dispatch
from eventual.socket_options import SocketOptions
from eventual.testing import Rejected, SocketTestClient
from tests.apigw_events import message_event
from tests.deployments import bare_deployment

NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (NAN, "cannot send nan as JSON (at the top)"),
        ({"avg": NAN}, "cannot send nan as JSON (at ['avg'])"),
        ([1, {"x": [2.5, -INF]}], "cannot send -inf as JSON (at [1]['x'][1])"),
        ({"t": (INF,)}, "cannot send inf as JSON (at ['t'][0])"),
    ],
)
def test_json_dumps_refuses_nan_and_infinity_saying_where(data: Any, message: str) -> None:
    with pytest.raises(ValueError) as refused:
        json_dumps(data)
    assert str(refused.value).startswith(message)
    assert "JSON has no NaN or Infinity" in str(refused.value)
    if isinstance(data, dict | list):  # what send() takes
        with pytest.raises(ValueError, match="JSON has no NaN"):
            checked_payload(data)


def test_json_dumps_is_compact_and_keeps_what_json_can_carry() -> None:
    big = 1.7976931348623157e308  # the largest finite double: JSON carries it
    assert json_dumps({"é": [1, 2.5, big, None, True]}) == '{"é":[1,2.5,1.7976931348623157e+308,null,true]}'
    with pytest.raises(TypeError, match="Object of type set is not JSON serializable"):
        json_dumps({"s": {1}})
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular reference detected"):
        json_dumps(loop)


attempts: list[str] = []


def numbers(request: MessageRequest, context: Context) -> Any:
    """``reply``: a NaN route response; ``send``/``broadcast``/``fan-out``: try to push Infinity,
    recording what happened, and reply ``done``."""
    command = request.body
    if command == "reply":
        return {"avg": math.nan}
    try:
        if command == "send":
            strict.send(request.connection_id, {"max": math.inf})
        elif command == "broadcast":
            strict.broadcast({"max": math.inf})
        elif command == "fan-out":
            strict.broadcast({"max": math.inf}, fan_out_above=0)
        attempts.append(f"{command}: sent")
    except ValueError as error:
        attempts.append(f"{command}: {error}")
    return "done"


def nan_identity(request: ConnectRequest) -> dict[str, Any]:
    return {"sub": "ada", "score": math.nan} if "nan" in request.query else {"sub": "ada"}


strict = socket("strict", {"$default": numbers}, track_connections=True, authorizer=nan_identity)


@pytest.fixture(autouse=True)
def fresh() -> None:
    attempts.clear()


def test_a_nan_route_response_is_a_failure_in_lambda(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        response = dispatch(strict, message_event("reply"), bare_deployment("s"))
    assert response["statusCode"] == 500
    assert json.loads(response["body"])["message"] == "Internal server error"
    [line] = [json.loads(r.getMessage()) for r in caplog.records if r.name == "eventual.runtime"]
    assert line["message"].startswith("strict handler failed: ValueError: cannot send nan as JSON")


def test_the_test_client_refuses_nan_and_infinity_everywhere(caplog: pytest.LogCaptureFixture) -> None:
    client = SocketTestClient(strict)
    with caplog.at_level(logging.ERROR), client.connect("strict") as ada:
        reply = json.loads(str(ada.send("reply")))
        assert reply["message"] == "Internal server error"
        for command in ("send", "broadcast", "fan-out"):
            assert ada.send(command) == "done"
        assert ada.messages == [json.dumps(reply, separators=(",", ":")), "done", "done", "done"]
    assert "strict handler failed: ValueError: cannot send nan as JSON (at ['avg'])" in caplog.text
    refused_inf = (
        "cannot send inf as JSON (at ['max']): JSON has no NaN or Infinity, and a browser's "
        "JSON.parse rejects a message holding them; send null or a string"
    )
    assert attempts == [f"{command}: {refused_inf}" for command in ("send", "broadcast", "fan-out")]
    assert client.fan_out.broadcasts == []  # nothing was queued
    with pytest.raises(Rejected) as refused:
        client.connect("strict", query={"nan": "1"})
    assert refused.value.status == 500
    assert "identity value 'score' is nan" in caplog.text


def test_the_dev_server_refuses_nan_and_infinity_everywhere() -> None:
    with DevServer("svc", {"strict": strict}, port=0) as server:
        with connect(server.socket_urls("strict")["wss"]) as ws:
            ws.send("reply")
            answer = ws.recv(timeout=5)
            assert "NaN" not in answer and json.loads(answer)["message"] == "Internal server error"
            for command in ("send", "broadcast", "fan-out"):
                ws.send(command)
                assert ws.recv(timeout=5) == "done"  # nothing else reached the client first
        with pytest.raises(Exception, match="HTTP 500"):
            connect(server.socket_urls("strict")["wss"] + "?nan=1")
    assert [attempt.split(" (")[0] for attempt in attempts] == [
        f"{command}: cannot send inf as JSON" for command in ("send", "broadcast", "fan-out")
    ]


class Said(BaseModel):
    sender: str
    text: str
    at: datetime.datetime
    id: uuid.UUID


@dataclasses.dataclass
class Score:
    points: Decimal
    said: Said | None = None


AT = datetime.datetime(2024, 5, 1, 12, 30, tzinfo=datetime.UTC)
ID = uuid.UUID("12345678-1234-5678-1234-567812345678")
SAID = Said(sender="ada", text="hi", at=AT, id=ID)
SAID_JSON = (
    '{"sender":"ada","text":"hi","at":"2024-05-01T12:30:00Z","id":"12345678-1234-5678-1234-567812345678"}'
)


def test_models_encode_in_pydantics_json_mode() -> None:
    assert payload_bytes(SAID) == SAID_JSON.encode()
    assert payload_bytes(Score(Decimal("1.50"), SAID)) == f'{{"points":"1.50","said":{SAID_JSON}}}'.encode()


def test_models_inside_dicts_and_lists_too() -> None:
    assert json_dumps({"said": [SAID], "n": 1}) == f'{{"said":[{SAID_JSON}],"n":1}}'


def test_what_is_no_json_and_no_model_is_still_refused() -> None:
    with pytest.raises(TypeError, match=r"cannot send set: send str, bytes, dict, list or a model"):
        payload_bytes({1, 2})
    with pytest.raises(TypeError, match="Object of type object is not JSON serializable"):
        json_dumps({"x": object()})
    with pytest.raises(TypeError, match="cannot send ModelMetaclass"):
        payload_bytes(Said)  # the class, not an instance


def test_a_model_meets_the_encoders_rule_for_nan_as_a_dict_does() -> None:
    """pydantic alone would write NaN as ``null``; the model step hands the float to the encoder,
    so a model and a dict with the same value get the same outcome, whatever that rule is."""

    @dataclasses.dataclass
    class Reading:
        value: float

    for value in (math.nan, math.inf, -math.inf):
        as_dict: Any
        as_model: Any
        try:
            as_dict = payload_bytes({"value": value})
        except ValueError as error:
            as_dict = str(error)
        try:
            as_model = payload_bytes(Reading(value))
        except ValueError as error:
            as_model = str(error)
        assert as_model == as_dict
        assert b"null" not in (as_model if isinstance(as_model, bytes) else b"")


def test_send_broadcast_and_return_values_take_models() -> None:
    def on_message(request: Any, context: dict[str, Any]) -> Said:
        room.send(request.connection_id, Score(Decimal(3)))
        room.broadcast(SAID, exclude=request.connection_id)
        return SAID

    room = Socket(
        "room",
        {"$default": route(on_message, reply=Said)},
        pushes=[Said, Score],
        options=SocketOptions(track_connections=True),
    )
    with SocketTestClient(room) as client, client.connect("room") as ada, client.connect("room") as bob:
        assert ada.send("go") == SAID_JSON
        assert ada.received == ['{"points":"3","said":null}']
        assert [json.loads(m) for m in bob.received] == [json.loads(SAID_JSON)]


QUOTA = 131_072


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("héllo", "héllo".encode()),
        (b"\xff\x00", b"\xff\x00"),
        (bytearray(b"ab"), b"ab"),
        (memoryview(b"cd"), b"cd"),
        ({"a": [1, "é"]}, '{"a":[1,"é"]}'.encode()),  # compact, UTF-8 as is
        ([], b"[]"),
    ],
)
def test_payload_bytes(data: Any, expected: bytes) -> None:
    assert payload_bytes(data) == expected


def test_anything_else_is_refused_by_name() -> None:
    with pytest.raises(TypeError) as refused:
        payload_bytes(3)
    assert str(refused.value) == (
        "cannot send int: send str, bytes, dict, list or a model (a pydantic model or dataclass instance)"
    )


@pytest.mark.parametrize(
    "data",
    ["x" * QUOTA, "é" * (QUOTA // 2), b"\xff" * QUOTA, {"k": "x" * (QUOTA - len('{"k":""}'))}],
    ids=["ascii", "utf-8", "bytes", "json"],
)
def test_exactly_128_kb_may_be_sent(data: Any) -> None:
    assert len(checked_payload(data)) == QUOTA


@pytest.mark.parametrize(
    "data",
    ["x" * (QUOTA + 1), "é" * (QUOTA // 2) + "x", b"\xff" * (QUOTA + 1), {"k": "x" * (QUOTA - 7)}],
    ids=["ascii", "utf-8", "bytes", "json"],
)
def test_one_byte_more_is_refused_before_any_call(data: Any) -> None:
    with pytest.raises(PayloadTooLarge) as refused:
        checked_payload(data)
    assert str(refused.value) == (
        "message of 131073 bytes exceeds API Gateway's WebSocket limit of 131072 bytes (128 KB)"
    )


def test_json_dumps_is_compact_and_keeps_unicode() -> None:
    assert json_dumps({"a": 1, "b": ["é", None]}) == '{"a":1,"b":["é",null]}'
