"""The console in a real browser (headless Chromium, Debian's), against the dev server in this
process, while separate ``websockets`` clients connect and send: events appear as they happen,
connections are listed with their identity, the console's disconnect closes a client exactly as
the management API's DELETE does, and its client pane talks to any socket."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from pydantic import BaseModel
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from eventual import ConnectRequest, Context, SocketResponse, route, socket
from eventual.local import DevServer, Limits
from eventual.local.console import describe, endpoint
from eventual.sockets import sockets_of
from tests.local import services
from tests.local.conftest import url, whoami


def choose_subprotocol(request: ConnectRequest, context: Context) -> SocketResponse | None:
    """Selects the first subprotocol the client asks for, as API Gateway's docs show
    ("Set up a $connect route that requires a WebSocket subprotocol")."""
    asked = request.headers.get("sec-websocket-protocol")
    if asked:
        return SocketResponse(headers={"Sec-WebSocket-Protocol": asked.split(",")[0].strip()})
    return None


proto = socket("console-proto", {"$connect": choose_subprotocol, "$default": lambda r, c: f"proto:{r.body}"})


class Move(BaseModel):
    x: int


board = socket("console-board", {"move": route(lambda r, c: None, message=Move)})


@pytest.fixture(scope="module")
def server() -> Iterator[DevServer]:
    sockets = {**sockets_of(services.__name__), "console-proto": proto, "console-board": board}
    with DevServer("console-browser", sockets, port=0, limits=Limits(close_timeout=1.0)) as srv:
        yield srv


@pytest.fixture
def console(browser: Any, server: DevServer) -> Iterator[Any]:
    """The console, open and live."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"http://localhost:{server.port}/__eventual/")
    page.wait_for_selector("#feed[data-state=live]")
    yield page
    context.close()
    assert errors == []


def event_row(connection: str, route: str, **data: str) -> str:
    extra = "".join(f'[data-{name}="{value}"]' for name, value in data.items())
    return f'tbody.event[data-connection="{connection}"][data-route="{route}"]{extra}'


def close_of(ws: ClientConnection) -> tuple[int, str]:
    with pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=5)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


def test_events_appear_live_the_connection_is_listed_and_disconnect_closes_it_as_delete_does(
    console: Any, server: DevServer
) -> None:
    with (
        connect(url(server, "local-room", "user=ada")) as ada,
        connect(url(server, "local-room", "user=bob")) as bob,
    ):
        ada.send("whoami")
        me = str(ada.recv(timeout=5))
        bob.send("whoami")
        other = str(bob.recv(timeout=5))
        # Each of the connection's events, as it happened, in the order it happened.
        console.wait_for_selector(event_row(me, "$default", status="200"))
        rows = console.locator(f'tbody.event[data-connection="{me}"]')
        assert rows.evaluate_all("rows => rows.map(row => row.dataset.route)") == [
            "$default",
            "$connect",
            "authorizer",
        ]  # newest first
        assert "sub=ada" in console.inner_text(f"{event_row(me, '$connect')} .identity")
        # Listed with its identity.
        row = f'tr.connection[data-connection="{me}"]'
        console.wait_for_selector(row)
        identity = console.inner_text(f"{row} .identity")
        assert identity == "sub=ada admin=true level=3 principalId=ada"
        assert console.inner_text(f"{row} td:first-child") == "local-room"
        # Disconnected from the console; the other through the management API's DELETE.
        console.click(f"{row} button.disconnect")
        raw = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        raw.request("DELETE", f"/__ws/local-room/@connections/{quote(other, safe='')}")
        assert raw.getresponse().status == 204
        raw.close()
        assert close_of(ada) == close_of(bob) == (1000, "")
    console.wait_for_selector(event_row(me, "$disconnect"))
    assert console.inner_text(f"{event_row(me, '$disconnect')} .status") == "200"
    console.wait_for_selector(row, state="detached")  # no longer connected
    delete = console.locator(f"{event_row(me, 'DELETE', kind='management')} .route")
    assert delete.inner_text() == "@connections DELETE"


def test_a_failed_handler_shows_its_traceback(console: Any, server: DevServer) -> None:
    with connect(url(server, "local-lab")) as ws:
        me = whoami(ws)
        ws.send("boom")
        ws.recv(timeout=5)
        failed = event_row(me, "$default", status="500")
        console.wait_for_selector(f"{failed} pre.failure")
        traceback = console.inner_text(f"{failed} pre.failure")
        assert traceback.startswith("Traceback (most recent call last):")
        assert traceback.rstrip().endswith("RuntimeError: handler failed on purpose")
        assert console.inner_text(f"{failed} pre.body") == "boom"


def test_filters_by_socket_connection_and_status(console: Any, server: DevServer) -> None:
    with connect(url(server, "local-lab")) as lab, connect(url(server, "local-echo")) as echo:
        lab_id = whoami(lab)
        lab.send("boom")
        lab.recv(timeout=5)
        echo.send("hi")
        echo.recv(timeout=5)
        console.wait_for_selector(event_row(lab_id, "$default", status="500"))
        console.wait_for_selector('tbody.event[data-socket="local-echo"][data-route="$default"]')

        def shown(attribute: str) -> set[str]:
            values = console.locator("tbody.event").evaluate_all(
                f"rows => rows.map(row => row.getAttribute('data-{attribute}'))"
            )
            return set(values)

        console.select_option("#filter-socket", "local-echo")
        assert shown("socket") == {"local-echo"}
        console.select_option("#filter-socket", "")
        console.select_option("#filter-status", "errors")
        assert all(int(status) >= 400 for status in shown("status"))
        assert "500" in shown("status")
        console.select_option("#filter-status", "")
        console.fill("#filter-connection", lab_id)
        assert shown("connection") == {lab_id}
        console.fill("#filter-connection", "")
        assert len(shown("socket")) >= 2


