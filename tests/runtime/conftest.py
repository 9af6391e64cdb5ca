"""The runtime as Lambda runs it: a function's environment, and the deployment built from it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from eventual.deployment import Deployment
from eventual.runtime.environment import SERVICE_ENV, URLS_ENV, deployment_from
from tests.loopback_api import LoopbackApi, loopback_api


@pytest.fixture
def environ() -> dict[str, str]:
    """The function's environment variables, as the Service construct sets them; fixtures add more."""
    return {SERVICE_ENV: "svc"}


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
