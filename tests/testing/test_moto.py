"""A handler's own AWS calls meet moto in the test that drives it through the test client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from eventual import Context, MessageRequest, socket
from eventual.testing import SocketTestClient


@pytest.fixture
def table() -> Iterator[Any]:
    with mock_aws():
        dynamodb = boto3.resource("dynamodb", region_name="us-east-1")
        yield dynamodb.create_table(
            TableName="notes",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )


def test_a_handler_writes_to_dynamodb_under_mock_aws(table: Any) -> None:
    def save(request: MessageRequest, context: Context) -> str:
        boto3.resource("dynamodb").Table("notes").put_item(
            Item={"id": request.connection_id, "text": request.body}
        )
        return "saved"

    with SocketTestClient(socket("notes", {"$default": save})).connect("notes") as ada:
        assert ada.send("remember me") == "saved"
    assert table.get_item(Key={"id": ada.connection_id})["Item"]["text"] == "remember me"
