"""The example service (examples/service.py, examples/chat.py) through eventual's test client."""

from __future__ import annotations

import pytest

from eventual.testing import SocketTestClient


@pytest.fixture
def client() -> SocketTestClient:
    """A test client of the example's entry, as ``[tool.eventual]`` names it."""
    return SocketTestClient("examples.service", service="my-service")
