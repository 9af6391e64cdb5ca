"""What ``eventual logs`` makes of one CloudWatch Logs event: which function and socket wrote it, its
level, its invocation's request id, and how to print it.

The service's functions share one log group. Lambda names each stream of a custom log group
``YYYY/MM/DD/<function_name>[<function_version>]<environment id>`` ("Configuring CloudWatch log
groups", Lambda developer guide), so the stream says which function wrote a line, and the
stack's ``functions`` outputs say which socket that function serves (:mod:`eventual.outputs`).

A line is one of (the construct sets Lambda's JSON log format; text is read too, for functions
whose options chose it):

- an application line: ``{"timestamp", "level", "message", "logger", "requestId", ...}`` (JSON, the
  Python runtime's formatter, with a record's ``extra`` fields as keys), or in text
  ``[LEVEL]\\t<time>\\t<request id>\\t<message>``; eventual's failure record adds ``socket``,
  ``route``, ``connectionId``, ``error`` and ``traceback`` (:mod:`eventual.runtime.failures`);
- a platform line: ``{"time", "type": "platform.start" | "platform.report" | ..., "record": {...}}``,
  or in text ``START RequestId: ...`` / ``END`` / ``REPORT``;
- anything else a function printed, as it was printed (``print`` output is never JSON-formatted).
  It belongs to the invocation its stream was running (one environment runs one at a time).
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from eventual.outputs import FunctionOwner

LineKind = Literal["app", "platform", "text"]

_TEXT_APP_LINE = re.compile(
    r"\[(TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL|CRITICAL)\]\t(\S+)\t(\S+)\t(.*)", re.S
)
"""The Python runtime's text format for a ``logging`` record."""
_TEXT_PLATFORM = re.compile(r"(START|END|REPORT) RequestId: (\S+)(.*)", re.S)
_RELATIVE = re.compile(r"(\d+)\s*(s|m|h|d|w)")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
HIDDEN_PLATFORM = frozenset(
    {"platform.start", "platform.runtimeDone", "platform.initStart", "platform.initRuntimeDone"}
)
"""Platform lines shown only with ``--verbose``: each invocation's start and end (its report stays)."""
MAX_STREAMS = 1024
"""Streams whose running invocation is remembered: a follow of days meets new streams forever."""


@dataclass
class LogLine:
    """One log event, attributed and parsed."""

    timestamp: int
    """When CloudWatch says it happened, in epoch milliseconds."""
    stream: str
    function: str | None
    owner: FunctionOwner | None
    kind: LineKind
    message: str
    level: str | None = None
    request_id: str | None = None
    platform: str | None = None
    """The platform event's type (``platform.report``...), for a platform line."""
    record: dict[str, Any] = field(default_factory=dict)
    """The line's JSON object as logged (with a JSON message's own keys added); ``{}`` for text."""

    @property
    def socket(self) -> str | None:
        return self.owner.socket if self.owner else None

    @property
    def label(self) -> str:
        """Who wrote it: ``chat``, ``chat authorizer``, ``http-api``, ``fan-out``, else the function."""
        return self.owner.label if self.owner else (self.function or "?")

    @property
    def failure(self) -> bool:
        """eventual's record of a failed handler, middleware or authorizer."""
        return "error" in self.record and "socket" in self.record

    @property
    def hidden(self) -> bool:
        """Shown only with ``--verbose``."""
        return self.platform in HIDDEN_PLATFORM


def stream_function(stream: str) -> str | None:
    """The function named in a custom log group's stream name, or None for another shape."""
    parts = stream.split("/", 3)
    if len(parts) < 4:
        return None
    name = parts[3].partition("[")[0]
    return name or None


class Attributor:
    """Parses a service's log events; remembers each stream's running invocation (bounded), so that
    printed lines get its request id."""

    def __init__(self, owners: Mapping[str, FunctionOwner]) -> None:
        self.owners = owners
        self._running: OrderedDict[str, str] = OrderedDict()

    def line(self, event: Mapping[str, Any]) -> LogLine:
        stream = str(event.get("logStreamName", ""))
        function = stream_function(stream)
        line = parse_message(
            str(event.get("message", "")),
            timestamp=int(event.get("timestamp", 0)),
            stream=stream,
            function=function,
            owner=self.owners.get(function or ""),
        )
        self._track(line)
        return line

    def _track(self, line: LogLine) -> None:
        if line.platform in ("platform.start", "START") and line.request_id:
            self._running[line.stream] = line.request_id
            self._running.move_to_end(line.stream)
            while len(self._running) > MAX_STREAMS:
                self._running.popitem(last=False)
        elif line.platform in ("platform.report", "REPORT", "END"):
            self._running.pop(line.stream, None)
        elif line.kind == "text" and line.request_id is None:
            line.request_id = self._running.get(line.stream)


def parse_message(
    message: str, *, timestamp: int, stream: str, function: str | None, owner: FunctionOwner | None
) -> LogLine:
    """One event's message, as :class:`LogLine` (see the module's list of shapes)."""
    text = message.rstrip("\n")
    line = LogLine(timestamp, stream, function, owner, "text", text)
    parsed = _json_object(text)
    if parsed is not None and str(parsed.get("type", "")).startswith("platform."):
        return _platform(line, parsed)
    if parsed is not None and ("level" in parsed or "message" in parsed):
        line.kind, line.record = "app", parsed
        line.level = _level(parsed.get("level"))
        line.request_id = _str(parsed.get("requestId"))
        line.message = _app_message(line, parsed.get("message"))
        return line
    if match := _TEXT_APP_LINE.fullmatch(text):
        line.kind, line.level, line.request_id = "app", _level(match[1]), match[3]
        line.message = _app_message(line, match[4])
        return line
    if match := _TEXT_PLATFORM.fullmatch(text):
        line.kind, line.platform, line.request_id = "platform", match[1], match[2]
        line.level = "INFO"
        line.message = f"{match[1]}{match[3].rstrip()}".replace("\t", " ")
        return line
    return line


