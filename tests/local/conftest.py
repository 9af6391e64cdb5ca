"""An in-process dev server serving tests/local/services.py, shared by a test module."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.sync.client import ClientConnection

from eventual.local import DevServer, Limits
from eventual.sockets import sockets_of
from tests.local import services


@pytest.fixture(scope="module")
def server() -> Iterator[DevServer]:
    with DevServer(
        "local-tests", sockets_of(services.__name__), port=0, limits=Limits(close_timeout=1.0)
    ) as srv:
        yield srv


def url(server: DevServer, socket: str, query: str = "") -> str:
    return server.socket_urls(socket)["wss"] + (f"?{query}" if query else "")


def whoami(ws: ClientConnection) -> str:
    """The client's connection id, as ``local-lab`` tells it."""
    ws.send("whoami")
    reply = ws.recv(timeout=5)
    assert isinstance(reply, str)
    return reply


@pytest.fixture
def no_server_errors(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fails the test if the server logged an internal error or one of its threads died."""
    raised: list[str] = []

    def hook(args: threading.ExceptHookArgs) -> None:
        raised.append(f"{args.exc_type.__name__}: {args.exc_value}")

    monkeypatch.setattr(threading, "excepthook", hook)
    with caplog.at_level(logging.ERROR, logger="eventual.local"):
        yield
    raised.extend(record.getMessage() for record in caplog.records if record.name == "eventual.local")
    assert not raised


CHROMIUM = "/usr/bin/chromium"
"""Debian's Chromium: no test downloads a browser of its own."""
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium, driven by Playwright, shared by a test module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
