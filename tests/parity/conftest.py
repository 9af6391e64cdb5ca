"""The sides a parity test runs on. Each offers ``connect``, ``send``, ``disconnect``, ``expire``,
``failures`` and ``declare`` (see ``lambda_side.LambdaSide``); a test asserts one outcome for all.

To add the dev server: a ``LocalSide`` driving ``eventual local`` with a real client, and
``"local"`` in ``SIDES``. Tests marked ``lambda_only`` exercise what only the Lambda entry can
meet (events the dev server never builds)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.parity.lambda_side import TABLE, LambdaSide
from tests.tables import create_connections_table

SIDES = ["lambda"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "lambda_only: a behaviour only the Lambda entry can meet")


@pytest.fixture(params=SIDES)
def side(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        create_connections_table(dynamodb, TABLE)
        driver = LambdaSide(monkeypatch, dynamodb)
        yield driver
        driver.close()
