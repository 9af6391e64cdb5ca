"""``eventual get service``: a deployed service's endpoints, read from CloudFormation outputs.

boto3 is imported inside the command, so ``eventual --help`` never pays for it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from eventual.outputs import DEFAULT_STAGE, ServiceEndpoints, services_from_outputs
from eventual.service_document import LOCAL_STAGE

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient

DEFAULT_SERVICE_ENV = "EVENTUAL_DEFAULT_SERVICE"
STAGE_ENV = "EVENTUAL_STAGE"
_HEALTHY = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"})
_CREDENTIAL_ERRORS = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
    }
)
_ACCESS_ERRORS = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})


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


_SERVICE = click.option(
    "--service",
    "service_name",
    metavar="NAME",
    envvar=DEFAULT_SERVICE_ENV,
    help=f"The service to show; needed when several are deployed. [env: {DEFAULT_SERVICE_ENV}]",
)
_STAGE = click.option(
    "--stage",
    metavar="NAME",
    envvar=STAGE_ENV,
    help=f"The stage to show (`{DEFAULT_STAGE}`: the one named after the service alone); needed when "
    f"several stages of the service are deployed. [env: {STAGE_ENV}]",
)
_REGION = click.option(
    "--region",
    metavar="REGION",
    envvar="AWS_REGION",
    help="AWS region to look in. [default: AWS_REGION, AWS_DEFAULT_REGION or the profile's]",
)
_LOCAL = click.option(
    "--local",
    is_flag=True,
    help="Print the endpoints `eventual local` serves for this project (from pyproject.toml); no AWS.",
)
_PORT = click.option(
    "--port",
    type=click.IntRange(1, 65535),
    metavar="PORT",
    default=None,
    help="With --local: the dev server's port. [default: 3111]",
)


@click.command("service", short_help="Print a deployed service's endpoints.")
@_SERVICE
@_STAGE
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object, for scripts.")
@_REGION
@click.option("--profile", metavar="PROFILE", help="AWS profile to use. [default: AWS_PROFILE]")
@_LOCAL
@_PORT
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
    eventual Service construct. AWS_ENDPOINT_URL, AWS_PROFILE and AWS_REGION are honoured
    as by any AWS tool.

    \b
    Examples:
      eventual get service
      eventual get service --service my-service --stage dev --json
      eventual get service --local
    """
    if local:
        click.echo(_local_listing(port, as_json))
        return
    if port is not None:
        raise click.UsageError("--port only applies with --local")
    with _aws_errors():
        client = _cloudformation(region, profile)
        found, unfinished = _find_services(client)
    chosen = _choose(found, unfinished, service_name, stage, client.meta.region_name)
    click.echo(_render_json(chosen) if as_json else _render_text(chosen))


# -- finding services -------------------------------------------------------------------------


def _cloudformation(region: str | None, profile: str | None) -> CloudFormationClient:
    import boto3

    session = boto3.Session(profile_name=profile or None, region_name=region or None)
    try:
        return session.client("cloudformation")
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
            if not services and status not in _HEALTHY:
                unfinished.append(f"{stack['StackName']} ({status})")
            found.extend(
                DeployedService(endpoints, stack["StackName"], status, region)
                for endpoints in services.values()
            )
    return sorted(found, key=lambda s: (s.name, s.stage, s.stack)), unfinished


