"""The sides a parity test runs on: the Lambda entry behind API Gateway's sequencing
(``lambda_side``, moto for DynamoDB and the management API) and ``eventual local`` with real
clients (``local_side``). Each offers ``connect``, ``send``, ``disconnect``, ``expire``,
``failures`` and ``declare``; a test asserts one outcome for both. Tests marked ``lambda_only``
exercise what only the Lambda entry can meet (events the dev server never builds)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.parity.lambda_side import TABLE, LambdaSide
from tests.parity.local_side import LocalSide
from tests.tables import create_connections_table

SIDES = ["lambda", "local"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "lambda_only: a behaviour only the Lambda entry can meet")


@pytest.fixture(params=SIDES)
def side(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    if request.param == "local":
        local = LocalSide()
        yield local
        local.close()
        return
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        create_connections_table(dynamodb, TABLE)
        driver = LambdaSide(monkeypatch, dynamodb)
        yield driver
        driver.close()
