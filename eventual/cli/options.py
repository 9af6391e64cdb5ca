"""The options every command that finds a service shares (``get service``, ``get asyncapi``,
``logs``, ``connect``): one spelling, one help text, one environment variable each."""

from __future__ import annotations

import click

from eventual.outputs import DEFAULT_STAGE

DEFAULT_SERVICE_ENV = "EVENTUAL_DEFAULT_SERVICE"
STAGE_ENV = "EVENTUAL_STAGE"

SERVICE_OPTION = click.option(
    "--service",
    "service_name",
    metavar="NAME",
    envvar=DEFAULT_SERVICE_ENV,
    help="The service to show; needed when several are deployed, unless run inside a project "
    f"([tool.eventual] service in pyproject.toml). [env: {DEFAULT_SERVICE_ENV}]",
)
STAGE_OPTION = click.option(
    "--stage",
    metavar="NAME",
    envvar=STAGE_ENV,
    help=f"The stage to show (`{DEFAULT_STAGE}`: the one named after the service alone); needed when "
    f"several stages of the service are deployed. [env: {STAGE_ENV}]",
)
REGION_OPTION = click.option(
    "--region",
    metavar="REGION",
    envvar="AWS_REGION",
    help="AWS region to look in. [default: AWS_REGION, AWS_DEFAULT_REGION or the profile's]",
)
LOCAL_OPTION = click.option(
    "--local",
    is_flag=True,
    help="Print the endpoints `eventual local` serves for this project (from pyproject.toml); no AWS.",
)
PORT_OPTION = click.option(
    "--port",
    type=click.IntRange(1, 65535),
    metavar="PORT",
    default=None,
    help="With --local: the dev server's port. [default: 3111]",
)
PROFILE_OPTION = click.option(
    "--profile", metavar="PROFILE", help="AWS profile to use. [default: AWS_PROFILE]"
)
