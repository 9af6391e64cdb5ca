"""What ``eventual logs`` makes of each kind of line a function's log stream holds.

The lines are shaped as Lambda writes them to CloudWatch Logs: its JSON log format (application
lines from ``logging`` with ``timestamp``/``level``/``message``/``logger``/``requestId``; platform
lines ``{"time", "type": "platform.*", "record": {...}}``, as the Telemetry API's events), its text
format (``[LEVEL]\\t<time>\\t<request id>\\t<message>``; ``START``/``END``/``REPORT RequestId: ...``),
and ``print`` output as printed. Streams of a custom log group are named
``YYYY/MM/DD/<function_name>[<function_version>]<environment id>`` ("Configuring CloudWatch log
groups", Lambda developer guide).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from eventual.cli.log_lines import (
    MAX_STREAMS,
    Attributor,
    LogLine,
    iso_time,
    parse_since,
    render_json,
    render_text,
    stream_function,
)
from eventual.outputs import FunctionOwner

T0 = 1_748_779_200_000  # 2025-06-01T12:00:00.000Z
REQUEST = "8f507cfc-1111-4697-b07a-ac58fc914c95"
STREAM = "2025/06/01/my-service-chat[$LATEST]3893a6b17fac4485b47bb75b671a283c"
OWNERS = {
    "my-service-chat": FunctionOwner("chat", "socket"),
    "my-service-chat-authorizer": FunctionOwner("chat", "authorizer"),
    "my-service-fan-out": FunctionOwner(None, "fan-out"),
}


def event(message: str | dict[str, Any], offset: int = 0, stream: str = STREAM) -> dict[str, Any]:
    text = message if isinstance(message, str) else json.dumps(message)
    return {"logStreamName": stream, "timestamp": T0 + offset, "message": text + "\n", "eventId": str(offset)}


def start(request: str = REQUEST) -> dict[str, Any]:
    return {
        "time": "2025-06-01T12:00:00.000Z",
        "type": "platform.start",
        "record": {"requestId": request, "version": "$LATEST"},
    }


def report(request: str = REQUEST, status: str = "success", **metrics: float) -> dict[str, Any]:
    measured = {
        "durationMs": 12.34,
        "billedDurationMs": 13,
        "memorySizeMB": 512,
        "maxMemoryUsedMB": 56,
        **metrics,
    }
    body = {"requestId": request, "metrics": measured, "status": status}
    return {"time": "2025-06-01T12:00:00.020Z", "type": "platform.report", "record": body}


def app(message: str, level: str = "INFO", **extra: Any) -> dict[str, Any]:
    return {
        "timestamp": "2025-06-01T12:00:00.005Z",
        "level": level,
        "message": message,
        "logger": "root",
        "requestId": REQUEST,
        **extra,
    }


@pytest.mark.parametrize(
    ("stream", "function"),
    [
        (STREAM, "my-service-chat"),
        ("2025/06/01/my-service-chat-authorizer[3]abc", "my-service-chat-authorizer"),
        ("2025/06/01/[$LATEST]abc", None),  # a function's own log group: no name in its streams
        ("not-a-lambda-stream", None),
    ],
)
def test_the_stream_names_its_function(stream: str, function: str | None) -> None:
    assert stream_function(stream) == function


def test_a_json_application_line_carries_its_level_request_and_socket() -> None:
    line = Attributor(OWNERS).line(event(app("chat: abc= connected")))
    assert (line.kind, line.level, line.request_id, line.socket, line.label) == (
        "app",
        "INFO",
        REQUEST,
        "chat",
        "chat",
    )
    assert line.message == "chat: abc= connected"
    assert render_text(line) == "2025-06-01T12:00:00.000Z  chat  INFO   [8f507cfc]  chat: abc= connected"


def test_an_authorizers_line_is_its_sockets_and_says_so() -> None:
    stream = "2025/06/01/my-service-chat-authorizer[$LATEST]0a1b"
    line = Attributor(OWNERS).line(event(app("checking"), stream=stream))
    assert (line.socket, line.label) == ("chat", "chat authorizer")


def test_a_failure_reads_time_socket_route_connection_and_the_errors_first_line() -> None:
    failure = app(
        "chat handler failed: ValueError: bad\nmore",
        level="ERROR",
        socket="chat",
        route="$default",
        connectionId="Ab1=",
        error="ValueError: bad\nmore",
        traceback='Traceback (most recent call last):\n  File "h.py", line 3\nValueError: bad\nmore\n',
    )
    line = Attributor(OWNERS).line(event(failure, 7))
    assert line.failure
    assert render_text(line, label_width=15) == (
        "2025-06-01T12:00:00.007Z  chat             ERROR  [8f507cfc]  $default Ab1=: ValueError: bad"
    )
    assert render_text(line, verbose=True).splitlines() == [
        f"2025-06-01T12:00:00.007Z  chat  ERROR  [{REQUEST}]  $default Ab1=: ValueError: bad",
        "    Traceback (most recent call last):",
        '      File "h.py", line 3',
        "    ValueError: bad",
        "    more",
    ]


def test_a_record_logged_as_json_text_lends_its_keys_to_the_line() -> None:
    """Where a function logs text, eventual's failure record is the message itself, as JSON."""
    record = {
        "level": "ERROR",
        "message": "chat handler failed: KeyError: 'x'",
        "socket": "chat",
        "route": "say",
    }
    record |= {"connectionId": "C=", "error": "KeyError: 'x'", "traceback": "T"}
    text = f"[ERROR]\t2025-06-01T12:00:00.005Z\t{REQUEST}\t{json.dumps(record)}"
    line = Attributor(OWNERS).line(event(text))
    assert (line.kind, line.level, line.request_id, line.failure) == ("app", "ERROR", REQUEST, True)
    assert line.message == "chat handler failed: KeyError: 'x'"
    assert render_text(line).endswith("[8f507cfc]  say C=: KeyError: 'x'")


