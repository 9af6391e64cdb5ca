from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.loopback_api import LoopbackApi, loopback_api


@pytest.fixture
def loopback(monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackApi]:
    """A loopback management API serving the sockets ``chat`` and ``room``."""
    with loopback_api() as api:
        urls = {name: {"wss": "ws://unused", "http": api.url} for name in ("chat", "room")}
        monkeypatch.setenv("EVENTUAL_SOCKET_URLS", json.dumps(urls))
        yield api
