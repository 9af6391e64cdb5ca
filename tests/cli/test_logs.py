"""``eventual logs`` against a deployed example service's log group in moto's CloudWatch Logs.

The lines are written as Lambda writes a function's JSON-format lines to the service's log group,
in streams named after the function (see tests/cli/test_log_lines.py). moto's ``FilterLogEvents``
matches plain terms of a filter pattern (``ERROR``, ``"some text"``) but not JSON patterns, and
returns events stream by stream rather than interleaved; the command sorts each page itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from eventual.cli import main
from tests.cli.conftest import Deploy
from tests.cli.stacks import create_stack

pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse AWS")

GROUP = "my-service-execution-logs"
REQUEST = "8f507cfc-1111-4697-b07a-ac58fc914c95"
EVENTUAL = str(Path(sys.executable).parent / "eventual")
DENIED = "User: arn:aws:iam::123456789012:user/ada is not authorized to perform: logs:FilterLogEvents"


def stream(function: str, environment: str = "3893a6b17fac4485b47bb75b671a283c") -> str:
    return f"2025/06/01/{function}[$LATEST]{environment}"


def lines(now_ms: int) -> dict[str, list[tuple[int, str]]]:
    """What the example service's functions logged, by stream: (ms before now, message)."""
    failure = {
        "timestamp": "x",
        "level": "ERROR",
        "message": "chat handler failed: ValueError: bad text",
        "logger": "eventual.runtime",
        "requestId": REQUEST,
        "socket": "chat",
        "route": "$default",
        "connectionId": "Ab1=",
        "apiRequestId": "Req9=",
        "error": "ValueError: bad text",
        "traceback": 'Traceback (most recent call last):\n  File "chat.py", line 9\nValueError: bad text\n',
    }
    start = {"time": "x", "type": "platform.start", "record": {"requestId": REQUEST, "version": "$LATEST"}}
    metrics = {"durationMs": 4.5, "billedDurationMs": 5, "memorySizeMB": 512, "maxMemoryUsedMB": 60}
    report = {
        "time": "x",
        "type": "platform.report",
        "record": {"requestId": REQUEST, "metrics": metrics, "status": "success"},
    }
    authorizer = {
        "timestamp": "x",
        "level": "INFO",
        "message": "Ada may join",
        "logger": "root",
        "requestId": "auth-1",
    }
    return {
        stream("my-service--chat"): [
            (3_000, json.dumps(start)),
            (2_900, "chat: Ab1= says hello"),
            (2_800, json.dumps(failure)),
            (2_700, json.dumps(report)),
        ],
        stream("my-service--chat-authorizer", "0a1b"): [(3_100, json.dumps(authorizer))],
        stream("my-service--lobby", "0c0d"): [
            (2_500, "lobby: pong"),
            (2 * 3_600_000, "lobby: yesterday's news"),
        ],
    }


def write(client: Any, now_ms: int, by_stream: dict[str, list[tuple[int, str]]]) -> None:
    for name, entries in by_stream.items():
        with contextlib.suppress(client.exceptions.ResourceAlreadyExistsException):
            client.create_log_stream(logGroupName=GROUP, logStreamName=name)
        events = sorted(
            ({"timestamp": now_ms - ago, "message": text} for ago, text in entries),
            key=lambda e: e["timestamp"],
        )
        client.put_log_events(logGroupName=GROUP, logStreamName=name, logEvents=events)


@pytest.fixture
def logged(
    deploy: Deploy, service_template: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> int:
    """The example service deployed (moto, in process) with its functions' lines written; returns now."""
    import boto3

    monkeypatch.chdir(tmp_path)  # outside any project: the only service deployed is the one shown
    deploy("MyServiceStack", service_template)
    now = int(time.time() * 1000)
    write(boto3.client("logs"), now, lines(now))
    return now


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["logs", *args])


def body(result: Result) -> list[str]:
    """The printed lines without their times (which move with the clock)."""
    assert result.exit_code == 0, result.output
    return [line.split("  ", 1)[1] for line in result.stdout.splitlines() if not line.startswith("    ")]


@pytest.mark.usefixtures("logged")
def test_prints_every_functions_lines_oldest_first_attributed_to_their_socket() -> None:
    assert body(run()) == [
        "chat authorizer  INFO   [auth-1  ]  Ada may join",
        "chat             -      [8f507cfc]  chat: Ab1= says hello",
        "chat             ERROR  [8f507cfc]  $default Ab1=: ValueError: bad text",
        "chat             INFO   [8f507cfc]  REPORT 4.5 ms (billed 5 ms), 60 of 512 MB",
        "lobby            -      [        ]  lobby: pong",
    ]


