"""``eventual get asyncapi``: the service's AsyncAPI 3.0 document, as its HTTP API serves it.

Deployed: found like ``eventual get service`` finds a service (CloudFormation outputs), then read
from its HTTP API's ``GET /__eventual/asyncapi.json``. ``--local``: built from the project's entry
with the dev server's URLs, as ``eventual local`` serves it (no server needs to run).
"""

from __future__ import annotations

import json
from typing import Any

import click

from eventual.cli.get_service import find_deployed
from eventual.cli.options import (
    LOCAL_OPTION,
    PORT_OPTION,
    PROFILE_OPTION,
    REGION_OPTION,
    SERVICE_OPTION,
    STAGE_OPTION,
)
from eventual.service_document import ASYNCAPI_PATH

TIMEOUT_SECONDS = 15


@click.command("asyncapi", short_help="Print a service's AsyncAPI document.")
@SERVICE_OPTION
@STAGE_OPTION
@REGION_OPTION
@PROFILE_OPTION
@LOCAL_OPTION
@PORT_OPTION
def asyncapi(
    service_name: str | None,
    stage: str | None,
    region: str | None,
    profile: str | None,
    local: bool,
    port: int | None,
) -> None:
    """Print the AsyncAPI 3.0 document of a deployed service (or, with --local, of the project as
    `eventual local` serves it): every socket's channel, each route's messages and replies, their
    JSON Schemas. The service and stage are chosen as by `eventual get service`.

    \b
    Examples:
      eventual get asyncapi --stage dev > asyncapi.json
      eventual get asyncapi --local
    """
    document = (
        _local_document(port) if local else _deployed_document(service_name, stage, region, profile, port)
    )
    click.echo(json.dumps(document, indent=2))


def _local_document(port: int | None) -> dict[str, Any]:
    from eventual.asyncapi import asyncapi_document
    from eventual.errors import ConfigurationError
    from eventual.project import DEFAULT_LOCAL_PORT, find_project, load_sockets, local_socket_url
    from eventual.service_document import LOCAL_STAGE

    try:
        project = find_project()
        sockets = load_sockets(project)
        urls = {name: local_socket_url(name, port=port or DEFAULT_LOCAL_PORT) for name in sockets}
        return asyncapi_document(project.service, LOCAL_STAGE, sockets, urls=urls)
    except ConfigurationError as error:
        raise click.ClickException(str(error)) from error


def _deployed_document(
    service_name: str | None, stage: str | None, region: str | None, profile: str | None, port: int | None
) -> dict[str, Any]:
    if port is not None:
        raise click.UsageError("--port only applies with --local")
    chosen = find_deployed(service_name, stage, region, profile)
    if not chosen.endpoints.api:
        raise click.ClickException(
            f"service {chosen.name!r} (stack {chosen.stack}) has no HTTP API output yet"
        )
    return _fetch(chosen.endpoints.api.rstrip("/") + ASYNCAPI_PATH)


def _fetch(url: str) -> dict[str, Any]:
    import urllib.error  # here: `eventual --help` never pays for urllib's HTTP stack
    import urllib.request

    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:
            document: dict[str, Any] = json.loads(answer.read())
            return document
    except urllib.error.HTTPError as error:
        if error.code == 404:
            raise click.ClickException(
                f"{url} answered 404: this deployment serves no AsyncAPI document yet; deploy it again"
            ) from None
        raise click.ClickException(f"{url} answered {error.code} {error.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise click.ClickException(f"cannot reach {url}: {reason}") from None
    except ValueError:
        raise click.ClickException(f"{url} did not answer JSON") from None
