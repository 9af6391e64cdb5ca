"""``Service``: every socket an entry module declares, deployed as API Gateway WebSocket APIs."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeAlias

from aws_cdk import Acknowledgment, Annotations, CfnOutput, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from eventual.constructs.asset import REQUIREMENTS, LambdaAsset, LambdaPlatform, build_asset
from eventual.constructs.authorizer import HANDLER as AUTHORIZER_HANDLER
from eventual.constructs.authorizer import AuthorizerOptions, AuthorizerSettings, authorizer_settings
from eventual.constructs.connections import TABLE_NAME_MAX, connections_table, grant_connections
from eventual.constructs.endpoint import WEBSOCKET_ACCESS_LOG_FORMAT, AccessLogs, SocketEndpoint
from eventual.constructs.errors import ServiceDefinitionError
from eventual.constructs.limits import ResourceLimit, check_environment_size
from eventual.constructs.logging_role import api_gateway_account
from eventual.constructs.names import (
    api_name,
    check_service_name,
    check_socket_name,
    check_stage_name,
    function_name,
    require_unique,
)
from eventual.constructs.props import struct_fields
from eventual.outputs import output_description
from eventual.project import Project, load_sockets
from eventual.runtime.environment import TABLE_ENV
from eventual.sockets import Socket

HANDLER = "eventual.runtime.handler.handle"
DEFAULT_MEMORY_MB = 512
DEFAULT_TIMEOUT = Duration.seconds(10)
API_GATEWAY_TIMEOUT_SECONDS = 29
"""API Gateway stops waiting for an integration after 29 s."""
_ARM_64 = lambda_.Architecture.ARM_64
_NO_TRACING = lambda_.Tracing.DISABLED

FunctionOptions: TypeAlias = lambda_.FunctionOptions | Mapping[str, Any]
"""``aws_lambda.FunctionOptions`` or a dict of its keyword arguments, as everywhere in CDK for Python."""

HTTP_ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "integrationError": "$context.integrationErrorMessage",
}
_RESERVED_ENV = re.compile(r"EVENTUAL_")
_NOT_FOR_AUTHORIZER = frozenset({"function_name", "description", "role", "events", "initial_policy"})
"""Socket function options the authorizer function does not share: its identity, its role (least
privilege), the socket function's event sources and extra policy statements."""