def _choose(
    found: list[DeployedService], unfinished: list[str], name: str | None, stage: str | None, region: str
) -> DeployedService:
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
        raise click.ClickException(
            f"no service named {name!r} in {region}; services found: {', '.join(names)}"
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


def status_note(status: str) -> str | None:
    """Why the endpoints of a stack in ``status`` may not be what is deployed, or None."""
    if status in _HEALTHY:
        return None
    if status.startswith("DELETE_"):
        if status.endswith("_IN_PROGRESS"):
            return "the stack is being deleted"
        return "deleting the stack failed"
    if status.endswith("_IN_PROGRESS"):
        return "a deployment is in progress; these endpoints may change"
    if status.endswith("_FAILED"):
        return "the last deployment failed; these endpoints may be stale"
    if "ROLLBACK" in status:
        return "the last deployment was rolled back; these are the previous deployment's endpoints"
    return "unexpected stack status"


def _render_text(service: DeployedService) -> str:
    endpoints = service.endpoints
    lines = []
    note = status_note(service.stack_status)
    if note:
        lines.append(f"Stack Status: {service.stack_status} - stack {service.stack}: {note}")
    lines += [
        f"Stage: {endpoints.stage}",
        f"API Gateway: {endpoints.api or '(none)'}",
        f"Event Bus Arn: {endpoints.event_bus_arn or '(none)'}",
        f"Service Log Group: {endpoints.log_group or '(none)'}",
        "Socket Endpoints:",
    ]
    lines += [f"\t{name} - {url}" for name, url in sorted(endpoints.sockets.items())] or ["\t(none)"]
    return "\n".join(lines)


def _render_json(service: DeployedService) -> str:
    return _json_object(
        service.endpoints,
        stage=service.stage,
        stack=service.stack,
        stack_status=service.stack_status,
        region=service.region,
    )


def _json_object(
    endpoints: ServiceEndpoints,
    *,
    stage: str | None,
    stack: str | None,
    stack_status: str | None,
    region: str | None,
) -> str:
    """The one JSON shape, for deployed and local services alike: every key always present."""
    return json.dumps(
        {
            "service": endpoints.name,
            "stage": stage,
            "api_endpoint": endpoints.api,
            "event_bus_arn": endpoints.event_bus_arn,
            "log_group": endpoints.log_group,
            "sockets": dict(sorted(endpoints.sockets.items())),
            "stack": stack,
            "stack_status": stack_status,
            "region": region,
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
        return _json_object(endpoints, stage=LOCAL_STAGE, stack=None, stack_status=None, region=None)
    lines = [f"Eventual Dev Server: {server} (start it with `eventual local`)", "Sockets are available at:"]
    lines += [f"{name} - {url}" for name, url in sorted(endpoints.sockets.items())] or ["(none)"]
    return "\n".join(lines)


# -- errors -----------------------------------------------------------------------------------


@contextmanager
def _aws_errors() -> Iterator[None]:
    """Turn what boto3 raises for a bad setup into one readable line (exit 1, no traceback)."""
    from botocore import exceptions as bx

    try:
        yield
    except bx.ProfileNotFound as error:
        raise click.ClickException(f"{error}; check --profile / AWS_PROFILE") from error
    except bx.NoRegionError as error:
        raise click.ClickException(
            "no AWS region configured: pass --region, set AWS_REGION, or set a region in your AWS profile"
        ) from error
    except (bx.NoCredentialsError, bx.PartialCredentialsError) as error:
        raise click.ClickException(
            "no AWS credentials found: run `aws configure` or `aws sso login`, pass --profile, "
            "or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        ) from error
    except (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ReadTimeoutError) as error:
        endpoint = os.environ.get("AWS_ENDPOINT_URL")
        where = f" (AWS_ENDPOINT_URL={endpoint})" if endpoint else ""
        raise click.ClickException(f"cannot reach CloudFormation{where}: {_one_line(error)}") from error
    except bx.ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        message = _one_line(error.response.get("Error", {}).get("Message", "") or str(error))
        if code in _ACCESS_ERRORS:
            raise click.ClickException(
                "access denied: listing CloudFormation stacks needs cloudformation:DescribeStacks "
                f"({message})"
            ) from error
        if code in _CREDENTIAL_ERRORS:
            raise click.ClickException(
                f"AWS rejected the credentials ({code}): {message}; refresh them or pick another --profile"
            ) from error
        raise click.ClickException(f"CloudFormation error {code}: {message}") from error
    except bx.BotoCoreError as error:
        raise click.ClickException(f"AWS error: {_one_line(error)}") from error


def _one_line(error: object) -> str:
    return " ".join(str(error).split())
