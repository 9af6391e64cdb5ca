"""``eventual connect``, run as a user runs it (the executable in a subprocess) against the example
service on the dev server in this process; its cloud look-up against moto.

What the handshake answers (401/403 from an authorizer, 400 from a ``$connect`` that refuses, the
body as API Gateway writes it) is the dev server's, which follows API Gateway (tests/local).
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest

from eventual.local import DevServer
from eventual.sockets import Socket
from tests.cli.conftest import Deploy
from tests.cli.moto import free_port

EVENTUAL = str(Path(sys.executable).parent / "eventual")
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse AWS")


def connect(*args: str, stdin: str = "", timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [EVENTUAL, "connect", *args], input=stdin, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def port(dev_server: DevServer) -> str:
    return str(dev_server.port)


def test_a_piped_message_gets_its_reply_printed_raw_and_wait_ends_the_session(port: str) -> None:
    """`echo '{"action":"ping"}' | eventual connect lobby --local --wait 1`, in a script."""
    done = connect("lobby", "--local", "--port", port, "--wait", "1", stdin='{"action":"ping"}\n')
    assert done.returncode == 0, done.stderr
    assert done.stdout == '{"pong":{"action":"ping"}}\n'
    assert done.stderr.splitlines()[0] == f"connected to ws://localhost:{port}/__ws/lobby"


def test_every_line_is_a_message_and_replies_come_in_order(port: str) -> None:
    lines = '{"action":"ping","n":1}\n\n{"action":"whoami"}\nnot json\n'
    done = connect("lobby", "--local", "--port", port, "--wait", "1", stdin=lines)
    assert done.returncode == 0, done.stderr
    replies = [json.loads(line) for line in done.stdout.splitlines()]
    assert replies[0] == {"pong": {"action": "ping", "n": 1}}
    assert replies[1]["route"] == "whoami"
    assert replies[2] == {
        "error": "unknown action",
        "actions": ["ping", "whoami", "move"],
        "route": "$default",
    }
    assert len(replies) == 3  # the empty line was not sent


def test_a_refused_handshake_prints_status_and_body_and_fails(port: str) -> None:
    refused = connect("lobby", "--local", "--port", port, "--subprotocol", "chat.v2")
    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr == "handshake refused: 400 Bad Request\nthis socket speaks lobby.v1 only\n"
    unauthorized = connect("chat", "--local", "--port", port)
    assert unauthorized.returncode == 1
    assert unauthorized.stderr.splitlines() == [
        "handshake refused: 401 Unauthorized",
        '{"message": "Unauthorized"}',
    ]


def test_query_and_subprotocol_reach_the_handshake(port: str) -> None:
    joined = connect(
        "chat",
        "--local",
        "--port",
        port,
        "-q",
        "name=Ada",
        "-q",
        "key=let-me-in",
        "--wait",
        "1",
        stdin='{"text":"hi"}\n',
    )
    assert joined.returncode == 0, joined.stderr
    assert json.loads(joined.stdout) == {"from": "Ada", "text": "hi"}  # the room's broadcast, back to Ada
    chosen = connect("lobby", "--local", "--port", port, "--subprotocol", "lobby.v1", "--wait", "0")
    assert chosen.returncode == 0, chosen.stderr
    assert (
        chosen.stderr.splitlines()[0]
        == f"connected to ws://localhost:{port}/__ws/lobby (subprotocol lobby.v1)"
    )


# A socket of this test's own: it answers with what its $connect saw, and closes on request.
SEEN: dict[str, dict[str, Any]] = {}


def remember(request: Any, context: Any) -> None:
    SEEN[request.connection_id] = {"query": dict(request.query), "team": request.headers.get("x-team")}


def answer(request: Any, context: Any) -> Any:
    if request.body == "bye":
        probe.disconnect(request.connection_id)
        return None
    return SEEN[request.connection_id]


probe = Socket("probe", {"$connect": remember, "$default": answer})


@pytest.fixture
def probe_url() -> Iterator[str]:
    with DevServer("probe", {"probe": probe}, host="127.0.0.1", port=0) as server:
        yield f"ws://127.0.0.1:{server.port}/__ws/probe"


def test_a_url_is_used_as_given_with_query_and_headers_added(probe_url: str) -> None:
    done = connect(
        f"{probe_url}?room=1", "-q", "name=Ada Lovelace", "-H", "X-Team: blue", "--wait", "1", stdin="who\n"
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"query": {"room": "1", "name": "Ada Lovelace"}, "team": "blue"}


def test_the_server_closing_ends_the_session(probe_url: str) -> None:
    done = connect(probe_url, stdin="bye\n", timeout=30)  # no --wait: until the server closes
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[-1] == "closed by the server: 1000"


def test_in_a_terminal_json_is_pretty_printed(port: str) -> None:
    main, secondary = pty.openpty()
    session = subprocess.Popen(
        [EVENTUAL, "connect", "lobby", "--local", "--port", port, "--wait", "1"],
        stdin=subprocess.PIPE,
        stdout=secondary,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    os.close(secondary)
    assert session.stdin is not None
    session.stdin.write('{"action":"ping"}\n')
    session.stdin.close()
    output = b""
    deadline = time.monotonic() + 30
    while session.poll() is None or time.monotonic() < deadline:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        output += chunk
    os.close(main)
    assert session.wait(timeout=30) == 0
    assert output.decode().replace("\r\n", "\n") == '{\n  "pong": {\n    "action": "ping"\n  }\n}\n'


def test_nothing_listening_is_one_line_with_a_hint() -> None:
    closed = str(free_port())
    done = connect("lobby", "--local", "--port", closed)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        f"Error: cannot connect to ws://localhost:{closed}/__ws/lobby: Connection refused "
        "(is `eventual local` running?)\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ws://127.0.0.1:1/__ws/x", "--local"], "a URL needs neither"),
        (["lobby", "--port", "3000"], "--port only applies with --local"),
        (["lobby", "--local", "-q", "novalue"], "'novalue' is not KEY=VALUE"),
        (["lobby", "--local", "-H", "no-colon"], "'no-colon' is not NAME:VALUE"),
    ],
)
def test_usage_errors_say_what_is_wrong(args: list[str], message: str) -> None:
    from click.testing import CliRunner

    from eventual.cli import main

    result = CliRunner().invoke(main, ["connect", *args])
    assert result.exit_code == 2 and message in result.stderr


def test_a_deployed_sockets_url_comes_from_the_stack_outputs(
    deploy: Deploy,
    cloudformation: Any,
    service_template: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The look-up only (moto's URLs name no real API, so nothing is dialled)."""
    from eventual.cli.connect import _url
    from tests.cli.stacks import stack_outputs

    monkeypatch.chdir(tmp_path)
    deploy("MyServiceStack", service_template)
    outputs = stack_outputs(cloudformation, "MyServiceStack")
    assert _url("chat", False, None, None, None, None, None) == outputs["eventual my-service socket chat"]
    with pytest.raises(
        click.ClickException, match="has no socket 'nope'; its sockets: chat, lobby, mySocket"
    ):
        _url("nope", False, None, None, None, None, None)


def test_pretty_printing_leaves_what_is_not_json_as_it_is(capsys: pytest.CaptureFixture[str]) -> None:
    from eventual.cli.connect import _print_message

    _print_message("plain [1", pretty=True)
    _print_message(b"\x01\x02\x03", pretty=True)
    _print_message('{"a":1}', pretty=False)
    assert capsys.readouterr().out == 'plain [1\n(binary message, 3 bytes: 010203)\n{"a":1}\n'
