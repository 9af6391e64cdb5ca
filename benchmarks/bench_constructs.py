"""Synth cost of ``eventual.constructs.Service`` against a hand-written aws-cdk-lib app.

Every synth runs in a fresh subprocess, as ``cdk synth`` does. Both sides import the same
aws_cdk modules before the clock starts; the clock covers building the app and ``app.synth()``
(for eventual also importing ``eventual.constructs`` and the entry module, and staging the
asset with a cold cache). The hand-written app creates the same resources from a folder
holding the same files, so CDK fingerprints and copies that folder itself. Rounds alternate
the two sides; each side's best round counts. The budget applies to CPU time (this process and
the jsii kernel's node processes), which other load on a shared machine does not inflate; wall
time is reported beside it.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from benchmarks.harness import Figure

REPO = Path(__file__).resolve().parents[1]
ROUNDS = 5
STAGING_ROUNDS = 3
SYNTH_BUDGET = 1.15
STAGING_SHARE_BUDGET_PERCENT = 5.0
ASSET_BUDGET_KB = 150.0
SERVICE = "bench-service"
STAGE = "prod"
_CDK_MODULES = (
    "aws_cdk",
    "aws_cdk.aws_apigateway",
    "aws_cdk.aws_apigatewayv2",
    "aws_cdk.aws_apigatewayv2_integrations",
    "aws_cdk.aws_events",
    "aws_cdk.aws_iam",
    "aws_cdk.aws_lambda",
    "aws_cdk.aws_logs",
)


def run() -> list[Figure]:
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="eventual-bench-") as tmp:
        work = Path(tmp)
        for count in (1, 20):
            figures += _synth_figures(work, count)
        example = [
            _child(work, "service", entry="examples.service", project_root=str(REPO)) for _ in range(ROUNDS)
        ]
    share = statistics.median(100 * r["staging_seconds"] / r["seconds"] for r in example)
    figures.append(
        Figure("asset staging, share of the example's synth", share, "%", budget=STAGING_SHARE_BUDGET_PERCENT)
    )
    figures.append(
        Figure("example asset, zipped", example[0]["asset_bytes"] / 1024, "KB", budget=ASSET_BUDGET_KB)
    )
    return figures


# -- parent side --------------------------------------------------------------------------------


def _synth_figures(work: Path, count: int) -> list[Figure]:
    project = work / f"project-{count}"
    package = f"bench_svc_{count}"
    (project / package).mkdir(parents=True)
    (project / package / "__init__.py").write_text("")
    declarations = "".join(f"s{i} = socket('socket-{i:02}', {{}})\n" for i in range(count))
    (project / package / "service.py").write_text(f"from eventual import socket\n\n{declarations}")
    entry = f"{package}.service"
    # The hand-written app's asset folder: the very files the Service stages, unpacked (not timed).
    staged = _child(work, "service", entry=entry, project_root=str(project))
    asset_folder = work / f"asset-{count}"
    with zipfile.ZipFile(staged["asset_path"]) as archive:
        archive.extractall(asset_folder)
    sockets = [f"socket-{i:02}" for i in range(count)]
    ours, theirs = [], []
    for _ in range(ROUNDS):
        theirs.append(_child(work, "handwritten", asset_folder=str(asset_folder), sockets=sockets))
        ours.append(_child(work, "service", entry=entry, project_root=str(project)))
    label = f"synth, {count} socket{'s' if count > 1 else ''}"
    figures = []
    for measure, unit in (("cpu_seconds", "CPU s"), ("seconds", "s wall")):
        best_ours, best_theirs = min(r[measure] for r in ours), min(r[measure] for r in theirs)
        budget = SYNTH_BUDGET if measure == "cpu_seconds" else None
        figures += [
            Figure(f"{label}: hand-written aws-cdk-lib app", best_theirs, unit),
            Figure(
                f"{label}: eventual Service", best_ours, unit, ratio=best_ours / best_theirs, budget=budget
            ),
        ]
    return figures


def _child(work: Path, kind: str, **kwargs: Any) -> dict[str, Any]:
    """One synth in a fresh interpreter; returns what the child measured."""
    outdir = tempfile.mkdtemp(dir=work, prefix="cdk.out-")
    cache = tempfile.mkdtemp(dir=work, prefix="cache-")  # cold: the asset is built and zipped
    env = {
        **os.environ,
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "EVENTUAL_CACHE_DIR": cache,
    }
    arguments = json.dumps(kwargs)
    call = f"from benchmarks.bench_constructs import _measure; _measure({kind!r}, {outdir!r}, {arguments!r})"
    done = subprocess.run(
        [sys.executable, "-c", call], cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        raise RuntimeError(f"{kind} synth failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


# -- child side ---------------------------------------------------------------------------------


def _measure(kind: str, outdir: str, arguments: str) -> None:
    import importlib

    for module in _CDK_MODULES:
        importlib.import_module(module)
    kwargs = json.loads(arguments)
    start, start_cpu = time.perf_counter(), _cpu_seconds()
    extra = _with_service(outdir, **kwargs) if kind == "service" else _handwritten(outdir, **kwargs)
    seconds, cpu = time.perf_counter() - start, _cpu_seconds() - start_cpu
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, **extra}))


def _cpu_seconds() -> float:
    """CPU time of this process and the jsii kernel's node processes: what a synth costs whatever
    else the machine runs (wall time on a shared machine mostly measures the neighbours)."""
    import jsii

    total = time.process_time()
    pending = [jsii.kernel.provider._process._process.pid]  # type: ignore[attr-defined]
    ticks = os.sysconf("SC_CLK_TCK")
    while pending:
        pid = pending.pop()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
            pending += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            continue
    return total


def _with_service(outdir: str, *, entry: str, project_root: str) -> dict[str, Any]:
    import aws_cdk as cdk

    import eventual.constructs.service as service_module
    from eventual.constructs import Service

    staging = 0.0
    build_asset = service_module.build_asset

    def timed_build_asset(*args: Any, **kwargs: Any) -> Any:
        nonlocal staging
        start = time.perf_counter()
        try:
            return build_asset(*args, **kwargs)
        finally:
            staging += time.perf_counter() - start

    service_module.build_asset = timed_build_asset  # type: ignore[assignment]
    app = cdk.App(outdir=outdir)
    stack = cdk.Stack(app, "Bench")
    service = Service(stack, "Service", name=SERVICE, entry=entry, project_root=project_root)
    app.synth()
    return {
        "staging_seconds": staging,
        "asset_path": str(service.asset.path),
        "asset_bytes": service.asset.size,
    }


def _handwritten(outdir: str, *, asset_folder: str, sockets: list[str]) -> dict[str, Any]:
    """What a CDK user would write by hand for the same service: the same resources and wiring."""
    import aws_cdk as cdk
    import jsii
    from aws_cdk import aws_apigateway as apigw
    from aws_cdk import aws_apigatewayv2 as apigwv2
    from aws_cdk import aws_events as events
    from aws_cdk import aws_iam as iam
    from aws_cdk import aws_lambda as lambda_
    from aws_cdk import aws_logs as logs
    from aws_cdk.aws_apigatewayv2_integrations import WebSocketLambdaIntegration

    @jsii.implements(apigwv2.IAccessLogSettings)
    class AccessLogs:
        def __init__(self, group: logs.ILogGroup, fields: dict[str, str]) -> None:
            self._destination = apigwv2.LogGroupLogDestination(group)
            self._format = apigw.AccessLogFormat.custom(json.dumps(fields))

        @property
        def destination(self) -> apigwv2.IAccessLogDestination:
            return self._destination

        @property
        def format(self) -> apigw.AccessLogFormat:
            return self._format

    fields = {"requestId": "$context.requestId", "status": "$context.status"}
    app = cdk.App(outdir=outdir)
    stack = cdk.Stack(app, "Bench")
    execution_logs = logs.LogGroup(
        stack,
        "ExecutionLogs",
        log_group_name=f"{SERVICE}-execution-logs",
        retention=logs.RetentionDays.ONE_MONTH,
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    access_logs = logs.LogGroup(
        stack, "AccessLogs", retention=logs.RetentionDays.ONE_MONTH, removal_policy=cdk.RemovalPolicy.DESTROY
    )
    role = iam.Role(stack, "FunctionRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    bus = events.EventBus(stack, "EventBus", event_bus_name=SERVICE)
    http_api = apigwv2.HttpApi(stack, "HttpApi", api_name=SERVICE, create_default_stage=False)
    http_stage = apigwv2.HttpStage(
        stack,
        "HttpStage",
        http_api=http_api,
        auto_deploy=True,
        access_log_settings=AccessLogs(access_logs, fields),
        throttle=apigwv2.ThrottleSettings(rate_limit=100, burst_limit=200),
    )
    throttle = apigwv2.ThrottleSettings(rate_limit=100, burst_limit=200)
    account = _handwritten_account_logging(stack)
    code = lambda_.Code.from_asset(asset_folder)
    functions, stages = [], {}
    for name in sockets:
        function = lambda_.Function(
            stack,
            f"{name}Function",
            code=code,
            handler="eventual.runtime.handler.handle",
            runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64,
            memory_size=512,
            timeout=cdk.Duration.seconds(10),
            role=role,
            log_group=execution_logs,
            function_name=f"{SERVICE}-{name}",
            environment={
                "EVENTUAL_SERVICE_NAME": SERVICE,
                "EVENTUAL_SOCKET_NAME": name,
                "EVENTUAL_ENTRY": "x",
            },
        )
        api = apigwv2.WebSocketApi(stack, f"{name}Api", api_name=f"{SERVICE}-{name}")
        integration = WebSocketLambdaIntegration(f"{name}Integration", function)
        for route in ("$connect", "$disconnect", "$default"):
            api.add_route(route, integration=integration, return_response=route == "$default")
        stage = apigwv2.WebSocketStage(
            stack,
            f"{name}Stage",
            web_socket_api=api,
            stage_name=STAGE,
            auto_deploy=True,
            access_log_settings=AccessLogs(access_logs, fields),
            throttle=throttle,
        )
        stage.node.add_dependency(account)
        cdk.CfnOutput(stack, f"{name}Url", value=stage.url, description=f"eventual {SERVICE} socket {name}")
        functions.append(function)
        stages[name] = stage
    urls = json.dumps({name: {"wss": s.url, "http": s.callback_url} for name, s in stages.items()})
    for function in functions:
        function.add_environment("EVENTUAL_SOCKET_URLS", urls)
    execution_logs.grant_write(role)
    for stage in stages.values():
        stage.grant_management_api_access(role)
    document = json.dumps({"service": SERVICE, "sockets": {name: s.url for name, s in stages.items()}})
    _handwritten_document(stack, http_api, code, execution_logs, document)
    cdk.CfnOutput(stack, "ApiUrl", value=http_stage.url, description=f"eventual {SERVICE} api")
    cdk.CfnOutput(
        stack, "EventBusArn", value=bus.event_bus_arn, description=f"eventual {SERVICE} event-bus-arn"
    )
    cdk.CfnOutput(
        stack,
        "LogGroupName",
        value=execution_logs.log_group_name,
        description=f"eventual {SERVICE} log-group",
    )
    app.synth()
    return {}


def _handwritten_account_logging(stack: Any) -> Any:
    """A custom resource that sets the account's CloudWatch role, as the Service has."""
    import aws_cdk as cdk
    from aws_cdk import aws_iam as iam
    from aws_cdk import aws_lambda as lambda_
    from aws_cdk import aws_logs as logs

    role = iam.Role(stack, "AccountLoggingRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    role.add_to_policy(iam.PolicyStatement(actions=["apigateway:GET", "apigateway:PATCH"], resources=["*"]))
    role.add_to_policy(iam.PolicyStatement(actions=["iam:CreateRole", "iam:PassRole"], resources=["*"]))
    log_group = logs.LogGroup(stack, "AccountLoggingLogs", retention=logs.RetentionDays.ONE_MONTH)
    handler = lambda_.Function(
        stack,
        "AccountLogging",
        code=lambda_.Code.from_inline("def handler(event, context):\n    pass\n"),
        handler="index.handler",
        runtime=lambda_.Runtime.PYTHON_3_14,
        architecture=lambda_.Architecture.ARM_64,
        role=role,
        log_group=log_group,
    )
    return cdk.CustomResource(stack, "AccountLoggingSetting", service_token=handler.function_arn)


def _handwritten_document(stack: Any, http_api: Any, code: Any, log_group: Any, document: str) -> None:
    """The HTTP API's function and its two GET routes, as the Service has."""
    import aws_cdk as cdk
    from aws_cdk import aws_apigatewayv2 as apigwv2
    from aws_cdk import aws_iam as iam
    from aws_cdk import aws_lambda as lambda_
    from aws_cdk.aws_apigatewayv2_integrations import HttpLambdaIntegration

    role = iam.Role(stack, "DocumentRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    function = lambda_.Function(
        stack,
        "Document",
        code=code,
        handler="eventual.service_document.handle",
        runtime=lambda_.Runtime.PYTHON_3_14,
        architecture=lambda_.Architecture.ARM_64,
        memory_size=128,
        timeout=cdk.Duration.seconds(3),
        role=role,
        log_group=log_group,
        environment={"EVENTUAL_SERVICE_DOCUMENT": document},
    )
    log_group.grant_write(role)
    integration = HttpLambdaIntegration("Document", function)
    for path in ("/__eventual/service", "/"):
        http_api.add_routes(path=path, methods=[apigwv2.HttpMethod.GET], integration=integration)
