"""Only the developer's own pages reach the dev server (eventual/local/origins.py): issue 10's
DNS rebinding and cross-origin management API defects."""

from __future__ import annotations

import http.client
from urllib.parse import quote

import pytest
from websockets.sync.client import connect

from eventual.local import DevServer
from eventual.local.origins import Origins
from tests.local.conftest import url, whoami


@pytest.mark.parametrize(
    ("host", "header", "allowed"),
    [
        ("127.0.0.1", "localhost:3111", True),
        ("127.0.0.1", "127.0.0.1:3111", True),
        ("127.0.0.1", "[::1]:3111", True),
        ("127.0.0.1", "LOCALHOST", True),
        ("127.0.0.1", "attacker.example:3111", False),
        ("127.0.0.1", "192.168.1.9:3111", False),
        ("127.0.0.1", "localhost:notaport", False),
        ("127.0.0.1", None, False),
        ("dev.internal", "dev.internal:3111", True),
        ("0.0.0.0", "192.168.1.9:3111", True),  # listening everywhere: IP literals are its names
        ("0.0.0.0", "rebind.attacker.example", False),
    ],
)
def test_host_allow_list(host: str, header: str | None, allowed: bool) -> None:
    assert Origins(host).host_allowed(header) is allowed


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        (None, True),  # boto3, curl: no browser page involved
        ("http://localhost:3111", True),
        ("http://127.0.0.1:3111", True),
        ("https://evil.example", False),
        ("null", False),  # a sandboxed page or a file:// page
    ],
)
def test_origin_allow_list(origin: str | None, allowed: bool) -> None:
    assert Origins("127.0.0.1").origin_allowed(origin) is allowed


def test_a_foreign_host_is_403_for_every_path(server: DevServer) -> None:
    """DNS rebinding: a page at attacker.example whose name now resolves to 127.0.0.1."""
    for path in ("/", "/__ws/local-lab/@connections/x"):
        client = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        client.request("GET", path, headers={"Host": f"attacker.example:{server.port}"})
        assert client.getresponse().status == 403
        client.close()


def test_a_cross_origin_text_plain_post_is_403_and_not_delivered(server: DevServer) -> None:
    """A "simple" cross-origin request (no preflight) that any web page can send."""
    with connect(url(server, "local-lab")) as ws:
        me = whoami(ws)
        client = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        client.request(
            "POST",
            f"/__ws/local-lab/@connections/{quote(me, safe='')}",
            body=b"injected",
            headers={"Origin": "https://evil.example", "Content-Type": "text/plain"},
        )
        assert client.getresponse().status == 403
        client.close()
        ws.send("after")
        assert ws.recv(timeout=5) == "lab:after"  # "injected" never arrived


def test_a_websocket_from_any_origin_is_accepted_as_in_the_cloud(server: DevServer) -> None:
    with connect(url(server, "local-echo"), origin="https://elsewhere.example") as ws:  # type: ignore[arg-type]
        ws.send("hi")
        assert ws.recv(timeout=5) == "hi"