class Service(Construct):
    """An eventual service: one WebSocket API with a Lambda function per socket ``entry`` declares.

    Per socket (``service.sockets[name]``): a Lambda function running
    ``eventual.runtime.handler.handle`` (newest Python runtime, arm64), a ``WebSocketApi`` whose
    ``$connect``, ``$disconnect`` and ``$default`` routes invoke it (``$default`` with a route
    response, so a handler's return value reaches the client) and an auto-deployed stage with
    access logs. Per service: an HTTP API, the EventBridge bus ``<name>``, the log group
    ``<name>-execution-logs`` the functions log to, an access log group, one function role
    (no AWS managed policies; ``@connections`` on the service's own stages, writes to its log
    group) and the CloudFormation outputs ``eventual get service`` reads.

    A socket declared with ``authorizer=fn`` also gets a Lambda REQUEST authorizer on ``$connect``
    (``sockets[name].authorizer``): a function of its own (``sockets[name].authorizer_function``,
    running ``eventual.runtime.handler.authorize`` from the same asset, with the socket function's
    options and environment but no socket URLs) under ``authorizer_role``, which may only write logs.

    If any socket is declared with ``track_connections=True``, the service gets one DynamoDB table,
    ``connections_table`` (on-demand, point-in-time recovery, items expiring after API Gateway's
    2-hour connection limit, destroyed with the stack). Only the tracked sockets' functions may use
    it: they run under ``tracking_role`` (``role`` itself when every socket tracks) and get
    ``EVENTUAL_CONNECTIONS_TABLE``. Another function that broadcasts to, lists or sends on a tracked
    socket needs ``service.grant_connections(function)``.

    :param name: the service's name: names the bus, the log group and the functions.
    :param entry: the module declaring the sockets (``"examples.service"``), imported from
        ``project_root``; its top-level package (or the single module) ships in the asset.
    :param project_root: where ``entry`` is imported from; default: the working directory.
    :param runtime: a Python Lambda runtime; default: the newest aws-cdk-lib offers.
    :param stage_name: every socket's stage, the last segment of its ``wss://`` URL.
    :param function_options: ``aws_lambda.FunctionOptions`` for every socket's function.
    :param socket_function_options: per socket name, ``FunctionOptions`` that win over all else
        (memory, timeout, environment, reserved concurrency, tracing...). A socket's authorizer
        function shares them, except ``function_name``, ``description``, ``role``, ``events`` and
        ``initial_policy``.
    :param socket_authorizer_options: per name of a socket declared with ``authorizer=``,
        ``aws_apigatewayv2_authorizers.WebSocketLambdaAuthorizerProps`` or a dict of its fields:
        ``identity_source`` (default: none, so the authorizer runs on every ``$connect``; see
        :mod:`eventual.constructs.authorizer`) and ``authorizer_name``.
    :param requirements: a ``requirements.txt`` installed into the asset from manylinux wheels;
        default: ``requirements.txt`` in the entry's package folder, if there is one.
    :param log_retention: of the service's log groups.
    :param log_removal_policy: of the service's log groups; ``DESTROY`` by default because
        ``<name>-execution-logs`` is a fixed name a retained group would block on redeploy.
    :param cloud_watch_role: set API Gateway's account-level CloudWatch role (WebSocket access
        logs need it); pass ``False`` if the account already has one set elsewhere.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        entry: str,
        project_root: str | Path | None = None,
        runtime: lambda_.Runtime | None = None,
        stage_name: str = "prod",
        function_options: FunctionOptions | None = None,
        socket_function_options: Mapping[str, FunctionOptions] | None = None,
        socket_authorizer_options: Mapping[str, AuthorizerOptions] | None = None,
        requirements: str | Path | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
        log_removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
        cloud_watch_role: bool = True,
    ) -> None:
        super().__init__(scope, id)
        self.name = check_service_name(name)
        self.entry = entry
        self.stage_name = check_stage_name(stage_name)
        self.project_root = Path(project_root or Path.cwd()).resolve()
        declared = _load(self.project_root, name, entry)
        _require_declared(entry, declared, "socket_function_options", socket_function_options)
        _require_declared(entry, declared, "socket_authorizer_options", socket_authorizer_options)
        per_socket = {key: _options(value) for key, value in (socket_function_options or {}).items()}
        for socket_name in declared:
            check_socket_name(socket_name)
        authorizers = _authorizer_settings(declared, socket_authorizer_options or {})
        tracked = {s for s, sock in declared.items() if sock.options.track_connections}
        function_names = {s: function_name(name, s) for s in declared}
        authorizer_names = {s: function_name(name, f"{s}-authorizer") for s in authorizers}
        api_names = {s: api_name(name, s) for s in declared}
        require_unique(
            "function name",
            [*function_names.items(), *((f"{s} (authorizer)", n) for s, n in authorizer_names.items())],
        )
        require_unique("API name", api_names.items())

        self.runtime = runtime or newest_python_runtime()
        self._requirements = _requirements_file(entry, requirements)
        self._assets: dict[str, LambdaAsset] = {}
        self._code: dict[str, lambda_.Code] = {}

        self.log_group = logs.LogGroup(
            self,
            "ExecutionLogs",
            log_group_name=f"{name}-execution-logs",
            retention=log_retention,
            removal_policy=log_removal_policy,
        )
        self.access_log_group = logs.LogGroup(
            self, "AccessLogs", retention=log_retention, removal_policy=log_removal_policy
        )
        self.role = iam.Role(
            self,
            "FunctionRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"eventual service {name}: the socket functions",
        )
        self.connections_table = connections_table(self, "Connections") if tracked else None
        self.tracking_role: iam.Role | None = None
        if tracked:
            # A role of their own keeps the table from the other sockets' functions.
            self.tracking_role = (
                self.role
                if tracked == set(declared)
                else iam.Role(
                    self,
                    "TrackingFunctionRole",
                    assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                    description=f"eventual service {name}: the functions of sockets that track connections",
                )
            )
        self.authorizer_role: iam.Role | None = None
        if authorizers:
            self.authorizer_role = iam.Role(
                self,
                "AuthorizerRole",
                assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                description=f"eventual service {name}: the $connect authorizer functions",
            )
        self.event_bus = events.EventBus(self, "EventBus", event_bus_name=name)
        self.http_api = apigwv2.HttpApi(
            self, "HttpApi", api_name=name, description=f"eventual service {name}", create_default_stage=False
        )
        self.http_stage = apigwv2.HttpStage(
            self,
            "HttpStage",
            http_api=self.http_api,
            auto_deploy=True,
            access_log_settings=AccessLogs(self.access_log_group, HTTP_ACCESS_LOG_FORMAT),
        )

        shared = _options(function_options) if function_options is not None else {}
        props = {
            s: self._function_props(sock, function_names[s], shared, per_socket.get(s, {}))
            for s, sock in declared.items()
        }
        authorizer_props = {s: self._authorizer_props(authorizer_names[s], props[s]) for s in authorizers}
        check_environment_size(
            name,
            {
                # The table's name is a token until deploy: count it at its longest.
                s: {**p["environment"], TABLE_ENV: "x" * TABLE_NAME_MAX} if s in tracked else p["environment"]
                for s, p in props.items()
            },
            Stack.of(self).region,
            stage_name,
        )
        # One for every stage: each instance costs jsii round trips.
        socket_access_logs = AccessLogs(self.access_log_group, WEBSOCKET_ACCESS_LOG_FORMAT)
        self.sockets: dict[str, SocketEndpoint] = {
            s: SocketEndpoint(
                self,
                s,
                socket=sock,
                service_name=name,
                api_name=api_names[s],
                stage_name=stage_name,
                function_props=props[s],
                access_logs=socket_access_logs,
                authorizer_function_props=authorizer_props.get(s),
                authorizer_name=authorizers[s].name if s in authorizers else None,
                identity_source=authorizers[s].identity_source if s in authorizers else (),
            )
            for s, sock in declared.items()
        }

        self._wire_sockets([p["role"] for p in props.values()])
        for s in sorted(tracked):
            self.grant_connections(self.sockets[s].function)
        if self.authorizer_role is not None:
            self.log_group.grant_write(self.authorizer_role)
        for role in _distinct([self.role, self.tracking_role]):
            self._acknowledge_wildcards(role, props.values(), manages_connections=True)
        if self.authorizer_role is not None:
            self._acknowledge_wildcards(
                self.authorizer_role, authorizer_props.values(), manages_connections=False
            )
        for s, p in props.items():
            self._warn_past_api_gateway_timeout(self.sockets[s], p["timeout"])
        if cloud_watch_role:
            account = api_gateway_account(self)
            for endpoint in self.sockets.values():
                endpoint.stage.node.add_dependency(account)
        self._outputs()
        self.node.add_validation(ResourceLimit(self))

    # -- functions --------------------------------------------------------------------------------

    def _function_props(
        self,
        sock: Socket,
        name: str,
        shared: Mapping[str, Any],
        own: Mapping[str, Any],
    ) -> dict[str, Any]:
        """Construct defaults < service-wide options < the socket's declaration < per-socket options."""
        declared: dict[str, Any] = {}
        if sock.options.memory_size is not None:
            declared["memory_size"] = sock.options.memory_size
        if sock.options.timeout is not None:
            declared["timeout"] = Duration.seconds(sock.options.timeout)
        props: dict[str, Any] = {
            "function_name": name,
            "description": f"eventual socket {sock.name} of service {self.name}",
            "architecture": _ARM_64,
            "memory_size": DEFAULT_MEMORY_MB,
            "timeout": DEFAULT_TIMEOUT,
            "role": self.tracking_role if sock.options.track_connections else self.role,
            "log_group": self.log_group,
            **{k: v for k, v in shared.items() if k != "environment"},
            **declared,
            **{k: v for k, v in own.items() if k != "environment"},
        }
        environment = {**shared.get("environment", {}), **own.get("environment", {})}
        reserved = sorted(k for k in environment if _RESERVED_ENV.match(k))
        if reserved:
            raise ServiceDefinitionError(
                f"socket {sock.name!r}: environment variable(s) {', '.join(reserved)} are set by eventual; "
                "choose other names"
            )
        environment |= {
            "EVENTUAL_SERVICE_NAME": self.name,
            "EVENTUAL_SOCKET_NAME": sock.name,
            "EVENTUAL_ENTRY": self.entry,
        }
        props["environment"] = environment
        props["code"] = self.code_for(props["architecture"])
        props["handler"] = HANDLER
        props["runtime"] = self.runtime
        return props

    def _authorizer_props(self, name: str, socket_props: Mapping[str, Any]) -> dict[str, Any]:
        """The socket function's props, as the authorizer's: same code, options and environment
        (without the connections table: the socket's ``$connect`` records the connection)."""
        props = {k: v for k, v in socket_props.items() if k not in _NOT_FOR_AUTHORIZER}
        socket_name = socket_props["environment"]["EVENTUAL_SOCKET_NAME"]
        props |= {
            "function_name": name,
            "description": f"eventual socket {socket_name} of service {self.name}: $connect authorizer",
            "role": self.authorizer_role,
            "handler": AUTHORIZER_HANDLER,
            "environment": {k: v for k, v in socket_props["environment"].items() if k != TABLE_ENV},
        }
        return props

    def code_for(self, architecture: lambda_.Architecture) -> lambda_.Code:
        """The asset for one CPU architecture (they differ only in the requirements' wheels)."""
        key = "arm64" if architecture is _ARM_64 else architecture.name
        if key not in self._code:
            asset = build_asset(
                self.entry,
                project_root=self.project_root,
                platform=lambda_platform(self.runtime, architecture),
                requirements=self._requirements,
            )
            self._assets[key] = asset
            self._code[key] = lambda_.Code.from_asset(str(asset.path), asset_hash=asset.content_hash)
        return self._code[key]

    @property
    def asset(self) -> LambdaAsset:
        """The staged asset of the arm64 functions (the default)."""
        return self._assets.get("arm64") or next(iter(self._assets.values()))

    def _wire_sockets(self, function_roles: list[iam.IRole]) -> None:
        """Every function gets every socket's URLs; every function role ``@connections`` on every stage."""
        urls = {name: {"wss": e.url, "http": e.callback_url} for name, e in self.sockets.items()}
        urls_json = json.dumps(urls, separators=(",", ":"))
        for endpoint in self.sockets.values():
            endpoint.function.add_environment("EVENTUAL_SOCKET_URLS", urls_json)
        for role in {id(role): role for role in function_roles}.values():
            self.log_group.grant_write(role)
            for endpoint in self.sockets.values():
                endpoint.grant_manage_connections(role)

    def _acknowledge_wildcards(
        self, role: iam.Role, props: Iterable[Mapping[str, Any]], *, manages_connections: bool
    ) -> None:
        """cdk-nag: explain each wildcard the construct itself grants one of its roles."""
        policy = role.node.try_find_child("DefaultPolicy")
        if policy is None:
            return
        traced = any(p["role"] is role and p.get("tracing") not in (None, _NO_TRACING) for p in props)
        endpoints = list(self.sockets.values()) if manages_connections else []
        # One resolve for every API id: each call is a round trip to the jsii kernel.
        api_ids = Stack.of(self).resolve([e.api.api_id for e in endpoints]) if endpoints else []
        acknowledgments = []
        for endpoint, api_id in zip(endpoints, (ref["Ref"] for ref in api_ids), strict=True):
            acknowledgments.append(
                Acknowledgment(
                    id="AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:"
                    f"<AWS::Region>:<AWS::AccountId>:<{api_id}>/{self.stage_name}/*/@connections/*]",
                    reason=f"send/disconnect address connections of socket {endpoint.name!r} by id, "
                    "known only at run time; the grant is scoped to that socket's own API and stage.",
                )
            )
        if traced:
            acknowledgments.append(
                Acknowledgment(
                    id="AwsSolutions::AwsSolutions-IAM5[Resource::*]",
                    reason="Tracing is on: X-Ray's PutTraceSegments and PutTelemetryRecords "
                    "support no resource-level permissions.",
                )
            )
        if acknowledgments:
            Validations.of(policy).acknowledge(*acknowledgments)

    def _warn_past_api_gateway_timeout(self, endpoint: SocketEndpoint, timeout: Duration) -> None:
        if timeout is DEFAULT_TIMEOUT or timeout.to_seconds() <= API_GATEWAY_TIMEOUT_SECONDS:
            return
        Annotations.of(endpoint.function).add_warning_v2(
            "eventual:timeout-over-api-gateway",
            f"socket {endpoint.name!r}: timeout {timeout.to_seconds():g} s, but API Gateway waits "
            f"{API_GATEWAY_TIMEOUT_SECONDS} s at most: a later $default reply never reaches the client",
        )

    # -- outputs and grants ----------------------------------------------------------------------

    def _outputs(self) -> None:
        self.api_output = CfnOutput(
            self, "ApiUrl", value=self.http_stage.url, description=output_description(self.name, "api")
        )
        self.event_bus_output = CfnOutput(
            self,
            "EventBusArn",
            value=self.event_bus.event_bus_arn,
            description=output_description(self.name, "event-bus-arn"),
        )
        self.log_group_output = CfnOutput(
            self,
            "LogGroupName",
            value=self.log_group.log_group_name,
            description=output_description(self.name, "log-group"),
        )

    def grant_manage_connections(self, grantee: iam.IGrantable) -> None:
        """Let ``grantee`` (say, another function) send to and close connections of every socket."""
        for endpoint in self.sockets.values():
            endpoint.grant_manage_connections(grantee)

    def grant_connections(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` list, broadcast to and clean up the tracked sockets' connections.

        The grant goes to ``grantee``'s role; a ``Function`` also gets ``EVENTUAL_CONNECTIONS_TABLE``.
        Socket functions share a role, so granting one of them grants that role's other functions
        too (though only ``grantee`` learns the table's name).
        """
        if self.connections_table is None:
            raise ServiceDefinitionError(
                f"service {self.name!r} tracks no connections: declare a socket with "
                "socket(..., track_connections=True)"
            )
        return grant_connections(self.connections_table, grantee)

    def grant_put_events(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` put events on the service's bus."""
        return self.event_bus.grant_put_events_to(grantee)


# -- helpers -------------------------------------------------------------------------------------


def newest_python_runtime() -> lambda_.Runtime:
    """The newest ``PYTHON_3_N`` runtime this aws-cdk-lib knows."""
    minors = [int(m[1]) for a in dir(lambda_.Runtime) if (m := re.fullmatch(r"PYTHON_3_(\d+)", a))]
    return getattr(lambda_.Runtime, f"PYTHON_3_{max(minors)}")  # type: ignore[no-any-return]


def lambda_platform(runtime: lambda_.Runtime, architecture: lambda_.Architecture) -> LambdaPlatform:
    """The platform pip must install wheels for, from a ``python3.N`` runtime."""
    match = re.fullmatch(r"python(3\.(\d+))", runtime.name)
    if not match:
        raise ServiceDefinitionError(f"runtime {runtime.name!r} is not a Python runtime")
    glibc_minor = 34 if int(match[2]) >= 12 else 26  # Amazon Linux 2023 from python3.12 on
    return LambdaPlatform(python_version=match[1], architecture=architecture.name, glibc_minor=glibc_minor)


def _load(project_root: Path, service: str, entry: str) -> dict[str, Socket]:
    sockets = load_sockets(Project(root=project_root, service=service, entry=entry))
    if not sockets:
        raise ServiceDefinitionError(
            f"entry {entry!r} declares no sockets; declare one with eventual.socket(...)"
        )
    return sockets


def _options(value: FunctionOptions) -> dict[str, Any]:
    """Function keyword arguments from ``FunctionOptions`` or a dict (checked against its fields)."""
    return struct_fields(value, lambda_.FunctionOptions)


def _require_declared(
    entry: str, declared: Mapping[str, Socket], what: str, given: Mapping[str, Any] | None
) -> None:
    unknown = sorted(set(given or {}) - set(declared))
    if unknown:
        raise ServiceDefinitionError(
            f"{what} names {', '.join(map(repr, unknown))}, which {entry!r} does not "
            f"declare (it declares {', '.join(map(repr, declared))})"
        )


def _authorizer_settings(
    declared: Mapping[str, Socket], options: Mapping[str, AuthorizerOptions]
) -> dict[str, AuthorizerSettings]:
    """Settings for every socket declared with an authorizer; options for any other are an error."""
    without = sorted(s for s in options if declared[s].options.authorizer is None)
    if without:
        raise ServiceDefinitionError(
            f"socket_authorizer_options names {', '.join(map(repr, without))}, declared without an "
            "authorizer; declare it with socket(..., authorizer=fn)"
        )
    return {
        s: authorizer_settings(s, options.get(s))
        for s, sock in declared.items()
        if sock.options.authorizer is not None
    }


def _distinct(roles: Iterable[iam.Role | None]) -> list[iam.Role]:
    return list({id(r): r for r in roles if r is not None}.values())


def _requirements_file(entry: str, requirements: str | Path | None) -> Path | None:
    if requirements is not None:
        path = Path(requirements)
        if not path.is_file():
            raise ServiceDefinitionError(f"requirements file {path} does not exist")
        return path
    package = sys.modules[entry.partition(".")[0]]
    for folder in getattr(package, "__path__", ()):
        candidate = Path(folder) / REQUIREMENTS
        if candidate.is_file():
            return candidate
    return None
