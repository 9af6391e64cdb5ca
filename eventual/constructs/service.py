"""``Service``: every socket an entry module declares, deployed as API Gateway WebSocket APIs."""

from __future__ import annotations

import difflib
import json
import re
import sys
from collections.abc import Mapping
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
from eventual.constructs.endpoint import AccessLogs, SocketEndpoint
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
from eventual.outputs import output_description
from eventual.project import Project, load_sockets
from eventual.sockets import Socket

HANDLER = "eventual.runtime.handler.handle"
DEFAULT_MEMORY_MB = 512
DEFAULT_TIMEOUT = Duration.seconds(10)
API_GATEWAY_TIMEOUT_SECONDS = 29
"""API Gateway stops waiting for an integration after 29 s."""
_ARM_64 = lambda_.Architecture.ARM_64

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

    :param name: the service's name: names the bus, the log group and the functions.
    :param entry: the module declaring the sockets (``"examples.service"``), imported from
        ``project_root``; its top-level package (or the single module) ships in the asset.
    :param project_root: where ``entry`` is imported from; default: the working directory.
    :param runtime: a Python Lambda runtime; default: the newest aws-cdk-lib offers.
    :param stage_name: every socket's stage, the last segment of its ``wss://`` URL.
    :param function_options: ``aws_lambda.FunctionOptions`` for every socket's function.
    :param socket_function_options: per socket name, ``FunctionOptions`` that win over all else
        (memory, timeout, environment, reserved concurrency, tracing...).
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
        per_socket = {key: _options(value) for key, value in (socket_function_options or {}).items()}
        unknown = sorted(set(per_socket) - set(declared))
        if unknown:
            raise ServiceDefinitionError(
                f"socket_function_options names {', '.join(map(repr, unknown))}, which {entry!r} does not "
                f"declare (it declares {', '.join(map(repr, declared))})"
            )
        for socket_name in declared:
            check_socket_name(socket_name)
        function_names = {s: function_name(name, s) for s in declared}
        api_names = {s: api_name(name, s) for s in declared}
        require_unique("function name", function_names.items())
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
        check_environment_size(
            name, {s: p["environment"] for s, p in props.items()}, Stack.of(self).region, stage_name
        )
        self.sockets: dict[str, SocketEndpoint] = {
            s: SocketEndpoint(
                self,
                s,
                socket=sock,
                service_name=name,
                api_name=api_names[s],
                stage_name=stage_name,
                function_props=props[s],
                access_log_group=self.access_log_group,
            )
            for s, sock in declared.items()
        }

        self._wire_sockets([p["role"] for p in props.values()])
        self._acknowledge_wildcards(
            traced=any(
                p["role"] is self.role and p.get("tracing") not in (None, lambda_.Tracing.DISABLED)
                for p in props.values()
            )
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
            "role": self.role,
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

    def _acknowledge_wildcards(self, traced: bool) -> None:
        """cdk-nag: explain each wildcard the construct itself grants the shared function role."""
        policy = self.role.node.try_find_child("DefaultPolicy")
        if policy is None:
            return
        stack = Stack.of(self)
        acknowledgments = []
        for endpoint in self.sockets.values():
            api_id = stack.resolve(endpoint.api.api_id)["Ref"]
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
    fields = [f for f in lambda_.FunctionOptions.__init__.__annotations__ if f != "return"]
    if not isinstance(value, lambda_.FunctionOptions):
        unknown = sorted(set(value) - set(fields))
        if unknown:
            close = difflib.get_close_matches(unknown[0], fields, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ServiceDefinitionError(
                f"{', '.join(map(repr, unknown))} is not an aws_lambda.FunctionOptions field{hint}"
            )
        value = lambda_.FunctionOptions(**value)
    return {f: getattr(value, f) for f in fields if getattr(value, f) is not None}


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
