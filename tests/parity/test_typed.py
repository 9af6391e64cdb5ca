"""Typed messages (issue 22): a message its route's type refuses gets the documented error as the
route response, the connection stays open, and a valid one reaches the handler, on the Lambda
entry, ``eventual local`` with a real client and the test client alike.

API Gateway passes a route's integration response to the client as the route response ("Set up
route responses for WebSocket APIs in API Gateway"); route selection reads the raw body first
("Route selection expressions"), so an invalid order is still the ``order`` route's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from eventual.testing import SocketTestClient
from tests.parity.lambda_side import Outcome
from tests.parity.service import orders


class ClientSide:
    """The test client, with the parity sides' ``connect`` and ``send``."""

    name = "testing"

    def __init__(self) -> None:
        self.client = SocketTestClient(orders)
        self.connections: dict[str, Any] = {}

    def connect(self, socket: str, query: dict[str, str] | None = None) -> Outcome:
        conn = self.client.connect(socket, query)
        self.connections[conn.connection_id] = conn
        return Outcome(200, None, conn.connection_id)

    def send(self, socket: str, connection_id: str, body: str) -> Outcome:
        conn = self.connections[connection_id]
        reply = conn.send(body)
        status = 500 if isinstance(reply, str) and '"Internal server error"' in reply else 200
        return Outcome(status if conn.open else 0, reply, connection_id)

    def close(self) -> None:
        self.client.close()


@pytest.fixture
def client_side() -> Iterator[ClientSide]:
    side = ClientSide()
    yield side
    side.close()


INVALID = '{"action": "order", "item": "", "qty": 11}'
EXPECTED_ERRORS = [
    {"location": ["item"], "message": "String should have at least 1 character", "type": "string_too_short"},
    {"location": ["qty"], "message": "Input should be less than or equal to 10", "type": "less_than_equal"},
]


def check_typed_orders(side: Any) -> None:
    conn = side.connect("orders")
    assert conn.status == 200
    refused = side.send("orders", conn.connection_id, INVALID)
    error = refused.json()
    assert refused.status in (200, 400)  # a client sees the body, not the status (local's reads 200)
    assert error == {
        "message": "Invalid message",
        "route": "order",
        "errors": EXPECTED_ERRORS,
        "connectionId": conn.connection_id,
        "requestId": error["requestId"],
    }
    assert isinstance(error["requestId"], str) and error["requestId"]
    # The connection is still open: a valid order on it reaches the handler, its model reply as JSON.
    placed = side.send("orders", conn.connection_id, '{"action": "order", "item": "tea", "qty": 10}')
    assert placed.json() == {"item": "tea", "qty": 10, "by": conn.connection_id}
    # Not JSON: API Gateway's $default, untyped here, whatever the order route's type.
    assert side.send("orders", conn.connection_id, '{"action": "order", "qty": ').reply == "send an order"


def test_an_invalid_message_gets_the_documented_error_and_the_connection_stays_open(side: Any) -> None:
    """The Lambda entry and ``eventual local`` (conftest.SIDES)."""
    check_typed_orders(side)


def test_the_test_client_answers_it_the_same(client_side: ClientSide) -> None:
    check_typed_orders(client_side)


def test_the_lambda_status_is_400_and_the_body_is_json() -> None:
    """What the function returns: a 400 whose body is the error, never base64."""
    from eventual.runtime.dispatch import dispatch
    from tests.apigw_events import message_event
    from tests.deployments import bare_deployment

    response = dispatch(orders, message_event(INVALID, route_key="order"), bare_deployment("parity"))
    assert response["statusCode"] == 400 and "isBase64Encoded" not in response
    assert json.loads(response["body"])["errors"] == EXPECTED_ERRORS
