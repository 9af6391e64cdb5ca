"""`eventual local` as a developer runs it: banner, errors, Ctrl-C and SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from contextlib import ExitStack
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.local.process import ROOT, eventual_local, run_eventual


def test_plain_eventual_local_serves_the_example_with_the_seed_banner() -> None:
    with eventual_local() as local:
        port = local.port
        assert local.banner == [
            f"✔ Eventual Dev Server running on http://localhost:{port}.",
            "Sockets are available at:",
            f"chat - ws://localhost:{port}/__ws/chat",
            f"lobby - ws://localhost:{port}/__ws/lobby",
            f"mySocket - ws://localhost:{port}/__ws/mySocket",
            f"rtc-socket - ws://localhost:{port}/__ws/rtc-socket",
            f"Web page: http://localhost:{port}/ (from {Path('examples/web').resolve()})",
            f"API docs: http://localhost:{port}/__eventual/docs",
            f"Console: http://localhost:{port}/__eventual/",
            "Watching for code changes; Ctrl-C to stop.",
        ]
        with connect(f"ws://localhost:{port}/__ws/mySocket") as ws:
            ws.send('{"via": "localhost"}')
            assert ws.recv(timeout=5) == '{"received":{"via":"localhost"}}'
        assert local.stop() == 0


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_stop_signal_disconnects_everyone_with_1001_and_exits_0(sig: int) -> None:
    with eventual_local("--no-reload") as local, ExitStack() as stack:
        clients = [stack.enter_context(connect(local.url("mySocket"))) for _ in range(3)]
        ids = {local.wait_line(lambda line: line.endswith(" connected")).split()[1] for _ in clients}
        assert local.stop(sig) == 0
        for ws in clients:
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=5)
            assert closed.value.rcvd is not None
            assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1001, "Going away")
        disconnected = {
            local.wait_line(lambda line: line.endswith(" disconnected")).split()[1] for _ in clients
        }
        assert disconnected == ids  # $disconnect ran for each before the process ended
        assert "Traceback" not in "\n".join(local.seen)


def test_port_in_use_is_one_clear_line() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        done = run_eventual("local", "--port", str(port))
    assert done.returncode == 1
    assert (
        done.stderr
        == f"Error: port {port} on 127.0.0.1 is already in use: stop the other server or pass --port\n"
    )


def test_entry_that_fails_to_import_is_one_line_with_its_location(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.eventual]\nservice = "broken"\nentry = "app"\n')
    (tmp_path / "app.py").write_text("from eventual import socket\n\nsocket('s', {})\nundefined_name\n")
    done = run_eventual("local", "--port", "0", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"Error: cannot import entry 'app' from {tmp_path}: NameError: name 'undefined_name' is not "
        "defined (app.py:4)"
    ]


def test_missing_entry_module_and_missing_configuration(tmp_path: Path) -> None:
    done = run_eventual("local", "--entry", "nowhere", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"Error: cannot import entry 'nowhere' from {tmp_path}: "
        "ModuleNotFoundError: No module named 'nowhere'"
    ]
    done = run_eventual("local", cwd=tmp_path)
    assert done.returncode == 1
    assert "[tool.eventual]" in done.stderr and "--entry MODULE" in done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_entry_without_sockets_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty.py").write_text("x = 1\n")
    done = run_eventual("local", "--entry", "empty", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (
        1,
        "Error: entry 'empty' declares no socket: bind each socket to a name in it "
        '(chat = socket("chat", ...)) or import it there (from myapp.chat import chat)\n',
    )


def test_entry_option_serves_another_module(tmp_path: Path) -> None:
    (tmp_path / "chat.py").write_text(
        "from eventual import socket\n\nroom = socket('room', {'$default': lambda r, c: 'room:' + r.body})\n"
    )
    with eventual_local("--entry", "chat", "--host", "127.0.0.1", cwd=tmp_path) as local:
        assert local.banner[2] == f"room - ws://localhost:{local.port}/__ws/room"
        with connect(local.url("room")) as ws:
            ws.send("hi")
            assert ws.recv(timeout=5) == "room:hi"
        assert local.stop() == 0


def test_help_names_the_options() -> None:
    done = run_eventual("local", "--help")
    assert done.returncode == 0
    for option in ("--entry", "--port", "--host", "--idle-timeout", "--max-duration", "--no-reload"):
        assert option in done.stdout


def test_limit_options_reach_the_server() -> None:
    with eventual_local("--idle-timeout", "0.5", "--max-duration", "30", "--no-reload") as local:
        with connect(local.url("mySocket")) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=10)  # silent client: closed as idle
            assert closed.value.rcvd is not None
            assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1001, "Going away")
        assert local.stop() == 0


def test_the_banner_the_service_document_and_get_service_local_name_one_host() -> None:
    """Issue 19, item 7: ``/__eventual/service`` (and a handler's ``wss_endpoint``) said
    ``127.0.0.1`` where the banner and ``eventual get service --local`` say ``localhost``."""
    with eventual_local("--no-reload") as local:
        banner = dict(line.split(" - ") for line in local.banner if " - ws://" in line)
        with urllib.request.urlopen(f"http://localhost:{local.port}/__eventual/service", timeout=5) as answer:
            document = json.loads(answer.read())
        listed = run_eventual("get", "service", "--local", "--json", "--port", str(local.port))
        assert document["sockets"] == banner == json.loads(listed.stdout)["sockets"]
        assert banner["chat"] == f"ws://localhost:{local.port}/__ws/chat"
        assert local.stop() == 0


def test_a_script_beside_eventual_local_is_told_what_it_can_do_and_that_works() -> None:
    """Issue 19, item 7: a script that broadcasts while ``eventual local`` runs raised a
    SocketNotDeployed that did not say why, nor what works instead. What it suggests, a post
    through the dev server's management API, reaches the connection."""
    import boto3

    script = "from examples.chat import chat\nchat.broadcast({'text': 'hi'})\n"
    with eventual_local("--no-reload") as local, connect(local.url("mySocket")) as ws:
        connection_id = local.wait_line(lambda line: line.endswith(" connected")).split()[1]
        done = run_eventual_python(script)
        assert done.returncode == 1
        error = done.stderr.splitlines()[-1]
        assert error.startswith("eventual.errors.SocketNotDeployed: no service is running in this process")
        assert "a script run beside `eventual local`, cannot send, broadcast or list connections" in error
        assert "endpoint_url='http://localhost:3111/__ws/<socket>').post_to_connection(" in error
        api = boto3.client(
            "apigatewaymanagementapi", endpoint_url=f"http://localhost:{local.port}/__ws/mySocket"
        )
        api.post_to_connection(ConnectionId=connection_id, Data=b"from a script")
        assert ws.recv(timeout=5) == "from a script"
        assert local.stop() == 0


def run_eventual_python(script: str) -> subprocess.CompletedProcess[str]:
    """``script`` in a Python process of its own, importing this checkout's example service."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60, env=env
    )
