"""Hot reload under `eventual local`: edits take effect on open connections; a broken edit is
reported and the last good handlers keep serving."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.sync.client import ClientConnection, connect

from tests.local.process import LocalProcess, eventual_local

APP = """\
from eventual import socket
from helper import decorate

{padding}
def answer(request, context):
    return decorate("{word}:" + request.body)


greeter = socket("greeter", {{"$default": answer}})
"""


def write_app(project: Path, word: str, padding: str = "") -> None:
    (project / "app.py").write_text(APP.format(word=word, padding=padding))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[tool.eventual]\nservice = "hot"\nentry = "app"\n')
    (tmp_path / "helper.py").write_text("def decorate(text):\n    return text\n")
    write_app(tmp_path, "v1")
    return tmp_path


@pytest.fixture
def local(project: Path) -> Iterator[LocalProcess]:
    with eventual_local(cwd=project) as running:
        yield running
        assert running.stop() == 0


def ask(ws: ClientConnection, text: str) -> str:
    ws.send(text)
    reply = ws.recv(timeout=5)
    assert isinstance(reply, str)
    return reply


def reloaded(local: LocalProcess) -> str:
    return local.wait_line(lambda line: line.startswith(("↻ Reloaded", "✘ Reload failed")))


def test_an_edit_reaches_an_open_connection(project: Path, local: LocalProcess) -> None:
    with connect(local.url("greeter")) as ws:
        assert ask(ws, "a") == "v1:a"
        write_app(project, "v2")
        assert reloaded(local) == "↻ Reloaded app: greeter"
        assert ask(ws, "b") == "v2:b"  # same connection: it was never dropped
        # The declaration moves down: still the same socket, not a duplicate.
        write_app(project, "v3", padding="\n\n\n# moved\n")
        assert reloaded(local) == "↻ Reloaded app: greeter"
        assert ask(ws, "c") == "v3:c"
        (project / "helper.py").write_text("def decorate(text):\n    return text.upper()\n")
        assert reloaded(local) == "↻ Reloaded app: greeter"
        assert ask(ws, "d") == "V3:D"  # a module the entry imports counts as the service's code


def test_a_broken_edit_keeps_the_last_good_handlers(project: Path, local: LocalProcess) -> None:
    with connect(local.url("greeter")) as ws:
        write_app(project, "v2")
        assert reloaded(local) == "↻ Reloaded app: greeter"
        (project / "app.py").write_text("def broken(:\n")
        failure = reloaded(local)
        assert failure.startswith("✘ Reload failed: cannot import entry 'app'") and "SyntaxError" in failure
        assert ask(ws, "still") == "v2:still"
        failing = APP.format(word="v3", padding="") + "1 / 0\n"
        (project / "app.py").write_text(failing)
        failure = reloaded(local)
        assert "ZeroDivisionError" in failure
        assert failure.endswith(f"(app.py:{len(failing.splitlines())})")  # where it failed
        assert ask(ws, "still") == "v2:still"
        with connect(local.url("greeter")) as newcomer:  # new connections get them too
            assert ask(newcomer, "new") == "v2:new"
        write_app(project, "v4")
        assert reloaded(local) == "↻ Reloaded app: greeter"
        assert ask(ws, "fixed") == "v4:fixed"


def test_a_socket_added_by_an_edit_is_served(project: Path, local: LocalProcess) -> None:
    source = (project / "app.py").read_text()
    (project / "app.py").write_text(source + '\necho = socket("echo", {"$default": lambda r, c: r.body})\n')
    assert reloaded(local) == "↻ Reloaded app: echo, greeter"
    assert local.wait_line(lambda line: line.startswith("echo - ")) == (
        f"echo - ws://localhost:{local.port}/__ws/echo"
    )
    with connect(local.url("echo")) as ws:
        assert ask(ws, "new socket") == "new socket"