@pytest.mark.usefixtures("logged")
def test_verbose_adds_tracebacks_whole_request_ids_and_each_start() -> None:
    result = run("--verbose")
    printed = result.stdout.splitlines()
    assert any(line.endswith(f"[{REQUEST}]  start") for line in printed)
    at = next(i for i, line in enumerate(printed) if "ValueError: bad text" in line)
    assert printed[at + 1 : at + 4] == [
        "    Traceback (most recent call last):",
        '      File "chat.py", line 9',
        "    ValueError: bad text",
    ]


@pytest.mark.usefixtures("logged")
def test_socket_shows_one_sockets_functions_its_authorizer_included() -> None:
    assert [line.split()[0] for line in body(run("--socket", "chat"))] == ["chat", "chat", "chat", "chat"]
    assert len(body(run("--socket", "chat"))) == 4
    assert body(run("--socket", "lobby")) == ["lobby  -      [        ]  lobby: pong"]
    unknown = run("--socket", "nope")
    assert unknown.exit_code == 2
    assert "has no socket 'nope'; its sockets: chat, lobby, mySocket, rtc-socket" in unknown.stderr


@pytest.mark.usefixtures("logged")
def test_since_takes_lines_from_then_on() -> None:
    assert sum("yesterday's news" in line for line in body(run("--since", "1h"))) == 0
    assert sum("yesterday's news" in line for line in body(run("--since", "3h"))) == 1
    bad = run("--since", "yesterday")
    assert bad.exit_code == 2 and "give an age (30s, 10m, 1h, 2d, 1w)" in bad.stderr


@pytest.mark.usefixtures("logged")
def test_filter_is_cloudwatchs_filter_pattern() -> None:
    # Aligned with the longest label the service has: "chat authorizer".
    expected = "chat             ERROR  [8f507cfc]  $default Ab1=: ValueError: bad text"
    assert body(run("--filter", "ERROR")) == [expected]


@pytest.mark.usefixtures("logged")
def test_json_prints_one_object_per_line() -> None:
    result = run("--json")
    assert result.exit_code == 0, result.output
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(o["socket"], o["role"], o["level"]) for o in objects] == [
        ("chat", "authorizer", "INFO"),
        ("chat", "socket", "INFO"),  # the invocation's start: every line, for scripts
        ("chat", "socket", None),
        ("chat", "socket", "ERROR"),
        ("chat", "socket", "INFO"),
        ("lobby", "socket", None),
    ]
    failure = objects[3]
    assert failure["record"]["connectionId"] == "Ab1=" and failure["requestId"] == REQUEST
    assert objects[2]["requestId"] == REQUEST  # a printed line: its stream's invocation


