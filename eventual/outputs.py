"""The CloudFormation outputs a Service writes and ``eventual get service`` reads.

Output logical ids cannot hold every socket name (``rtc-socket`` has a dash), so each
output's Description says what it is: ``eventual <service>[@<stage>] <kind> [<socket name>]``,
the stage left out for the default one. Names never contain spaces or ``@`` (service, stage
and socket names are validated), so the split is exact.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

OutputKind: TypeAlias = Literal["api", "event-bus-arn", "log-group", "socket"]
OUTPUT_KINDS: tuple[OutputKind, ...] = ("api", "event-bus-arn", "log-group", "socket")
DEFAULT_STAGE = "default"
"""The stage a service deploys to unless told otherwise; its resources carry the service's name alone."""
_PREFIX = "eventual"
_STAGE_MARK = "@"


def output_description(
    service: str, kind: OutputKind, socket: str | None = None, *, stage: str = DEFAULT_STAGE
) -> str:
    """The Description that tags one output."""
    parts = [_PREFIX, service if stage == DEFAULT_STAGE else f"{service}{_STAGE_MARK}{stage}", kind]
    if kind == "socket":
        if not socket:
            raise ValueError("a socket output needs the socket's name")
        parts.append(socket)
    return " ".join(parts)


@dataclass
class ServiceEndpoints:
    """What ``eventual get service`` prints for one stage of one service."""

    name: str
    api: str | None = None
    event_bus_arn: str | None = None
    log_group: str | None = None
    sockets: dict[str, str] = field(default_factory=dict)
    """Socket name -> ``wss://`` URL."""
    stage: str = DEFAULT_STAGE


def services_from_outputs(outputs: Iterable[Mapping[str, str]]) -> dict[str, ServiceEndpoints]:
    """Group CloudFormation outputs (``OutputValue``/``Description`` dicts) by service and stage.

    Keys are ``<service>`` for the default stage, ``<service>@<stage>`` for others. Outputs not
    written by a Service are ignored.
    """
    services: dict[str, ServiceEndpoints] = {}
    for output in outputs:
        parts = (output.get("Description") or "").split(" ")
        if len(parts) < 3 or parts[0] != _PREFIX or parts[2] not in OUTPUT_KINDS:
            continue
        name, _, stage = parts[1].partition(_STAGE_MARK)
        service = services.setdefault(parts[1], ServiceEndpoints(name, stage=stage or DEFAULT_STAGE))
        value = output.get("OutputValue", "")
        kind = parts[2]
        if kind == "api":
            service.api = value
        elif kind == "event-bus-arn":
            service.event_bus_arn = value
        elif kind == "log-group":
            service.log_group = value
        elif len(parts) == 4:
            service.sockets[parts[3]] = value
    return services
