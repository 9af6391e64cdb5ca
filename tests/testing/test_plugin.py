"""The pytest plugin: a project's tests get ``socket_client`` and ``dev_server`` from its entry, and
only the sockets the entry declares or imports (docs/architecture.md, "A service's sockets")."""

from __future__ import annotations

import textwrap
from importlib.metadata import entry_points
from pathlib import Path

import pytest

PLUGIN = "eventual.testing.plugin"
REPO = Path(__file__).resolve().parents[2]

PROJECT = {
    "pyproject.toml": """
        [tool.eventual]
        service = "plugged"
        entry = "plugged.service"
    """,
    "plugged/__init__.py": "",
    "plugged/service.py": """
        from eventual import socket

        echo = socket("echo", {"$default": lambda request, context: request.body})
    """,
    # In the entry's package, but the entry never imports it: not part of the service.
    "plugged/extra.py": """
        from eventual import socket

        extra = socket("extra", {})
    """,
    "tests/test_plugged.py": """
        from websockets.sync.client import connect

        import plugged.extra  # a test imports a module the entry never does


        def test_socket_client(socket_client):
            with socket_client.connect("echo") as ada:
                assert ada.send("hi") == "hi"
            assert socket_client.deployment.service == "plugged"
            assert list(socket_client.sockets) == ["echo"]


        def test_dev_server(dev_server):
            with connect(dev_server.socket_urls("echo")["wss"]) as ws:
                ws.send("hello")
                assert ws.recv(timeout=5) == "hello"
            assert list(dev_server.sockets) == ["echo"]
    """,
}


def plugin_args() -> list[str]:
    """``-p`` the plugin unless the installed distribution's entry point loads it already."""
    installed = any(ep.value == PLUGIN for ep in entry_points(group="pytest11"))
    return [] if installed else ["-p", PLUGIN]


def test_fixtures_serve_the_projects_entry(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(REPO))  # this checkout's eventual, whatever is installed
    for path, text in PROJECT.items():
        file = pytester.path / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(textwrap.dedent(text))
    result = pytester.runpytest_subprocess(*plugin_args(), "-p", "no:cacheprovider", "tests")
    result.assert_outcomes(passed=2)
