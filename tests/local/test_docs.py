"""The live docs of ``eventual local``: ``/__eventual/docs`` renders the service's AsyncAPI document
with the vendored @asyncapi/react-component bundle, in headless Chromium, with no request leaving
the machine (no CDN)."""

from __future__ import annotations

import fnmatch
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import examples.service
from eventual.local import DevServer
from eventual.local.docs import DOCS_DIR, VENDORED
from eventual.sockets import sockets_of

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = sockets_of(examples.service.__name__)
BUNDLE = REPO / "node_modules" / "@asyncapi" / "react-component"


@pytest.fixture(scope="module")
def server() -> Iterator[DevServer]:
    with DevServer("my-service", EXAMPLE, port=0) as running:
        yield running


def get(server: DevServer, path: str, method: str = "GET") -> tuple[int, str, bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{server.port}{path}", method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.headers["content-type"] or "", answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["content-type"] or "", error.read()


def test_the_page_and_its_bundle_are_served_from_the_package(server: DevServer) -> None:
    status, kind, page = get(server, "/__eventual/docs")
    assert (status, kind) == (200, "text/html; charset=utf-8")
    assert b"<title>my-service \xc2\xb7 AsyncAPI" in page
    assert b'src="/__eventual/docs/index.js"' in page and b"https://" not in page
    status, kind, script = get(server, "/__eventual/docs/index.js")
    assert (status, kind) == (200, "text/javascript; charset=utf-8")
    assert script == (VENDORED / "index.js").read_bytes()
    assert get(server, "/__eventual/docs/default.min.css")[:2] == (200, "text/css; charset=utf-8")
    assert get(server, "/__eventual/docs/")[0] == 200
    assert get(server, "/__eventual/docs/nothing.js")[0] == 404
    assert get(server, "/__eventual/docs/..%2f..%2fdocs.py")[0] == 404
    assert get(server, "/__eventual/docs", "POST")[0] == 405
    assert get(server, "/__eventual/asyncapi.json", "POST")[0] == 405


def test_the_vendored_bundle_is_the_pinned_packages_with_its_license() -> None:
    """`make vendor-docs` copies them from the version package-lock.json pins."""
    import json

    pinned = json.loads((BUNDLE / "package.json").read_text())["version"]
    assert (VENDORED / "VERSION").read_text().strip() == pinned
    pairs = {
        "index.js": "browser/standalone/index.js",
        "index.js.LICENSE.txt": "browser/standalone/index.js.LICENSE.txt",
        "default.min.css": "styles/default.min.css",
        "LICENSE": "LICENSE",
    }
    for vendored, original in pairs.items():
        assert (VENDORED / vendored).read_bytes() == (BUNDLE / original).read_bytes(), vendored
    assert "Apache License" in (VENDORED / "LICENSE").read_text()


def test_the_docs_ship_in_the_package_data() -> None:
    """Users install no Node: every file of the page is matched by pyproject's package-data."""
    patterns = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"][
        "eventual"
    ]
    files = [p.relative_to(REPO / "eventual").as_posix() for p in DOCS_DIR.rglob("*") if p.is_file()]
    assert len(files) == 6
    assert [f for f in files if not any(fnmatch.fnmatch(f, pattern) for pattern in patterns)] == []


def test_chromium_renders_every_socket_and_route(server: DevServer, browser: Any) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(30_000)
    elsewhere: list[str] = []
    errors: list[str] = []
    page.on(
        "request",
        lambda r: None if r.url.startswith(f"http://127.0.0.1:{server.port}/") else elsewhere.append(r.url),
    )
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(f"http://127.0.0.1:{server.port}/__eventual/docs")
        page.wait_for_selector("text=Operation IDlobby.move")
        text = page.inner_text("body")
    finally:
        context.close()
    for name, sock in EXAMPLE.items():
        assert f"/__ws/{name}" in text, name
        routes = [*sock.message_routes, *(["$default"] if sock.has_default_route else [])]
        for route in routes:
            assert f"Operation ID{name}.{route.lstrip('$')}" in text, (name, route)
    assert "Move to a square of the board" in text and "InvalidMessage" in text
    assert elsewhere == [] and errors == []