def test_a_stack_deployed_before_the_function_outputs_still_shows_lines(
    deploy: Deploy, service_template: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    monkeypatch.chdir(tmp_path)
    outputs = {k: v for k, v in service_template["Outputs"].items() if " functions" not in v["Description"]}
    deploy("Old", {**service_template, "Outputs": outputs})
    now = int(time.time() * 1000)
    write(boto3.client("logs"), now, {stream("my-service--lobby"): [(1_000, "lobby: pong")]})
    assert body(run()) == ["my-service--lobby  -      [        ]  lobby: pong"]
    refused = run("--socket", "lobby")
    assert refused.exit_code == 1
    assert refused.stderr == (
        "Error: stack Old says which function serves which socket only once deployed with this version of "
        "eventual: deploy again, or leave out --socket\n"
    )


def test_aws_errors_are_one_line(logged: int, monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3
    from botocore.stub import Stubber

    denied = boto3.client("logs")
    stubber = Stubber(denied)
    stubber.add_client_error(
        "filter_log_events",
        service_error_code="AccessDeniedException",
        service_message=DENIED,
    )
    monkeypatch.setattr("eventual.cli.logs.aws_client", lambda session, service: denied)
    with stubber:
        result = run()
    assert result.exit_code == 1 and result.stdout == "" and "Traceback" not in result.output
    needs = "reading the service's logs needs logs:FilterLogEvents on its log group"
    assert result.stderr.splitlines() == [f"Error: access denied: {needs} ({DENIED})"]


@pytest.mark.usefixtures("logged")
def test_a_missing_log_group_says_so() -> None:
    import boto3

    boto3.client("logs").delete_log_group(logGroupName=GROUP)
    result = run()
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.startswith(f"Error: log group {GROUP} does not exist")


# -- --follow ---------------------------------------------------------------------------------


class PagedLogs:
    """A FilterLogEvents stand-in that answers each poll from a script, and records its arguments."""

    def __init__(self, polls: list[list[dict[str, Any]]]) -> None:
        self.polls = polls
        self.calls: list[dict[str, Any]] = []

    def get_paginator(self, name: str) -> Any:
        assert name == "filter_log_events"
        return self

    def paginate(self, **arguments: Any) -> Iterator[dict[str, Any]]:
        self.calls.append(arguments)
        answer = self.polls.pop(0) if self.polls else []
        yield {"events": [e for e in answer if e["timestamp"] >= arguments["startTime"]]}

    class exceptions:  # boto3's spelling
        class ResourceNotFoundException(Exception):
            pass


def logged_event(event_id: str, timestamp: int) -> dict[str, Any]:
    return {
        "eventId": event_id,
        "timestamp": timestamp,
        "logStreamName": stream("my-service--lobby"),
        "message": event_id,
    }


def test_follow_backs_off_while_quiet_starts_over_on_news_and_prints_nothing_twice(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from eventual.cli.logs import LOOKBACK_MS, _follow, _Printer

    a, b, c = logged_event("a", 100_000), logged_event("b", 105_000), logged_event("c", 112_000)
    # Each poll reads the last 10 s again (late ingestion), so b is answered twice; c arrives late.
    client = PagedLogs([[a], [a, b], [], [], [], [], [], [b, c], []])
    delays: list[float] = []

    def sleep(seconds: float) -> None:
        delays.append(seconds)
        if len(delays) == 9:
            raise KeyboardInterrupt

    monkeypatch.setattr("eventual.cli.logs.time.sleep", sleep)
    with pytest.raises(KeyboardInterrupt):
        _follow(client, GROUP, 90_000, None, _Printer({}, None, False, False))
    printed = [line.rsplit("  ", 1)[1] for line in capsys.readouterr().out.splitlines()]
    assert printed == ["a", "b", "c"]
    assert delays == [1, 1, 2, 4, 8, 10, 10, 1, 2]
    starts = [call["startTime"] for call in client.calls]
    assert starts[0] == 90_000
    assert starts[1] == 100_000 - LOOKBACK_MS < 100_000  # looks back, and a is not printed again
    assert starts[-1] == 112_000 - LOOKBACK_MS


# -- as a user runs it --------------------------------------------------------------------------


@pytest.fixture
def on_moto_server(moto_server: str, service_template: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    import boto3

    create_stack("MyServiceStack", service_template, endpoint_url=moto_server)
    client = boto3.client("logs", endpoint_url=moto_server)
    now = int(time.time() * 1000)
    write(client, now, lines(now))
    env = {**os.environ, "AWS_ENDPOINT_URL": moto_server}
    return {"client": client, "env": env, "cwd": tmp_path}


def test_logs_in_a_terminal_session(on_moto_server: dict[str, Any]) -> None:
    done = subprocess.run(
        [EVENTUAL, "logs", "--socket", "chat"],
        capture_output=True,
        text=True,
        timeout=60,
        env=on_moto_server["env"],
        cwd=on_moto_server["cwd"],
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert [line.split("  ")[-1] for line in done.stdout.splitlines()] == [
        "Ada may join",
        "chat: Ab1= says hello",
        "$default Ab1=: ValueError: bad text",
        "REPORT 4.5 ms (billed 5 ms), 60 of 512 MB",
    ]


def test_follow_prints_new_lines_as_they_come_and_ctrl_c_ends_it_cleanly(
    on_moto_server: dict[str, Any],
) -> None:
    follow = subprocess.Popen(
        [EVENTUAL, "logs", "--follow", "--socket", "lobby"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**on_moto_server["env"], "PYTHONUNBUFFERED": "1"},
        cwd=on_moto_server["cwd"],
    )
    seen: list[str] = []
    arrived = threading.Event()

    def read() -> None:
        assert follow.stdout is not None
        for line in follow.stdout:
            seen.append(line.rstrip("\n"))
            if "second" in line:
                arrived.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 30
        while not seen and time.monotonic() < deadline:
            time.sleep(0.05)
        assert seen and seen[0].endswith("lobby: pong")
        now = int(time.time() * 1000)
        write(on_moto_server["client"], now, {stream("my-service--lobby", "0e0f"): [(0, "lobby: second")]})
        assert arrived.wait(30), seen
        follow.send_signal(signal.SIGINT)
        follow.wait(timeout=30)
    finally:
        if follow.poll() is None:
            follow.kill()
    reader.join(timeout=5)
    assert follow.returncode == 0
    assert follow.stderr is not None and "Traceback" not in follow.stderr.read()
    assert [line.split("  ")[-1] for line in seen] == ["lobby: pong", "lobby: second"]
