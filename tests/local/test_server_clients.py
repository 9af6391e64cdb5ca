"""Real clients other than Python's: Node's built-in WebSocket and headless Chromium, against
`eventual local` serving the example service (the README's command) and its web page."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.local.process import LocalProcess, eventual_local

NODE_CLIENT = Path(__file__).with_name("node_client.mjs")


@pytest.fixture(scope="module")
def example() -> Iterator[LocalProcess]:
    with eventual_local("--no-reload") as local:
        yield local
        assert local.stop() == 0


def node(*args: str) -> list[dict[str, Any]]:
    node_bin = shutil.which("node")
    assert node_bin, "node is part of the toolchain (npx cdk needs it)"
    done = subprocess.run(
        [node_bin, "--experimental-websocket", "--no-warnings", str(NODE_CLIENT), *args],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_node_websocket_talks_to_my_socket(example: LocalProcess) -> None:
    records = node(example.url("mySocket"), '{"hello": "node"}', "not json", "<binary>")
    assert records == [
        {"open": True},
        {"message": '{"received":{"hello":"node"}}'},
        {"message": '{"error":"message is not JSON"}'},
        {"close": 1003, "reason": "Binary frames are not supported", "clean": True},
    ]
    # The example's $connect and $disconnect print; both ran for Node's connection.
    connected = example.wait_line(lambda line: line.startswith("mySocket: ") and line.endswith(" connected"))
    connection_id = connected.split()[1]
    example.wait_line(lambda line: line == f"mySocket: {connection_id} disconnected")


def test_node_websocket_sees_a_clean_close_and_an_unknown_socket(example: LocalProcess) -> None:
    assert node(example.url("rtc-socket"), '{"to": "nobody="}')[1:] == [
        {"message": '{"error":"connection nobody= is gone"}'},
        {"close": 1000, "reason": "done", "clean": True},
    ]
    refused = node(example.url("no-such-socket"))  # the handshake gets 404
    assert refused[0] == {"error": True}
    assert {"open": True} not in refused


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_browser_page_served_by_the_dev_server_talks_to_my_socket(example: LocalProcess, page: Any) -> None:
    page.goto(f"http://localhost:{example.port}/")
    page.wait_for_selector("body[data-state=open]")
    page.fill("#message", '{"hello": "browser"}')
    page.click("#send button")
    page.wait_for_selector('#log li.received:has-text(\'{"received":{"hello":"browser"}}\')')
    # The browser's own binary frame: API Gateway (and so the dev server) closes with 1003.
    page.evaluate("ws.send(new Uint8Array([1, 2, 3]))")
    page.wait_for_selector("body[data-state=closed]")
    assert page.inner_text("#log li.closed") == "closed 1003 Binary frames are not supported"


def test_browser_relays_through_rtc_socket(example: LocalProcess, page: Any) -> None:
    page.goto(f"http://localhost:{example.port}/?socket=rtc-socket")
    page.wait_for_selector("body[data-state=open]")
    page.fill("#message", '{"to": "nobody=", "data": "offer"}')
    page.click("#send button")
    # The handler's send() went through boto3 to the dev server's management API and met a 410.
    page.wait_for_selector('#log li.received:has-text("connection nobody= is gone")')


def test_browser_sees_a_refused_handshake(example: LocalProcess, page: Any) -> None:
    page.goto(f"http://localhost:{example.port}/")
    code = page.evaluate(
        """() => new Promise((resolve) => {
            const probe = new WebSocket(`ws://${location.host}/__ws/no-such-socket`);
            probe.onopen = () => resolve("opened");
            probe.onclose = (event) => resolve(event.code);
        })"""
    )
    assert code == 1006


def test_browser_asks_for_the_lobby_subprotocol_and_routes_by_action(
    example: LocalProcess, page: Any
) -> None:
    """A browser that asks for a subprotocol connects when $connect selects it."""
    page.goto(f"http://localhost:{example.port}/?socket=lobby")
    page.wait_for_selector("body[data-state=open]")
    assert page.evaluate("ws.protocol") == "lobby.v1"
    assert "subprotocol lobby.v1" in page.inner_text("#status")
    page.fill("#message", '{"action": "whoami"}')
    page.click("#send button")
    page.wait_for_selector('#log li.received:has-text(\'"route":"whoami"\')')
    page.fill("#message", "no action here")
    page.click("#send button")
    page.wait_for_selector('#log li.received:has-text(\'"route":"$default"\')')