def _app_message(line: LogLine, message: object) -> str:
    """The message; one that is itself a JSON object (eventual's records where logs are text, the
    fan-out worker's) lends its keys to the record and its ``message`` to the line."""
    text = message if isinstance(message, str) else json.dumps(message)
    nested = _json_object(text)
    if nested is None:
        return text
    line.record = {**nested, **line.record}
    line.level = line.level or _level(nested.get("level"))
    inner = nested.get("message") or nested.get("eventual")
    return str(inner) if inner is not None else text


def _platform(line: LogLine, parsed: dict[str, Any]) -> LogLine:
    record = parsed.get("record") if isinstance(parsed.get("record"), dict) else {}
    assert isinstance(record, dict)
    kind = str(parsed["type"])
    line.kind, line.platform, line.record = "platform", kind, parsed
    line.request_id = _str(record.get("requestId"))
    status = record.get("status")
    line.level = "ERROR" if status not in (None, "success") else "INFO"
    name = kind.removeprefix("platform.")
    if kind == "platform.report":
        line.message = "REPORT " + _report(record)
    elif status not in (None, "success"):
        line.message = f"{name}: {status}" + (f" ({record['errorType']})" if record.get("errorType") else "")
    else:
        line.message = name
    return line


def _report(record: Mapping[str, Any]) -> str:
    metrics = record.get("metrics") if isinstance(record.get("metrics"), Mapping) else {}
    assert isinstance(metrics, Mapping)
    parts = []
    status = record.get("status")
    if status not in (None, "success"):
        parts.append(f"{status}" + (f" ({record['errorType']})" if record.get("errorType") else ""))
    if "durationMs" in metrics:
        billed = f" (billed {metrics['billedDurationMs']:g} ms)" if "billedDurationMs" in metrics else ""
        parts.append(f"{metrics['durationMs']:g} ms{billed}")
    if "maxMemoryUsedMB" in metrics:
        of = f" of {metrics['memorySizeMB']:g}" if "memorySizeMB" in metrics else ""
        parts.append(f"{metrics['maxMemoryUsedMB']:g}{of} MB")
    if "initDurationMs" in metrics:
        parts.append(f"init {metrics['initDurationMs']:g} ms")
    return ", ".join(parts)


def _json_object(text: str) -> dict[str, Any] | None:
    if not text.startswith("{"):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _level(value: object) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    upper = value.upper()
    return {"WARNING": "WARN", "CRITICAL": "FATAL"}.get(upper, upper)


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


# -- printing ---------------------------------------------------------------------------------


def iso_time(timestamp_ms: int) -> str:
    """``2025-06-01T12:00:00.512Z``: UTC, to the millisecond."""
    moment = datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def render_text(line: LogLine, *, label_width: int = 0, verbose: bool = False) -> str:
    """One line for a terminal: time, who, level, request id, and the message.

    A failure reads ``time  socket  ERROR  [request]  route connection: error's first line``, with
    its traceback below, indented, under ``verbose``. ``verbose`` also shows whole request ids."""
    request = line.request_id or ""
    short = request if verbose else request[:8]
    head = f"{iso_time(line.timestamp)}  {line.label:<{label_width}}  {line.level or '-':<5}  [{short:<8}]"
    if line.failure:
        record = line.record
        error = str(record.get("error", "")).splitlines() or [""]
        where = " ".join(str(record.get(k) or "-") for k in ("route", "connectionId"))
        text = f"{head}  {where}: {error[0]}"
        trace = str(record.get("traceback") or "").rstrip("\n")
        if verbose and trace:
            text += "\n" + "\n".join(f"    {t}" for t in trace.splitlines())
        return text
    return f"{head}  {line.message}"


def render_json(line: LogLine) -> str:
    """One JSON object for scripts: every key always present."""
    return json.dumps(
        {
            "time": iso_time(line.timestamp),
            "timestamp": line.timestamp,
            "socket": line.socket,
            "role": line.owner.role if line.owner else None,
            "function": line.function,
            "logStream": line.stream,
            "level": line.level,
            "requestId": line.request_id,
            "message": line.message,
            "record": line.record or None,
        },
        default=str,
    )


# -- --since ----------------------------------------------------------------------------------


def parse_since(text: str, now: datetime) -> int:
    """``--since``: ``30s``, ``10m``, ``1h``, ``2d``, ``1w`` before ``now``, or an ISO 8601 time (UTC
    when it names no zone), as epoch milliseconds. Raises ``ValueError`` saying what it takes."""
    value = text.strip()
    if match := _RELATIVE.fullmatch(value):
        moment = now - timedelta(**{_UNITS[match[2]]: int(match[1])})
        return int(moment.timestamp() * 1000)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a time: give an age (30s, 10m, 1h, 2d, 1w) or an ISO 8601 time "
            "(2025-06-01T12:00:00Z; UTC when no zone is given)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)
