"""``eventual get service``: a deployed service's endpoints, read from CloudFormation outputs.

boto3 is imported inside the command, so ``eventual --help`` never pays for it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

import click

from eventual.cli.aws_errors import aws_errors
from eventual.cli.options import (
    DEFAULT_SERVICE_ENV,
    LOCAL_OPTION,
    PORT_OPTION,
    PROFILE_OPTION,
    REGION_OPTION,
    SERVICE_OPTION,
    STAGE_ENV,
    STAGE_OPTION,
)
from eventual.cli.readiness import HEALTHY, not_ready, status_note
from eventual.outputs import ServiceEndpoints, services_from_outputs
from eventual.service_document import LOCAL_STAGE
from eventual.stages import stage_problem

if TYPE_CHECKING:
    import boto3
    from mypy_boto3_cloudformation import CloudFormationClient


class InvalidStage(click.ClickException):
    """A stage name no deploy can have made (:func:`eventual.stages.stage_problem`)."""

    exit_code = 2


class ServiceChoiceNeeded(click.ClickException):
    """Several services (or stages of one) are deployed and none was chosen."""

    exit_code = 2


@dataclass(frozen=True)
class DeployedService:
    """One service found in one CloudFormation stack."""

    endpoints: ServiceEndpoints
    stack: str
    stack_status: str
    region: str

    @property
    def name(self) -> str:
        return self.endpoints.name

    @property
    def stage(self) -> str:
        return self.endpoints.stage


@click.command("service", short_help="Print a deployed service's endpoints.")
@SERVICE_OPTION
@STAGE_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object, for scripts.")
@REGION_OPTION
@PROFILE_OPTION
@LOCAL_OPTION
@PORT_OPTION
def service(
    service_name: str | None,
    stage: str | None,
    as_json: bool,
    region: str | None,
    profile: str | None,
    local: bool,
    port: int | None,
) -> None:
    """Print a deployed service's endpoints: stage, API Gateway, event bus, log group and sockets.

    Services are found through CloudFormation: every stack holding the outputs of an
    eventual Service construct. Inside a project, the service is the one its pyproject.toml
    names ([tool.eventual] service) unless --service or EVENTUAL_DEFAULT_SERVICE says otherwise.
    AWS_ENDPOINT_URL, AWS_PROFILE and AWS_REGION are honoured as by any AWS tool. Endpoints of a
    stack that is not *_COMPLETE, or whose URLs are incomplete, are marked as not ready.
    With --json, an error is one JSON object on stdout too: {"error": "..."}.

    \b
    Examples:
      eventual get service
      eventual get service --service my-service --stage dev --json
      eventual get service --local
    """
    try:
        click.echo(_listing(service_name, stage, as_json, region, profile, local, port))
    except click.ClickException as error:
        if not as_json:
            raise
        _json_error(error)


def _listing(
    service_name: str | None,
    stage: str | None,
    as_json: bool,
    region: str | None,
    profile: str | None,
    local: bool,
    port: int | None,
) -> str:
    if local:
        return _local_listing(port, as_json)
    if port is not None:
        raise click.UsageError("--port only applies with --local")
    chosen = find_deployed(service_name, stage, region, profile)
    return _render_json(chosen) if as_json else _render_text(chosen)


def find_deployed(
    service_name: str | None, stage: str | None, region: str | None, profile: str | None
) -> DeployedService:
    """The deployed service the options (or the project) choose: the one lookup ``get service``,
    ``logs`` and ``connect`` share. Errors are one line (``click.ClickException``)."""
    if stage is not None and (problem := stage_problem(stage)) is not None:
        # No deployed stage can bear it: say the rule rather than "no such stage" after a lookup.
        raise InvalidStage(f"--stage ({STAGE_ENV}): {problem}")
    with aws_errors():
        client = _cloudformation(region, profile)
        found, unfinished = _find_services(client)
        region_name = client.meta.region_name
    name, origin = (service_name, None) if service_name else _project_service()
    return _choose(found, unfinished, name, stage, region_name, origin)


def _json_error(error: click.ClickException) -> NoReturn:
    """``{"error": message}`` on stdout, for scripts that parse what they read; the exit code stays."""
    click.echo(json.dumps({"error": error.format_message()}))
    raise click.exceptions.Exit(error.exit_code)


def _project_service() -> tuple[str | None, str | None]:
    """The service of the project the command runs in, and where it is named; (None, None) outside one.

    A pyproject.toml that cannot be read is ignored here: listing deployed services needs no project
    (``eventual local`` reports it)."""
    from eventual.errors import ConfigurationError
    from eventual.project import find_project

    try:
        project = find_project()
    except ConfigurationError:
        return None, None
    return project.service, f"[tool.eventual] service in {project.pyproject}"


# -- finding services -------------------------------------------------------------------------


def aws_session(region: str | None, profile: str | None) -> boto3.Session:
    """A boto3 session for ``--region``/``--profile`` (else the environment's and the profile's)."""
    import boto3

    return boto3.Session(profile_name=profile or None, region_name=region or None)


def _cloudformation(region: str | None, profile: str | None) -> CloudFormationClient:
    return aws_client(aws_session(region, profile), "cloudformation")  # type: ignore[no-any-return]


def aws_client(session: boto3.Session, service: str) -> Any:
    """``session.client(service)``, with a malformed endpoint URL reported in one line."""
    try:
        return session.client(service)  # type: ignore[call-overload]
    except ValueError as error:  # botocore's word for a malformed endpoint URL
        raise click.ClickException(
            f"{error}; check AWS_ENDPOINT_URL or the profile's endpoint_url"
        ) from error


def _find_services(client: CloudFormationClient) -> tuple[list[DeployedService], list[str]]:
    """Every service in every stack, and the stacks without outputs that are unfinished."""
    found: list[DeployedService] = []
    unfinished: list[str] = []
    region = client.meta.region_name
    for page in client.get_paginator("describe_stacks").paginate():
        for stack in page.get("Stacks", []):
            status = stack["StackStatus"]
            if status == "DELETE_COMPLETE":
                continue
            outputs: list[Any] = stack.get("Outputs", [])
            services = services_from_outputs(outputs)
            if not services and status not in HEALTHY:
                unfinished.append(f"{stack['StackName']} ({status})")
            found.extend(
                DeployedService(endpoints, stack["StackName"], status, region)
                for endpoints in services.values()
            )
    return sorted(found, key=lambda s: (s.name, s.stage, s.stack)), unfinished


def _choose(
    found: list[DeployedService],
    unfinished: list[str],
    name: str | None,
    stage: str | None,
    region: str,
    origin: str | None = None,
) -> DeployedService:
    """The service ``name`` (``origin`` says where the name came from, if not the command line)."""
    names = sorted({s.name for s in found})
    if not found:
        hint = f"; stacks without outputs yet: {_few(unfinished)}" if unfinished else ""
        raise click.ClickException(
            f"no eventual service found in {region}: no CloudFormation stack there holds a "
            f"Service's outputs (deploy with `npx cdk deploy`, or pick another --region){hint}"
        )
    if name is None:
        if len(names) > 1:
            raise ServiceChoiceNeeded(
                f"{len(names)} services in {region}: {', '.join(names)}; choose one with "
                f"--service NAME or {DEFAULT_SERVICE_ENV}=NAME"
            )
        name = names[0]
    stages = [s for s in found if s.name == name]
    if not stages:
        named_by = f" (named by {origin}; choose another with --service NAME)" if origin else ""
        raise click.ClickException(
            f"no service named {name!r} in {region}{named_by}; services found: {', '.join(names)}"
        )
    return _choose_stage(stages, name, stage, region)


def _choose_stage(
    stages: list[DeployedService], name: str, stage: str | None, region: str
) -> DeployedService:
    """One stage of ``name``: the one asked for, or the only one. Stages never share a name in a
    region (their bus and log group carry the stage), so the first match is the one."""
    deployed = sorted({s.stage for s in stages})
    if stage is None:
        if len(deployed) > 1:
            raise ServiceChoiceNeeded(
                f"{len(deployed)} stages of {name} in {region}: {', '.join(deployed)}; choose one with "
                f"--stage NAME or {STAGE_ENV}=NAME"
            )
        return stages[0]
    for candidate in stages:
        if candidate.stage == stage:
            return candidate
    raise click.ClickException(
        f"no stage {stage!r} of service {name!r} in {region}; stages found: {', '.join(deployed)}"
    )


def _few(items: list[str], limit: int = 5) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


# -- printing ---------------------------------------------------------------------------------


def _render_text(service: DeployedService) -> str:
    endpoints = service.endpoints
    unready = not_ready(endpoints, service.stack_status)
    sockets: Any = unready.get("sockets", {})
    lines = []
    note = status_note(service.stack_status)
    if note:
        lines.append(f"Stack Status: {service.stack_status} - stack {service.stack}: {note}")
    lines.append(f"Stage: {endpoints.stage}")
    if endpoints.domain:
        lines.append(f"Custom Domain: {endpoints.domain}")
    lines += [
        f"API Gateway: {_marked(endpoints.api, unready.get('api_endpoint'))}",
        f"Event Bus Arn: {endpoints.event_bus_arn or '(none)'}",
        f"Service Log Group: {endpoints.log_group or '(none)'}",
        "Socket Endpoints:",
    ]
    lines += [
        f"\t{name} - {_marked(url, sockets.get(name))}" for name, url in sorted(endpoints.sockets.items())
    ] or ["\t(none)"]
    return "\n".join(lines)


def _marked(url: str | None, why: object) -> str:
    """``url``, followed by why it is not ready yet if it is not."""
    if not url:
        return "(none)"
    return f"{url} (not ready: {why})" if why else url


def _render_json(service: DeployedService) -> str:
    return _json_object(
        service.endpoints,
        stage=service.stage,
        stack=service.stack,
        stack_status=service.stack_status,
        region=service.region,
        not_ready=not_ready(service.endpoints, service.stack_status),
    )


def _json_object(
    endpoints: ServiceEndpoints,
    *,
    stage: str | None,
    stack: str | None,
    stack_status: str | None,
    region: str | None,
    not_ready: dict[str, object],
) -> str:
    """The one JSON shape, for deployed and local services alike: every key always present.

    ``domain``: the stage's WebSocket custom domain (``null`` without one; ``sockets`` then hold
    execute-api URLs). ``not_ready``: the endpoints not usable yet, and why (``{}`` when all are)."""
    return json.dumps(
        {
            "service": endpoints.name,
            "stage": stage,
            "domain": endpoints.domain,
            "api_endpoint": endpoints.api,
            "event_bus_arn": endpoints.event_bus_arn,
            "log_group": endpoints.log_group,
            "sockets": dict(sorted(endpoints.sockets.items())),
            "stack": stack,
            "stack_status": stack_status,
            "region": region,
            "not_ready": not_ready,
        },
        indent=2,
    )


# -- the local dev server ---------------------------------------------------------------------


def _local_listing(port: int | None, as_json: bool) -> str:
    from eventual.errors import ConfigurationError
    from eventual.project import (
        DEFAULT_LOCAL_HOST,
        DEFAULT_LOCAL_PORT,
        find_project,
        load_sockets,
        local_socket_url,
    )

    port = port or DEFAULT_LOCAL_PORT
    try:
        project = find_project()
        sockets = load_sockets(project)
    except ConfigurationError as error:
        raise click.ClickException(str(error)) from error
    server = f"http://{DEFAULT_LOCAL_HOST}:{port}"
    endpoints = ServiceEndpoints(
        project.service,
        api=server,
        sockets={name: local_socket_url(name, port=port) for name in sockets},
    )
    if as_json:
        return _json_object(
            endpoints, stage=LOCAL_STAGE, stack=None, stack_status=None, region=None, not_ready={}
        )
    lines = [f"Eventual Dev Server: {server} (start it with `eventual local`)", "Sockets are available at:"]
    lines += [f"{name} - {url}" for name, url in sorted(endpoints.sockets.items())] or ["(none)"]
    return "\n".join(lines)
