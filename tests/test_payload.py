"""Models out: ``send``, ``broadcast`` and handler return values take pydantic models and
dataclasses, encoded in pydantic's JSON mode by the one JSON encoder (eventual/payload.py)."""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
import uuid
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel

from eventual import Socket, route
from eventual.payload import json_dumps, payload_bytes
from eventual.socket_options import SocketOptions
from eventual.testing import SocketTestClient


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
