"""The runtime as Lambda runs it: a function's environment, and the deployment built from it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from eventual.deployment import Deployment
from eventual.runtime.environment import SERVICE_ENV, TABLE_ENV, URLS_ENV, deployment_from
from tests.loopback_api import LoopbackApi, loopback_api
from tests.tables import create_connections_table


@pytest.fixture
def environ() -> dict[str, str]:
    """The function's environment variables, as the Service construct sets them; fixtures add more."""
    return {SERVICE_ENV: "svc"}


TABLE = "my-service-connections"


@pytest.fixture
def table(environ: dict[str, str]) -> Iterator[Any]:
    """The service's connections table (moto), named in ``environ``; moto stays on for the test."""
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        create_connections_table(dynamodb, TABLE)
        environ[TABLE_ENV] = TABLE
        yield dynamodb


@pytest.fixture
def deployment(environ: dict[str, str]) -> Iterator[Deployment]:
    """The deployment Lambda builds from ``environ``, current for the test as during an event.

    Tests list it after the fixtures that fill ``environ`` (``loopback``, ``table``), which pytest
    then sets up first.
    """
    with deployment_from(environ).activate() as current:
        yield current


@pytest.fixture
def loopback(environ: dict[str, str]) -> Iterator[LoopbackApi]:
    """A loopback management API serving the sockets ``chat`` and ``room``."""
    with loopback_api() as api:
        urls = {name: {"wss": "ws://unused", "http": api.url} for name in ("chat", "room")}
        environ[URLS_ENV] = json.dumps(urls)
        yield api