def test_the_fan_out_workers_json_message_reads_as_its_summary() -> None:
    stream = "2025/06/01/my-service-fan-out[$LATEST]0a"
    message = json.dumps({"eventual": "fan-out batch failed", "messageId": "m1", "error": "Boom: x"})
    line = Attributor(OWNERS).line(event(app(message, level="ERROR"), stream=stream))
    assert (line.label, line.socket, line.message, line.record["messageId"]) == (
        "fan-out",
        None,
        "fan-out batch failed",
        "m1",
    )


def test_platform_lines_report_and_hide_the_start_unless_verbose() -> None:
    attributor = Attributor(OWNERS)
    started = attributor.line(event(start()))
    assert (started.kind, started.platform, started.request_id, started.hidden) == (
        "platform",
        "platform.start",
        REQUEST,
        True,
    )
    reported = attributor.line(event(report(initDurationMs=130.49), 20))
    assert not reported.hidden and reported.level == "INFO"
    assert reported.message == "REPORT 12.34 ms (billed 13 ms), 56 of 512 MB, init 130.49 ms"
    timed_out = attributor.line(event(report(status="timeout"), 30))
    assert timed_out.level == "ERROR" and timed_out.message.startswith("REPORT timeout, 12.34 ms")


def test_printed_lines_belong_to_the_invocation_their_stream_is_running() -> None:
    """One execution environment runs one invocation at a time, between its start and its report."""
    attributor = Attributor(OWNERS)
    other = "2025/06/01/my-service-chat[$LATEST]ffff"
    attributor.line(event(start()))
    attributor.line(event(start("second-request"), 1, stream=other))
    printed = attributor.line(event("chat: abc= connected", 2))
    elsewhere = attributor.line(event("hello from the other one", 3, stream=other))
    assert (printed.kind, printed.level, printed.request_id) == ("text", None, REQUEST)
    assert elsewhere.request_id == "second-request"
    attributor.line(event(report(), 4))
    assert attributor.line(event("after the report", 5)).request_id is None
    assert render_text(printed) == "2025-06-01T12:00:00.002Z  chat  -      [8f507cfc]  chat: abc= connected"


def test_the_streams_it_remembers_are_bounded() -> None:
    attributor = Attributor(OWNERS)
    for i in range(MAX_STREAMS + 10):
        attributor.line(event(start(f"r{i}"), stream=f"2025/06/01/my-service-chat[$LATEST]{i:04x}"))
    assert attributor.line(event("x", stream="2025/06/01/my-service-chat[$LATEST]0000")).request_id is None
    last = f"2025/06/01/my-service-chat[$LATEST]{MAX_STREAMS + 9:04x}"
    assert attributor.line(event("x", stream=last)).request_id == f"r{MAX_STREAMS + 9}"


def test_text_format_platform_lines_are_read_too() -> None:
    attributor = Attributor(OWNERS)
    started = attributor.line(event(f"START RequestId: {REQUEST} Version: $LATEST"))
    assert (started.platform, started.request_id) == ("START", REQUEST)
    assert attributor.line(event("printed", 1)).request_id == REQUEST
    line = attributor.line(
        event(f"REPORT RequestId: {REQUEST}\tDuration: 15.74 ms\tBilled Duration: 16 ms", 2)
    )
    assert line.message == "REPORT Duration: 15.74 ms Billed Duration: 16 ms"


def test_a_line_of_an_unknown_function_is_named_after_it() -> None:
    stream = "2025/06/01/someone-else[$LATEST]0a"
    line = Attributor(OWNERS).line(event("hi", stream=stream))
    assert (line.owner, line.socket, line.label) == (None, None, "someone-else")


def test_json_output_is_one_object_with_every_key() -> None:
    line = Attributor(OWNERS).line(event(app("hello", extra_key=1), 512))
    data = json.loads(render_json(line))
    assert data == {
        "time": "2025-06-01T12:00:00.512Z",
        "timestamp": T0 + 512,
        "socket": "chat",
        "role": "socket",
        "function": "my-service-chat",
        "logStream": STREAM,
        "level": "INFO",
        "requestId": REQUEST,
        "message": "hello",
        "record": app("hello", extra_key=1),
    }
    printed = json.loads(render_json(Attributor({}).line(event("plain"))))
    assert (printed["record"], printed["socket"], printed["message"]) == (None, None, "plain")


def test_times_print_in_utc_to_the_millisecond() -> None:
    assert iso_time(T0 + 7) == "2025-06-01T12:00:00.007Z"
    assert isinstance(LogLine(T0, STREAM, None, None, "text", "x").label, str)


NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("since", "expected"),
    [
        ("30s", T0 - 30_000),
        ("10m", T0 - 600_000),
        ("1h", T0 - 3_600_000),
        ("2d", T0 - 2 * 86_400_000),
        ("1w", T0 - 7 * 86_400_000),
        ("2025-06-01T11:00:00Z", T0 - 3_600_000),
        ("2025-06-01T11:00:00", T0 - 3_600_000),  # no zone: UTC
        ("2025-06-01T13:00:00+02:00", T0 - 3_600_000),
    ],
)
def test_since_takes_an_age_or_an_iso_time(since: str, expected: int) -> None:
    assert parse_since(since, NOW) == expected


@pytest.mark.parametrize("since", ["10", "ten minutes", "10y", "-1h", ""])
def test_since_refuses_what_it_cannot_read_and_says_what_it_takes(since: str) -> None:
    with pytest.raises(ValueError, match=r"give an age \(30s, 10m, 1h, 2d, 1w\) or an ISO 8601 time"):
        parse_since(since, NOW)
