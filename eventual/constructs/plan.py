"""What ``Service`` will build, decided without the CDK: one frozen plan per socket.

:func:`plan_service` turns the sockets an entry declares and the construct's options (as plain
fields: :mod:`eventual.constructs.options` reads CDK structs into them) into a
:class:`ServicePlan`: every name, each function's merged options, environment, role and timeout,
each authorizer. Every check that needs no construct runs here, so a service that cannot deploy
fails before the first construct exists, and tests read plans without starting jsii. This module
imports nothing from aws_cdk; ``Service`` builds what the plan says.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeAlias

from eventual.constructs.authorizer import HANDLER as AUTHORIZER_HANDLER
from eventual.constructs.authorizer import NOT_FOR_AUTHORIZER, authorizer_name, identity_source
from eventual.constructs.checks import check_environments, check_sockets, requirements_file
from eventual.constructs.errors import ServiceDefinitionError
from eventual.constructs.limits import check_routes
from eventual.constructs.names import (
    api_name,
    check_service_name,
    check_stage,
    check_stage_name,
    function_name,
    require_unique,
)
from eventual.constructs.operating_plan import OperatingOptions, OperatingPlan, plan_operating
from eventual.constructs.throttle import Throttle, throttle_of
from eventual.outputs import DEFAULT_STAGE
from eventual.sockets import Socket
from eventual.stages import name_prefix

if TYPE_CHECKING:
    from eventual.constructs.fanout_plan import FanOutPlan

HANDLER = "eventual.runtime.handler.handle"
DEFAULT_STAGE_NAME = "prod"
"""The default stage's API Gateway stage (the last segment of its ``wss://`` URLs); another stage's
is named like the stage."""
DEFAULT_MEMORY_MB = 512
DEFAULT_TIMEOUT_SECONDS = 10
API_GATEWAY_TIMEOUT_SECONDS = 29
"""API Gateway stops waiting for an integration after 29 s."""

DOCUMENT_HANDLER = "eventual.runtime.handler.service_document"
DOCUMENT_FUNCTION = "http-api"
"""The name (after the service's prefix) of the function serving the HTTP API's service document."""

RoleChoice: TypeAlias = Literal["socket", "authorizer", "document", "fan-out"]
"""Which of the service's roles a function runs under (unless its options name a role of their own).

Every socket function runs under ``"socket"``, tracked or not: any socket's code may list, broadcast
to and send on any socket of its service (``presence.connections()`` from an ``admin`` socket), as
under ``eventual local``; a role per kind of socket would make that fail only once deployed."""

_RESERVED_ENV = re.compile(r"EVENTUAL_")


class Seconds(Protocol):
    """A duration given the CDK way (``aws_cdk.Duration``)."""

    def to_seconds(self) -> float: ...


@dataclass(frozen=True)
class ServiceOptions:
    """The construct's options as plain fields."""

    name: str
    entry: str
    stage: str = DEFAULT_STAGE
    """The deployment stage: part of every physical name but the default stage's."""
    stage_name: str | None = None
    """The API Gateway stage; default: ``prod`` for the default stage, else the stage."""
    function_options: Mapping[str, Any] = field(default_factory=dict)
    """``aws_lambda.FunctionOptions`` fields for every socket's function."""
    socket_function_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Per socket name, ``FunctionOptions`` fields that win over all else."""
    socket_authorizer_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Per socket name, ``WebSocketLambdaAuthorizerProps`` fields."""
    requirements: Path | None = None
    """A ``requirements.txt`` given explicitly; ``None`` looks beside the entry."""
    region: str | None = None
    """The stack's region, if known at synth (sizes the socket URLs in the environment)."""
    throttle: Mapping[str, Any] = field(default_factory=dict)
    """``ThrottleSettings`` fields (``rate_limit``, ``burst_limit``) for every stage."""
    socket_throttle: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Per socket name, ``ThrottleSettings`` fields that win over ``throttle``."""
    fan_out_above: int | None = None
    """The service's fan-out threshold; ``None``: the runtime's (1,000)."""
    fan_out_concurrency: int | None = None
    """The fan-out worker's posts in flight per batch; ``None``: the runtime's (32)."""
    operating: OperatingOptions = field(default_factory=OperatingOptions)  # see operating_plan


@dataclass(frozen=True)
class FunctionPlan:
    """One Lambda function: what eventual decides, and the user's other options as given."""

    function_name: str
    description: str
    handler: str
    role: RoleChoice
    memory_size: int
    timeout_seconds: float
    environment: Mapping[str, str]
    """The user's variables, then eventual's own (``EVENTUAL_SOCKET_URLS`` is added once the
    stages exist; ``EVENTUAL_CONNECTIONS_TABLE``, on every socket function of a service that tracks
    connections, by the table's grant)."""
    options: Mapping[str, Any]
    """The other ``aws_lambda.FunctionOptions`` fields set (architecture, tracing, reserved
    concurrency, a role or log group of the user's own...), passed to the function as they are."""

    @property
    def past_api_gateway_timeout(self) -> bool:
        """A ``$default`` reply after 29 s never reaches the client."""
        return self.timeout_seconds > API_GATEWAY_TIMEOUT_SECONDS


@dataclass(frozen=True)
class AuthorizerPlan:
    """A socket's ``$connect`` Lambda REQUEST authorizer and its function."""

    name: str
    identity_source: tuple[str, ...]
    function: FunctionPlan


@dataclass(frozen=True)
class SocketPlan:
    """One socket: its function, WebSocket API, stage and optional authorizer."""

    service: str
    stage: str
    name: str
    socket: Socket
    api_name: str
    api_description: str
    stage_name: str
    throttle: Throttle
    tracked: bool
    function: FunctionPlan
    authorizer: AuthorizerPlan | None
    route_keys: tuple[str, ...]
    """The API's routes: ``$connect``, ``$disconnect``, ``$default`` unless the socket has message
    routes and no ``$default`` handler, then its message routes."""
    route_selection: str
    """The API's route selection expression (the socket's ``route_selection``)."""


@dataclass(frozen=True)
class ServicePlan:
    """Every socket's plan, in declaration order, and what the service shares."""

    name: str
    entry: str
    stage: str
    stage_name: str
    sockets: Mapping[str, SocketPlan]
    requirements: Path | None
    event_bus_name: str
    log_group_name: str
    http_api_name: str
    http_throttle: Throttle
    http_function: FunctionPlan
    """Serves ``GET /__eventual/service`` and ``GET /`` (:mod:`eventual.service_document`)."""
    description: str
    """``eventual service <name>``, with `` (stage <stage>)`` for another than the default stage."""
    fan_out: FanOutPlan | None = None
    """The fan-out queue and worker of a service that tracks connections (``fanout_plan``)."""
    operating: OperatingPlan = field(default_factory=OperatingPlan)  # see operating_plan

    @property
    def tracked(self) -> tuple[str, ...]:
        """Sockets declared with ``track_connections=True``."""
        return tuple(name for name, plan in self.sockets.items() if plan.tracked)

    @property
    def authorized(self) -> tuple[str, ...]:
        """Sockets declared with ``authorizer=``."""
        return tuple(name for name, plan in self.sockets.items() if plan.authorizer is not None)

    def physical_names(self) -> dict[str, str]:
        """Every name AWS holds unique per account and region (or shows as one), by what it names."""
        names = {"event bus": self.event_bus_name, "log group": self.log_group_name}
        names["HTTP API"] = self.http_api_name
        names["HTTP API: function"] = self.http_function.function_name
        for socket_name, plan in self.sockets.items():
            names[f"socket {socket_name}: API"] = plan.api_name
            names[f"socket {socket_name}: function"] = plan.function.function_name
            if plan.authorizer is not None:
                names[f"socket {socket_name}: authorizer function"] = plan.authorizer.function.function_name
        if self.fan_out is not None:
            names["fan-out worker: function"] = self.fan_out.function.function_name
        return names

    def functions(self) -> Iterator[FunctionPlan]:
        """Every function: each socket's, then its authorizer's; the HTTP API's; the fan-out worker."""
        for plan in self.sockets.values():
            yield plan.function
            if plan.authorizer is not None:
                yield plan.authorizer.function
        yield self.http_function
        if self.fan_out is not None:
            yield self.fan_out.function


def plan_service(sockets: Mapping[str, Socket], options: ServiceOptions) -> ServicePlan:
    """The plan of the service ``options`` describe, whose entry declares ``sockets``.

    Raises :class:`ServiceDefinitionError` for anything AWS would refuse or the options misname.
    """
    name = check_service_name(options.name)
    options = _with_stage_name(options)
    prefix = name_prefix(name, check_stage(options.stage))
    check_sockets(sockets, options)
    from eventual.constructs import fanout_plan  # here, not above: it builds on this module's plans

    plans = {socket_name: _socket_plan(socket, options) for socket_name, socket in sockets.items()}
    http_function = _document_function(options, prefix)
    description = f"eventual service {name}{_of_stage(options)}"
    fan_out = fanout_plan.plan_fan_out(plans, options, description)
    functions = [*_function_names(plans), ("(HTTP API function)", http_function.function_name)]
    require_unique("function name", [*functions, *fanout_plan.fan_out_function_names(fan_out)])
    require_unique("API name", ((s, p.api_name) for s, p in plans.items()))
    check_environments(plans, options, fanout_plan.socket_environment_estimate(fan_out))
    return ServicePlan(
        name=name,
        entry=options.entry,
        stage=options.stage,
        stage_name=options.stage_name or DEFAULT_STAGE_NAME,
        sockets=MappingProxyType(plans),
        requirements=requirements_file(options.entry, options.requirements),
        event_bus_name=prefix,
        log_group_name=f"{prefix}-execution-logs",
        http_api_name=api_name(prefix),
        http_throttle=throttle_of("throttle", options.throttle),
        http_function=http_function,
        description=description,
        fan_out=fan_out,
        operating=plan_operating(plans, options.operating, prefix, options.region),
    )


# -- checks ------------------------------------------------------------------------------------


def _with_stage_name(options: ServiceOptions) -> ServiceOptions:
    """The API Gateway stage: as given, else ``prod`` for the default stage and the stage's own name."""
    if options.stage_name is None:
        default = DEFAULT_STAGE_NAME if options.stage == DEFAULT_STAGE else options.stage
        return replace(options, stage_name=default)
    check_stage_name(options.stage_name)
    return options


def _of_stage(options: ServiceOptions) -> str:
    """What descriptions add for a stage other than the default."""
    return "" if options.stage == DEFAULT_STAGE else f" (stage {options.stage})"


def _function_names(plans: Mapping[str, SocketPlan]) -> Iterator[tuple[str, str]]:
    for socket_name, plan in plans.items():
        yield socket_name, plan.function.function_name
    for socket_name, plan in plans.items():
        if plan.authorizer is not None:
            yield f"{socket_name} (authorizer)", plan.authorizer.function.function_name


# -- plans -------------------------------------------------------------------------------------


def _socket_plan(socket: Socket, options: ServiceOptions) -> SocketPlan:
    tracked = socket.options.track_connections
    function = _function_plan(socket, options, "socket")
    authorizer = None
    if socket.options.authorizer is not None:
        authorizer = _authorizer_plan(socket.name, function, options)
    throttle = {**options.throttle, **options.socket_throttle.get(socket.name, {})}
    keys = route_keys(socket)
    check_routes(socket.name, keys)
    return SocketPlan(
        service=options.name,
        stage=options.stage,
        name=socket.name,
        socket=socket,
        api_name=api_name(name_prefix(options.name, options.stage), socket.name),
        api_description=f"eventual socket {socket.name} of {options.name}{_of_stage(options)}",
        stage_name=options.stage_name or DEFAULT_STAGE_NAME,
        throttle=throttle_of(f"socket {socket.name!r}: throttle", throttle),
        tracked=tracked,
        function=function,
        authorizer=authorizer,
        route_keys=keys,
        route_selection=socket.options.route_selection,
    )


def route_keys(socket: Socket) -> tuple[str, ...]:
    """Every route the socket's API needs. Without a ``$default`` route, a message that selects
    none of the socket's routes is refused by API Gateway itself, as locally."""
    default = ("$default",) if socket.has_default_route else ()
    return ("$connect", "$disconnect", *default, *socket.message_routes)


def _function_plan(socket: Socket, options: ServiceOptions, role: RoleChoice) -> FunctionPlan:
    """Construct defaults < service-wide options < the socket's declaration < per-socket options."""
    shared = options.function_options
    own = options.socket_function_options.get(socket.name, {})
    declared: dict[str, Any] = {}
    if socket.options.memory_size is not None:
        declared["memory_size"] = socket.options.memory_size
    if socket.options.timeout is not None:
        declared["timeout"] = socket.options.timeout
    merged = {**_without_environment(shared), **declared, **_without_environment(own)}
    return FunctionPlan(
        function_name=merged.pop(
            "function_name", function_name(name_prefix(options.name, options.stage), socket.name)
        ),
        description=merged.pop(
            "description", f"eventual socket {socket.name} of service {options.name}{_of_stage(options)}"
        ),
        handler=HANDLER,
        role=role,
        memory_size=merged.pop("memory_size", DEFAULT_MEMORY_MB),
        timeout_seconds=_seconds(merged.pop("timeout", DEFAULT_TIMEOUT_SECONDS)),
        environment=_environment(socket.name, options, shared, own),
        options=MappingProxyType(merged),
    )


def _authorizer_plan(socket: str, function: FunctionPlan, options: ServiceOptions) -> AuthorizerPlan:
    """The socket function's plan, as the authorizer's: same code, options and environment."""
    fields = options.socket_authorizer_options.get(socket, {})
    authorizer_function = replace(
        function,
        function_name=function_name(name_prefix(options.name, options.stage), f"{socket}-authorizer"),
        description=f"{function.description}: $connect authorizer",
        handler=AUTHORIZER_HANDLER,
        role="authorizer",
        options=MappingProxyType({k: v for k, v in function.options.items() if k not in NOT_FOR_AUTHORIZER}),
    )
    return AuthorizerPlan(
        name=authorizer_name(socket, fields),
        identity_source=identity_source(socket, fields),
        function=authorizer_function,
    )


def _environment(
    socket: str, options: ServiceOptions, shared: Mapping[str, Any], own: Mapping[str, Any]
) -> Mapping[str, str]:
    environment = {**shared.get("environment", {}), **own.get("environment", {})}
    reserved = sorted(k for k in environment if _RESERVED_ENV.match(k))
    if reserved:
        raise ServiceDefinitionError(
            f"socket {socket!r}: environment variable(s) {', '.join(reserved)} are set by eventual; "
            "choose other names"
        )
    environment |= {
        "EVENTUAL_SERVICE_NAME": options.name,
        "EVENTUAL_SOCKET_NAME": socket,
        "EVENTUAL_ENTRY": options.entry,
    }
    return MappingProxyType(environment)


def _document_function(options: ServiceOptions, prefix: str) -> FunctionPlan:
    """A small function that returns a document: the least memory, a short timeout, logs only."""
    return FunctionPlan(
        function_name=function_name(prefix, DOCUMENT_FUNCTION),
        description=f"eventual service {options.name}{_of_stage(options)}: the HTTP API's service document",
        handler=DOCUMENT_HANDLER,
        role="document",
        memory_size=128,
        timeout_seconds=3,
        environment=MappingProxyType({}),
        options=MappingProxyType({}),
    )


def _without_environment(options: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in options.items() if k != "environment"}


def _seconds(timeout: float | Seconds) -> float:
    """Seconds from a socket's declaration (a number) or the options (``aws_cdk.Duration``)."""
    return timeout if isinstance(timeout, int | float) else timeout.to_seconds()