def test_send_from_the_console_reaches_the_client(console: Any, server: DevServer) -> None:
    with connect(url(server, "local-lab")) as ws:
        me = whoami(ws)
        row = f'tr.connection[data-connection="{me}"]'
        console.fill(f"{row} form.send input", "hello from the console")
        console.click(f"{row} form.send button")
        assert ws.recv(timeout=5) == "hello from the console"
        console.wait_for_selector(f"{row} .outcome:text('sent')")
        console.wait_for_selector(event_row(me, "POST", kind="management"))


def test_the_client_pane_talks_to_any_socket_and_shows_replies_and_pushes_in_order(
    console: Any, server: DevServer
) -> None:
    pane = "#client"
    console.select_option(f"{pane} select[name=socket]", "local-lab")
    console.click("#client-connect button[type=submit]")
    console.wait_for_selector(f"{pane}[data-state=open]")
    console.fill("#client-send textarea", "push:one,two")
    console.click("#client-send button")
    console.wait_for_selector("#client-log li.received .text:text-is('reply')")
    log = console.locator("#client-log li").evaluate_all(
        "items => items.map(item => [item.className, item.querySelector('.text').textContent])"
    )
    assert [entry for entry in log if entry[0] in ("sent", "received")] == [
        ["sent", "push:one,two"],
        ["received", "one"],
        ["received", "two"],
        ["received", "reply"],
    ]
    # A query string (the authorizer reads it) and a subprotocol ($connect selects it).
    console.select_option(f"{pane} select[name=socket]", "local-room")
    console.fill(f"{pane} input[name=query]", "?user=grace")
    console.click("#client-connect button[type=submit]")
    console.wait_for_selector(f"{pane}[data-state=open]")
    console.fill("#client-send textarea", "identity")
    console.click("#client-send button")
    identity = console.wait_for_selector("#client-log li.received .text:has-text('grace')")
    answered = json.loads(identity.inner_text())  # the identity the handler read
    assert (answered["sub"], answered["principalId"]) == ("grace", "grace")
    console.select_option(f"{pane} select[name=socket]", "console-proto")
    console.fill(f"{pane} input[name=query]", "")
    console.fill(f"{pane} input[name=subprotocol]", "chat.v2")
    console.click("#client-connect button[type=submit]")
    console.wait_for_selector("#client-log li.open .text:text-is('open (subprotocol chat.v2)')")
    console.fill("#client-send textarea", "hi")
    console.click("#client-send button")
    console.wait_for_selector("#client-log li.received .text:text-is('proto:hi')")


def test_the_sockets_panel_describes_each_socket(console: Any) -> None:
    room = '.socket[data-socket="local-room"]'
    assert console.inner_text(f"{room} .authorizer").startswith("room_authorizer (")
    routes = console.locator(f"{room} tr.route").evaluate_all("rows => rows.map(row => row.dataset.route)")
    assert routes == ["$connect", "$disconnect", "$default"]
    assert console.get_attribute(f"{room} a.docs", "href") == "/__eventual/docs#local-room"
    assert console.locator("#channels").count() == 0  # the server has no channels (yet)
    assert console.locator("#filter-channel").count() == 0
    assert console.locator(f"{room} .schema").count() == 0  # nor typed messages
    move = '.socket[data-socket="console-board"] tr.route[data-route="move"]'
    assert console.locator(f"{move} .schema").count() == 1  # a typed route's message schema
    assert json.loads(console.locator(f"{move} .schema pre").text_content() or "") == {
        "title": "Move",
        "type": "object",
        "properties": {"x": {"title": "X", "type": "integer"}},
        "required": ["x"],
    }


def test_channels_show_once_the_server_reports_them(
    browser: Any, server: DevServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The seam issue 20 (channels) fills: the page shows a Channels panel, a channel column and
    filter when the state has them."""
    with connect(url(server, "local-room", "user=ada")) as ws:
        ws.send("whoami")
        me = str(ws.recv(timeout=5))
        monkeypatch.setattr(endpoint, "channel_members", lambda sockets: {"local-room": {"lobby": [me]}})
        monkeypatch.setattr(
            describe, "channels_of", lambda conn: ["lobby"] if conn.connection_id == me else []
        )
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"http://localhost:{server.port}/__eventual/")
        page.wait_for_selector("#feed[data-state=live]")
        assert page.inner_text('#channels tr.channel[data-channel="lobby"] td:last-child') == me
        assert page.inner_text(f'tr.connection[data-connection="{me}"] .channels') == "lobby"
        assert page.locator("#publish").count() == 1
        page.fill("#filter-channel", "lobby")
        connections = page.locator("tbody.event").evaluate_all(
            "rows => rows.map(row => row.dataset.connection)"
        )
        assert connections and set(connections) == {me}
        context.close()
