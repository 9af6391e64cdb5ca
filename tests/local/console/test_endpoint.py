"""The console's paths (eventual/local/console/endpoint.py): the page and its files from the
package, the state, who may reach them (this machine, the server's own names and pages)."""

from __future__ import annotations

import http.client
import json
import re
from importlib.resources import files
from typing import Any

import pytest
from websockets.sync.client import connect

from eventual.local import DevServer
from eventual.local.console.endpoint import Console
from eventual.local.http import Reply, Request
from tests.local.conftest import url

pytestmark = pytest.mark.usefixtures("no_server_errors")
STATIC = files("eventual.local.console") / "static"


def get(server: DevServer, path: str, method: str = "GET", **headers: str) -> http.client.HTTPResponse:
    client = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    client.request(method, path, headers=headers)
    answer = client.getresponse()
    answer.read()
    client.close()
    return answer


def body_of(server: DevServer, path: str) -> tuple[int, str, bytes]:
    client = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    client.request("GET", path)
    answer = client.getresponse()
    body = answer.read()
    client.close()
    return answer.status, answer.getheader("Content-Type") or "", body


def test_the_page_is_at_slash_eventual_slash(server: DevServer) -> None:
    moved = get(server, "/__eventual")
    assert (moved.status, moved.getheader("Location")) == (308, "/__eventual/")
    status, content_type, body = body_of(server, "/__eventual/")
    assert (status, content_type) == (200, "text/html; charset=utf-8")
    assert b'<script type="module" src="console/console.js"></script>' in body
    assert b"http" not in body.replace(b"http-equiv", b"")  # nothing from another host


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("console.js", "text/javascript; charset=utf-8"),
        ("console.css", "text/css; charset=utf-8"),
        ("vendor/preact-htm.js", "text/javascript; charset=utf-8"),
        ("vendor/LICENSE-preact.txt", "text/plain; charset=utf-8"),
        ("vendor/LICENSE-htm.txt", "text/plain; charset=utf-8"),
    ],
)
def test_each_file_the_page_needs_ships_in_the_package(
    server: DevServer, path: str, content_type: str
) -> None:
    status, served_type, body = body_of(server, f"/__eventual/console/{path}")
    assert (status, served_type) == (200, content_type)
    assert body == STATIC.joinpath(*path.split("/")).read_bytes()


def test_the_script_imports_nothing_from_elsewhere() -> None:
    script = STATIC.joinpath("console.js").read_text()
    sources = re.findall(r'^import .* from "([^"]+)";$', script, re.MULTILINE)
    assert sources == ["./vendor/preact-htm.js"]
    assert "https://" not in script and "http://" not in script


@pytest.mark.parametrize(
    "path",
    [
        "/__eventual/console/../endpoint.py",
        "/__eventual/console/%2e%2e/endpoint.py",
        "/__eventual/console/vendor/../../endpoint.py",
        "/__eventual/console//etc/passwd",
        "/__eventual/console/",
        "/__eventual/console/nothing.js",
        "/__eventual/console/..",
    ],
)
def test_no_path_leaves_the_static_folder(server: DevServer, path: str) -> None:
    assert get(server, path).status == 404


def test_another_host_name_is_refused_before_the_console(server: DevServer) -> None:
    """DNS rebinding: a page of another site whose name points at 127.0.0.1."""
    assert get(server, "/__eventual/console/state", Host="evil.example:3111").status == 403
    assert get(server, "/__eventual/console/state", Host=f"localhost:{server.port}").status == 200


def test_another_site_s_page_is_refused(server: DevServer) -> None:
    assert get(server, "/__eventual/console/state", Origin="http://evil.example").status == 403
    assert get(server, "/__eventual/console/state", Origin=f"http://localhost:{server.port}").status == 200


@pytest.mark.parametrize(
    ("client", "allowed"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("192.168.1.20", False),
        ("10.0.0.1", False),
        ("::ffff:192.168.1.20", False),
        ("fe80::1%eth0", False),
        ("", False),
    ],
)
def test_the_console_answers_this_machine_only(server: DevServer, client: str, allowed: bool) -> None:
    """``--host 0.0.0.0`` opens the sockets to the network; the console stays on loopback."""
    console = server.console
    assert isinstance(console, Console)
    answer = console.answer(
        Request("GET", "/__eventual/console/state", "", (("Host", "localhost"),), b"", client)
    )
    assert isinstance(answer, Reply)
    assert answer.status == (200 if allowed else 403)


def test_methods(server: DevServer) -> None:
    refused = get(server, "/__eventual/console/state", method="POST")
    assert (refused.status, refused.getheader("Allow")) == (405, "GET, HEAD")
    assert get(server, "/__eventual/console/send").status == 405
    assert get(server, "/__eventual/console/send").getheader("Allow") == "POST"
    assert get(server, "/__eventual/console/events", method="HEAD").getheader("Allow") == "GET"
    assert get(server, "/__eventual/console/console.js", method="HEAD").status == 200


def state_of(server: DevServer) -> dict[str, Any]:
    status, content_type, body = body_of(server, "/__eventual/console/state")
    assert (status, content_type) == (200, "application/json")
    loaded = json.loads(body)
    assert isinstance(loaded, dict)
    return loaded


def test_the_state_describes_each_socket(server: DevServer) -> None:
    state = state_of(server)
    assert state["service"] == "local-tests"
    assert state["recentEvents"] == 1000
    assert state["docs"] == "/__eventual/docs"
    assert state["channels"] is None  # until the server has channels (issue 20)
    assert [sock["name"] for sock in state["sockets"]] == sorted(server.sockets)
    room = next(sock for sock in state["sockets"] if sock["name"] == "local-room")
    assert room["url"] == server.socket_urls("local-room")["wss"]
    assert room["managementUrl"] == server.socket_urls("local-room")["http"]
    assert room["routeSelection"] == "$request.body.action"
    assert room["authorizer"].startswith("room_authorizer (")
    assert room["authorizer"].endswith("tests/local/services.py:180)")
    assert [route["key"] for route in room["routes"]] == ["$connect", "$disconnect", "$default"]
    assert room["options"] == {
        "integrationTimeout": 29.0,
        "timeout": None,
        "memorySize": None,
        "trackConnections": True,
        "fanOutAbove": None,
    }
    assert room["docs"] == "/__eventual/docs#local-room"
    slow = next(sock for sock in state["sockets"] if sock["name"] == "local-slow")
    assert (slow["options"]["integrationTimeout"], slow["options"]["timeout"]) == (1.0, 1)


def test_the_state_lists_who_is_connected(server: DevServer) -> None:
    with connect(url(server, "local-room", "user=grace")) as ws:
        ws.send("whoami")
        me = ws.recv(timeout=5)
        state = state_of(server)
        (mine,) = [conn for conn in state["connections"] if conn["connectionId"] == me]
        assert mine["socket"] == "local-room"
        assert mine["identity"] == {"sub": "grace", "admin": "false", "level": "3", "principalId": "grace"}
        assert mine["sourceIp"] == "127.0.0.1"
        assert mine["userAgent"].startswith("Python/")
        assert mine["lastActiveAt"] >= mine["connectedAt"] > 1_700_000_000_000
        assert mine["channels"] is None
        assert state["connectionCount"] == len(state["connections"])
    assert me not in [conn["connectionId"] for conn in state_of(server)["connections"]]
