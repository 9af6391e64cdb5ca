"""``eventual logs``: a deployed service's log lines from CloudWatch Logs, newest last.

The service is found as ``eventual get service`` finds it; its log group and which function serves
which socket come from the stack's outputs. Lines are read with ``FilterLogEvents`` (a filter
pattern is CloudWatch's own, applied there) and attributed by their stream's name
(:mod:`eventual.cli.log_lines`). ``--follow`` polls: after a poll that found nothing the wait
doubles, from 1 s to 10 s; a poll that finds lines starts again at 1 s. Each poll looks back 10 s
for lines CloudWatch ingested late, and prints none twice. boto3 loads inside the command.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from eventual.cli.aws_errors import aws_errors
from eventual.cli.get_service import DeployedService, aws_client, aws_session, find_deployed
from eventual.cli.options import PROFILE_OPTION, REGION_OPTION, SERVICE_OPTION, STAGE_OPTION
from eventual.outputs import FunctionOwner

if TYPE_CHECKING:
    from mypy_boto3_logs import CloudWatchLogsClient
    from mypy_boto3_logs.type_defs import FilteredLogEventTypeDef

    from eventual.cli.log_lines import LogLine

POLL_MIN_SECONDS = 1.0
POLL_MAX_SECONDS = 10.0
LOOKBACK_MS = 10_000
"""How far back each ``--follow`` poll reads again: CloudWatch Logs may ingest a line later than
its timestamp, and one poll must not step past it."""
_NEEDS = "reading the service's logs needs logs:FilterLogEvents on its log group"


_SINCE = click.option(
    "--since",
    default="10m",
    show_default=True,
    metavar="WHEN",
    help="From when: an age (30s, 10m, 1h, 2d, 1w) or an ISO 8601 time (UTC unless it names a zone).",
)
_FILTER = click.option(
    "--filter",
    "pattern",
    metavar="PATTERN",
    help='A CloudWatch Logs filter pattern: ERROR, "some text", { $.level = "ERROR" }.',
)
_VERBOSE = click.option(
    "--verbose", "-v", is_flag=True, help="Tracebacks, whole request ids, each invocation's start."
)


@click.command("logs", short_help="Print a deployed service's log lines.")
@click.option("--socket", "socket_name", metavar="NAME", help="Only the lines of this socket's functions.")
@SERVICE_OPTION
@STAGE_OPTION
@_SINCE
@click.option("--follow", "-f", is_flag=True, help="Keep printing new lines until Ctrl-C.")
@_FILTER
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per line, for scripts.")
@_VERBOSE
@REGION_OPTION
@PROFILE_OPTION
def logs(
    socket_name: str | None,
    service_name: str | None,
    stage: str | None,
    since: str,
    follow: bool,
    pattern: str | None,
    as_json: bool,
    verbose: bool,
    region: str | None,
    profile: str | None,
) -> None:
    """Print a deployed service's log lines, newest last: every socket's functions, its
    authorizers', the HTTP API's and the fan-out worker's (they share the service's log group).

    Each line shows its time (UTC), the socket (or function) that wrote it, its level and its
    invocation's request id. A failed handler reads as the socket, route, connection and the
    error's first line; --verbose adds its traceback. The service is chosen as by
    `eventual get service`.

    \b
    Examples:
      eventual logs --since 1h
      eventual logs --socket chat --follow
      eventual logs --filter ERROR --json
    """
    from eventual.cli.log_lines import parse_since  # here: `eventual --help` never compiles it

    try:
        start = parse_since(since, datetime.now(UTC))
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--since") from None
    service = find_deployed(service_name, stage, region, profile)
    group = service.endpoints.log_group
    if not group:
        raise click.ClickException(f"stack {service.stack} names no log group for service {service.name}")
    owners = _owners(service, socket_name)
    with aws_errors("CloudWatch Logs", _NEEDS):
        client: CloudWatchLogsClient = aws_client(aws_session(region or service.region, profile), "logs")
    _print(client, group, start, pattern, follow, _Printer(owners, socket_name, as_json, verbose))


def _print(
    client: CloudWatchLogsClient, group: str, start: int, pattern: str | None, follow: bool, printer: _Printer
) -> None:
    try:
        if follow:
            _follow(client, group, start, pattern, printer)
        else:
            for page in _pages(client, group, start, pattern):
                printer.print(page)
    except KeyboardInterrupt:  # Ctrl-C ends a follow: not an error
        return
    except BrokenPipeError:  # `eventual logs | head`: the reader is gone, and so are we
        # As Python's signal docs advise: point stdout at devnull so the exit's flush cannot fail.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)


def _owners(service: DeployedService, socket_name: str | None) -> Mapping[str, FunctionOwner]:
    owners = service.endpoints.functions
    if socket_name is None:
        return owners
    sockets = sorted(service.endpoints.sockets)
    if socket_name not in service.endpoints.sockets:
        raise click.BadParameter(
            f"service {service.name} (stage {service.stage}) has no socket {socket_name!r}; its sockets: "
            f"{', '.join(sockets) or '(none)'}",
            param_hint="--socket",
        )
    if not owners:
        raise click.ClickException(
            f"stack {service.stack} says which function serves which socket only once deployed with this "
            "version of eventual: deploy again, or leave out --socket"
        )
    return owners


class _Printer:
    """Prints lines of the chosen socket (or all), aligned, text or JSON."""

    def __init__(
        self, owners: Mapping[str, FunctionOwner], socket: str | None, as_json: bool, verbose: bool
    ) -> None:
        from eventual.cli.log_lines import Attributor

        self._attributor = Attributor(owners)
        self._socket = socket
        self._as_json = as_json
        self._verbose = verbose
        shown = [o for o in owners.values() if socket is None or o.socket == socket]
        self._width = max((len(o.label) for o in shown), default=0)

    def print(self, events: Iterable[FilteredLogEventTypeDef]) -> int:
        """Print ``events`` oldest first; returns how many there were."""
        ordered = sorted(events, key=lambda e: (e.get("timestamp", 0), e.get("ingestionTime", 0)))
        for event in ordered:
            line = self._attributor.line(event)
            if self._shown(line):
                click.echo(self._json(line) if self._as_json else self._text(line))
        return len(ordered)

    def _shown(self, line: LogLine) -> bool:
        if self._socket is not None and line.socket != self._socket:
            return False
        return self._verbose or self._as_json or not line.hidden

    def _text(self, line: LogLine) -> str:
        from eventual.cli.log_lines import render_text

        return render_text(line, label_width=self._width, verbose=self._verbose)

    def _json(self, line: LogLine) -> str:
        from eventual.cli.log_lines import render_json

        return render_json(line)


def _pages(
    client: CloudWatchLogsClient, group: str, start: int, pattern: str | None
) -> Iterator[list[FilteredLogEventTypeDef]]:
    """Every event since ``start``, a page at a time (CloudWatch returns them in time order)."""
    arguments: dict[str, Any] = {"logGroupName": group, "startTime": start}
    if pattern:
        arguments["filterPattern"] = pattern
    with aws_errors("CloudWatch Logs", _NEEDS):
        try:
            for page in client.get_paginator("filter_log_events").paginate(**arguments):
                yield page.get("events", [])
        except client.exceptions.ResourceNotFoundException:
            raise click.ClickException(
                f"log group {group} does not exist: the stack that named it was deleted, or its "
                "deployment has not created it yet"
            ) from None


def _follow(
    client: CloudWatchLogsClient, group: str, start: int, pattern: str | None, printer: _Printer
) -> None:
    """Poll until Ctrl-C, with backoff; ``seen`` holds the ids of the look-back window only."""
    seen: dict[str, int] = {}
    latest = start
    delay = POLL_MIN_SECONDS
    while True:
        found = 0
        for page in _pages(client, group, max(start, latest - LOOKBACK_MS), pattern):
            fresh = [event for event in page if str(event.get("eventId")) not in seen]
            for event in fresh:
                seen[str(event.get("eventId"))] = int(event.get("timestamp", 0))
                latest = max(latest, int(event.get("timestamp", 0)))
            found += printer.print(fresh)
        sys.stdout.flush()
        window = latest - LOOKBACK_MS
        seen = {event_id: stamp for event_id, stamp in seen.items() if stamp >= window}
        delay = POLL_MIN_SECONDS if found else min(delay * 2, POLL_MAX_SECONDS)
        time.sleep(delay)
