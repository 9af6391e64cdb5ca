"""The CloudFormation outputs a Service writes and ``eventual get service`` reads.

Output logical ids cannot hold every socket name (``rtc-socket`` has a dash), so each
output's Description says what it is: ``eventual <service>[@<stage>] <kind> [<socket name>]``,
the stage left out for the default one. Names never contain spaces or ``@`` (service, stage
and socket names are validated), so the split is exact.

Kinds: ``api`` (the HTTP API's URL), ``event-bus-arn``, ``log-group``, ``socket`` (one per
socket: the URL clients connect to, on the custom domain if the stage has one), ``domain`` (the
stage's WebSocket custom domain, if any) and ``functions``: per socket, ``role=function-name``
pairs joined by ``,`` (``socket=my-service-chat,authorizer=my-service-chat-authorizer``), and once
without a socket name for the service's own functions (``http-api=...,fan-out=...``). Lambda
names a custom log group's streams after the function (``eventual logs`` reads them so), and the
function names are the construct's to choose: the outputs say them, the CLI never derives them.
A reader ignores kinds it does not know, so older CLIs read newer stacks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, NamedTuple, TypeAlias

OutputKind: TypeAlias = Literal["api", "event-bus-arn", "log-group", "socket", "domain", "functions"]
OUTPUT_KINDS: tuple[OutputKind, ...] = ("api", "event-bus-arn", "log-group", "socket", "domain", "functions")
DEFAULT_STAGE = "default"
"""The stage a service deploys to unless told otherwise; its resources carry the service's name alone."""
_PREFIX = "eventual"
_STAGE_MARK = "@"


def output_description(
    service: str, kind: OutputKind, socket: str | None = None, *, stage: str = DEFAULT_STAGE
) -> str:
    """The Description that tags one output."""
    parts = [_PREFIX, service if stage == DEFAULT_STAGE else f"{service}{_STAGE_MARK}{stage}", kind]
    if kind == "socket" and not socket:
        raise ValueError("a socket output needs the socket's name")
    if socket and kind in ("socket", "functions"):
        parts.append(socket)
    return " ".join(parts)


def functions_value(roles: Mapping[str, str]) -> str:
    """A ``functions`` output's value: ``role=function-name`` pairs (neither holds ``,`` or ``=``)."""
    return ",".join(f"{role}={name}" for role, name in roles.items())


class FunctionOwner(NamedTuple):
    """What a function of the service serves: a socket (``role`` ``socket`` or ``authorizer``), or
    the service itself (``socket`` None; ``role`` ``http-api`` or ``fan-out``)."""

    socket: str | None
    role: str

    @property
    def label(self) -> str:
        """How a log line names it: ``chat``, ``chat authorizer``, ``http-api``, ``fan-out``."""
        if self.socket is None:
            return self.role
        return self.socket if self.role == "socket" else f"{self.socket} {self.role}"


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
    domain: str | None = None
    """The stage's WebSocket custom domain, if it has one."""
    functions: dict[str, FunctionOwner] = field(default_factory=dict)
    """Function name -> what it serves (stacks written before these outputs have none)."""


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
        elif kind == "domain":
            service.domain = value or None
        elif kind == "functions":
            owner = parts[3] if len(parts) == 4 else None
            for role, _, function in (pair.partition("=") for pair in value.split(",") if pair):
                service.functions[function] = FunctionOwner(owner, role)
        elif len(parts) == 4:
            service.sockets[parts[3]] = value
    return services
