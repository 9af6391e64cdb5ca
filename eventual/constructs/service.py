"""``Service``: every socket an entry module declares, deployed as API Gateway WebSocket APIs."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from aws_cdk import CfnOutput, RemovalPolicy, Stack, Token
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from eventual.constructs import operating
from eventual.constructs.access_logs import WEBSOCKET_ACCESS_LOG_FORMAT, AccessLogs
from eventual.constructs.asset import LambdaAsset, asyncapi_file, build_asset, types_requirements
from eventual.constructs.connections import connections_table, grant_connections, share_connections
from eventual.constructs.endpoint import SocketEndpoint
from eventual.constructs.errors import ServiceDefinitionError
from eventual.constructs.fanout import FanOut
from eventual.constructs.functions import (
    ARM_64,
    PYTHON_RUNTIME,
    FunctionParts,
    lambda_platform,
    newest_python_runtime,
)
from eventual.constructs.http_api import create_http_api, serve_service_document
from eventual.constructs.logging_role import account_logging_role
from eventual.constructs.logical_ids import pin_logical_id
from eventual.constructs.nag import acknowledge_service_roles, distinct
from eventual.constructs.options import AuthorizerOptions, FunctionOptions, ThrottleOptions, service_options
from eventual.constructs.plan import RoleChoice, ServicePlan, plan_service
from eventual.constructs.resource_limit import ResourceLimit
from eventual.outputs import DEFAULT_STAGE, OutputKind, output_description
from eventual.project import Project, load_sockets
from eventual.runtime.environment import URLS_ENV
from eventual.service_document import ASYNCAPI_FILE
from eventual.sockets import Socket

__all__ = ["PYTHON_RUNTIME", "FunctionOptions", "Service", "newest_python_runtime"]


class Service(operating.ServiceMetrics, Construct):
    """An eventual service: one WebSocket API with a Lambda function per socket ``entry`` declares.

    Per socket (``service.sockets[name]``): a Lambda function running
    ``eventual.runtime.handler.handle`` (``PYTHON_RUNTIME``, arm64), a ``WebSocketApi`` whose
    ``$connect``, ``$disconnect`` and ``$default`` routes invoke it (``$default`` with a route
    response, so a handler's return value reaches the client) and an auto-deployed, throttled
    stage with access logs. Per service: an HTTP API answering the service document and its
    AsyncAPI document (``service_document_function``), the EventBridge bus
    ``<name>``, the log group ``<name>-execution-logs``, an access log group, one function role
    (no AWS managed policies) and the CloudFormation outputs ``eventual get service`` reads.

    Stages: ``stage="dev"`` names everything ``<name>--dev...`` (``<name>--dev--<socket>``...),
    so stages deploy side by side; the default stage keeps ``<name>`` (``<name>--<socket>``).
    ``--`` joins the parts of every name and no part may contain it, so no two services, stages
    or sockets share a name (:mod:`eventual.stages`). Named resources take logical ids from their
    names, so renaming or moving the construct never replaces them.

    A socket declared with ``authorizer=fn`` also gets a Lambda REQUEST authorizer on ``$connect``
    (``sockets[name].authorizer``): a function of its own (``sockets[name].authorizer_function``,
    running ``eventual.runtime.handler.authorize`` from the same asset, with the socket function's
    options and environment but no socket URLs) under ``authorizer_role``, which may only write logs.

    If any socket is declared with ``track_connections=True``, the service gets one DynamoDB table,
    ``connections_table`` (on-demand, point-in-time recovery, items expiring after API Gateway's
    2-hour connection limit, destroyed with the stack). Every socket function of the service, tracked
    or not, may use it (the runtime's three actions, on ``role`` or the function's own role) and gets
    ``EVENTUAL_CONNECTIONS_TABLE``: any socket's code may list, broadcast to and send on any socket of
    the service, as under ``eventual local``. A function outside the service that does so needs
    ``service.grant_connections(function)``; authorizer functions and the HTTP API's get nothing.

    Such a service also fans large broadcasts out (:mod:`eventual.constructs.fanout`): an SQS queue
    (``fan_out_queue``) every socket function may send to (``EVENTUAL_FANOUT_QUEUE_URL``), its
    dead-letter queue (``fan_out_dead_letter_queue``: a batch lands there after 5 failed deliveries;
    alarm on ``metric_fan_out_failures()`` above 0) and the worker ``fan_out_function``
    (``eventual.runtime.fanout_worker.handle``, 1,769 MB, up to 50 at once, one batch each) under
    ``fan_out_role``: ``POST @connections`` on every stage, ``DeleteItem`` on the table, its logs.

    Operating it (:mod:`eventual.constructs.operating`): ``service.domain``, ``service.dashboard``,
    ``service.alarms``, ``metric_*()`` on each socket; functions log in Lambda's JSON format.

    What to build is decided first, without the CDK: ``service.plan``
    (:func:`eventual.constructs.plan.plan_service`) holds every name and function setting.

    :param name: the service's name: names the bus, the log group and the functions (letters and
        digits, single ``-`` between them, starting with a letter, at most 63:
        :func:`eventual.stages.service_name_problem`).
    :param entry: the module declaring the sockets (``"examples.service"``), imported from
        ``project_root``; its top-level package (or the single module) ships in the asset.
    :param project_root: where ``entry`` is imported from; default: the working directory.
    :param stage: the deployment stage (letters and digits, single ``-`` between them, at most 32:
        :func:`eventual.stages.stage_problem`); default: the one named after the service alone
        (``"default"``, which a stage may not otherwise be called).
    :param runtime: a Python Lambda runtime; default: ``PYTHON_RUNTIME``, pinned by this library.
    :param stage_name: every socket's API Gateway stage, the last segment of its ``wss://`` URL;
        default: ``prod`` for the default stage, else the stage's name.
    :param function_options: ``aws_lambda.FunctionOptions`` for every socket's function.
    :param socket_function_options: per socket name, ``FunctionOptions`` that win over all else
        (memory, timeout, environment, reserved concurrency, tracing...). A socket's authorizer
        function shares them, except ``function_name``, ``description``, ``role``, ``events``,
        ``initial_policy``, ``reserved_concurrent_executions`` and the asynchronous-invocation
        settings (:data:`eventual.constructs.authorizer.NOT_FOR_AUTHORIZER` says why).
    :param socket_authorizer_options: per name of a socket declared with ``authorizer=``,
        ``aws_apigatewayv2_authorizers.WebSocketLambdaAuthorizerProps`` or a dict of its fields:
        ``identity_source`` (default: the ``Host`` header every handshake carries:
        :mod:`eventual.constructs.authorizer`) and ``authorizer_name``.
    :param throttle: ``aws_apigatewayv2.ThrottleSettings`` or a dict of its fields for every
        stage's routes; default: 100 requests per second, bursts of 200
        (:data:`eventual.constructs.throttle.DEFAULT_THROTTLE`).
    :param socket_throttle: per socket name, ``ThrottleSettings`` fields that win over ``throttle``.
    :param requirements: a ``requirements.txt`` installed into the asset from manylinux wheels;
        default: ``requirements.txt`` in the entry's package folder, if there is one.
    :param fan_out_above: a ``broadcast`` to more connections than this is queued for the fan-out
        worker (``EVENTUAL_FANOUT_ABOVE``); default: the runtime's, 1,000. A socket's or a call's
        ``fan_out_above`` wins. Only for a service that tracks connections.
    :param fan_out_concurrency: the worker's posts in flight per batch
        (``EVENTUAL_FANOUT_CONCURRENCY``); default: the runtime's, 32.
    :param log_retention: of the service's log groups.
    :param log_removal_policy: of the service's log groups; ``DESTROY`` by default because
        ``<name>-execution-logs`` is a fixed name a retained group would block on redeploy.
    :param cloud_watch_role: make sure API Gateway's account-level CloudWatch role is set
        (WebSocket access logs need it): a custom resource sets one only where the account has
        none (or names a role of its own that no longer exists, which it says in its log), and
        never overwrites or deletes one (:mod:`eventual.constructs.logging_role`);
        ``False`` leaves the account setting alone entirely.
    :param domain: :class:`eventual.constructs.Domain` (or a dict of its fields): every socket of
        the stage mapped under it at its name. Default: none (the execute-api URLs).
    :param http_domain: the HTTP API's own custom domain.
    :param dashboard: create ``service.dashboard`` (CloudWatch bills past an account's first three).
    :param alarms: :class:`eventual.constructs.Alarms` (your SNS ``topic``, thresholds); default: none.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        entry: str,
        project_root: str | Path | None = None,
        stage: str = DEFAULT_STAGE,
        runtime: lambda_.Runtime | None = None,
        stage_name: str | None = None,
        function_options: FunctionOptions | None = None,
        socket_function_options: Mapping[str, FunctionOptions] | None = None,
        socket_authorizer_options: Mapping[str, AuthorizerOptions] | None = None,
        throttle: ThrottleOptions | None = None,
        socket_throttle: Mapping[str, ThrottleOptions] | None = None,
        requirements: str | Path | None = None,
        fan_out_above: int | None = None,
        fan_out_concurrency: int | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
        log_removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
        cloud_watch_role: bool = True,
        domain: operating.DomainArgument | None = None,
        http_domain: operating.DomainArgument | None = None,
        dashboard: bool = True,
        alarms: operating.AlarmsArgument | None = None,
    ) -> None:
        super().__init__(scope, id)
        self.project_root = Path(project_root or Path.cwd()).resolve()
        options = service_options(
            name=name,
            entry=entry,
            stage=stage,
            stage_name=stage_name,
            function_options=function_options,
            socket_function_options=socket_function_options,
            socket_authorizer_options=socket_authorizer_options,
            throttle=throttle,
            socket_throttle=socket_throttle,
            requirements=requirements,
            fan_out_above=fan_out_above,
            fan_out_concurrency=fan_out_concurrency,
            region=self._known_region(),
            domain=domain,
            http_domain=http_domain,
            dashboard=dashboard,
            alarms=alarms,
        )
        self._take_plan(plan_service(_load(self.project_root, name, entry), options), runtime)
        self._build(log_retention, log_removal_policy, cloud_watch_role)

    def _build(
        self, log_retention: logs.RetentionDays, log_removal: RemovalPolicy, cloud_watch_role: bool
    ) -> None:
        """Every resource the plan says, each step after those it needs."""
        self._create_log_groups(log_retention, log_removal)
        self._create_roles_and_table()
        self._create_bus_and_http_api()
        self._parts = FunctionParts(self._roles(), self.log_group, self.runtime, self.code_for)
        self.sockets = self._create_endpoints()
        self.domain, self.http_domain = operating.map_domains(self)
        self._wire_sockets()
        self._create_fan_out()
        self.service_document_function = serve_service_document(
            self, self.http_api, self.plan, self._parts, {n: e.url for n, e in self.sockets.items()}
        )
        self._grant_roles()
        acknowledge_service_roles(self, self._parts)
        if cloud_watch_role:
            self._after_account_logging_role()
        self._outputs()
        self.dashboard, self.alarms = operating.monitor(self)
        self.node.add_validation(ResourceLimit(self))

    # -- steps ------------------------------------------------------------------------------------

    def _known_region(self) -> str | None:
        region = Stack.of(self).region
        return None if Token.is_unresolved(region) else region

    def _take_plan(self, plan: ServicePlan, runtime: lambda_.Runtime | None) -> None:
        """The plan, and the names it settled, as attributes; no asset built yet."""
        self.plan = plan
        self.name, self.entry, self.stage = plan.name, plan.entry, plan.stage
        self.stage_name = plan.stage_name
        self.runtime = runtime or PYTHON_RUNTIME
        self._assets: dict[str, LambdaAsset] = {}
        self._code: dict[str, lambda_.Code] = {}

    def _create_log_groups(self, retention: logs.RetentionDays, removal_policy: RemovalPolicy) -> None:
        self.log_group = logs.LogGroup(
            self,
            "ExecutionLogs",
            log_group_name=self.plan.log_group_name,
            retention=retention,
            removal_policy=removal_policy,
        )
        pin_logical_id(self.log_group, "ExecutionLogs", self.plan.log_group_name)
        self.access_log_group = logs.LogGroup(
            self, "AccessLogs", retention=retention, removal_policy=removal_policy
        )

    def _create_roles_and_table(self) -> None:
        self.role = self._lambda_role("FunctionRole", "the socket functions")
        tracked = bool(self.plan.tracked)
        self.connections_table = connections_table(self, "Connections") if tracked else None
        self.fan_out_role: iam.Role | None = None
        if self.plan.fan_out is not None:
            self.fan_out_role = self._lambda_role("FanOutRole", "the fan-out worker")
        self.authorizer_role: iam.Role | None = None
        if self.plan.authorized:
            self.authorizer_role = self._lambda_role("AuthorizerRole", "the $connect authorizer functions")
        self.service_document_role = self._lambda_role("ServiceDocumentRole", "the HTTP API's function")

    def _lambda_role(self, id: str, what: str) -> iam.Role:
        return iam.Role(
            self,
            id,
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{self.plan.description}: {what}",
        )

    def _roles(self) -> dict[RoleChoice, iam.IRole]:
        roles: dict[RoleChoice, iam.IRole] = {"socket": self.role, "document": self.service_document_role}
        if self.authorizer_role is not None:
            roles["authorizer"] = self.authorizer_role
        if self.fan_out_role is not None:
            roles["fan-out"] = self.fan_out_role
        return roles

    def _create_bus_and_http_api(self) -> None:
        self.event_bus = events.EventBus(self, "EventBus", event_bus_name=self.plan.event_bus_name)
        pin_logical_id(self.event_bus, "EventBus", self.plan.event_bus_name)
        self.http_api, self.http_stage = create_http_api(self, self.plan, self.access_log_group)

    def _create_endpoints(self) -> dict[str, SocketEndpoint]:
        # One for every stage: each instance costs jsii round trips.
        access_logs = AccessLogs(self.access_log_group, WEBSOCKET_ACCESS_LOG_FORMAT)
        return {
            name: SocketEndpoint(self, name, plan=plan, parts=self._parts, access_logs=access_logs)
            for name, plan in self.plan.sockets.items()
        }

    def _wire_sockets(self) -> None:
        """Every socket function gets every socket's URLs."""
        urls = {name: {"wss": e.url, "http": e.callback_url} for name, e in self.sockets.items()}
        self._socket_urls = json.dumps(urls, separators=(",", ":"))
        for endpoint in self.sockets.values():
            endpoint.function.add_environment(URLS_ENV, self._socket_urls)

    def _create_fan_out(self) -> None:
        """A tracked service's fan-out queue, dead-letter queue and worker; every socket function
        may queue broadcasts on it (:mod:`eventual.constructs.fanout`)."""
        self.fan_out: FanOut | None = None
        if self.plan.fan_out is not None and self.connections_table is not None:
            self.fan_out = FanOut(
                self,
                "FanOut",
                plan=self.plan.fan_out,
                parts=self._parts,
                endpoints=self.sockets.values(),
                table=self.connections_table,
                socket_urls=self._socket_urls,
            )
            self.fan_out.serve([e.function for e in self.sockets.values()], self._socket_roles())
        self.fan_out_queue = self.fan_out.queue if self.fan_out else None
        self.fan_out_dead_letter_queue = self.fan_out.dead_letter_queue if self.fan_out else None
        self.fan_out_function = self.fan_out.function if self.fan_out else None

    def _socket_roles(self) -> list[iam.IRole]:
        """The socket functions' roles, each once: the service's ``role`` unless options name others."""
        return distinct(self._parts.role_of(p.function) for p in self.plan.sockets.values())

    def _grant_roles(self) -> None:
        """Socket function roles: logs, ``@connections`` on every stage and, if the service tracks,
        the table, with its name on every socket function; the authorizer and HTTP API roles: logs only.

        Any socket's code may reach any socket of the service, tracked or not, as it may locally."""
        socket_roles = self._socket_roles()
        for role in socket_roles:
            self.log_group.grant_write(role)
            self.grant_manage_connections(role)
        if self.connections_table is not None:
            share_connections(
                self.connections_table, socket_roles, [e.function for e in self.sockets.values()]
            )
        for logs_only in distinct([self.authorizer_role, self.service_document_role]):
            self.log_group.grant_write(logs_only)

    def _after_account_logging_role(self) -> None:
        """A WebSocket stage with access logs fails to create until the account names a role."""
        setting = account_logging_role(self)
        for endpoint in self.sockets.values():
            endpoint.stage.node.add_dependency(setting)

    def _outputs(self) -> None:
        self.api_output = self._output("ApiUrl", operating.api_url(self), "api")
        self.event_bus_output = self._output("EventBusArn", self.event_bus.event_bus_arn, "event-bus-arn")
        self.log_group_output = self._output("LogGroupName", self.log_group.log_group_name, "log-group")
        operating.operating_outputs(self)

    def _output(self, id: str, value: str, kind: OutputKind) -> CfnOutput:
        description = output_description(self.name, kind, stage=self.stage)
        return CfnOutput(self, id, value=value, description=description)

    # -- code -------------------------------------------------------------------------------------

    def code_for(self, architecture: lambda_.Architecture) -> lambda_.Code:
        """The asset for one CPU architecture (they differ only in the requirements' wheels)."""
        key = "arm64" if architecture is ARM_64 else architecture.name
        if key not in self._code:
            asset = build_asset(
                self.entry,
                project_root=self.project_root,
                platform=lambda_platform(self.runtime, architecture),
                requirements=self.plan.requirements,
                extra_requirements=types_requirements(
                    (p.socket for p in self.plan.sockets.values()), self.plan.requirements
                ),
                extra_files={ASYNCAPI_FILE: asyncapi_file(self.plan)},
            )
            self._assets[key] = asset
            self._code[key] = lambda_.Code.from_asset(str(asset.path), asset_hash=asset.content_hash)
        return self._code[key]

    @property
    def asset(self) -> LambdaAsset:
        """The staged asset of the arm64 functions (the default)."""
        return self._assets.get("arm64") or next(iter(self._assets.values()))

    # -- grants -----------------------------------------------------------------------------------

    def grant_manage_connections(self, grantee: iam.IGrantable) -> None:
        """Let ``grantee`` (say, another function) send to and close connections of every socket."""
        for endpoint in self.sockets.values():
            endpoint.grant_manage_connections(grantee)

    def grant_connections(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee``, a function outside the service, list, broadcast to and clean up the tracked
        sockets' connections (the service's own socket functions have this already).

        The grant goes to ``grantee``'s role; a ``Function`` also gets ``EVENTUAL_CONNECTIONS_TABLE``.
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


def _load(project_root: Path, service: str, entry: str) -> dict[str, Socket]:
    """Import the entry (user code) and return the sockets it declares."""
    return load_sockets(Project(root=project_root, service=service, entry=entry))
