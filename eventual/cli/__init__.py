"""The ``eventual`` command line. Commands import what they need inside themselves, so
``eventual --help`` stays fast."""

from __future__ import annotations

import click

from eventual import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="eventual")
def main() -> None:
    """Eventual for Python: WebSocket services on AWS API Gateway, deployed with CDK."""


@main.group()
def get() -> None:
    """Show deployed resources."""


from eventual.cli.get_service import service  # noqa: E402  (click only; boto3 loads inside)

get.add_command(service)

from eventual.cli.get_asyncapi import asyncapi  # noqa: E402  (click only; boto3 and pydantic load inside)

get.add_command(asyncapi)

from eventual.cli.local import local  # noqa: E402  (click only; the dev server loads inside)

main.add_command(local)

from eventual.cli.init import init  # noqa: E402  (click and the package's templates only)

main.add_command(init)

# Imported under other names: `eventual.cli.logs` and `eventual.cli.connect` stay the modules.
from eventual.cli.logs import logs as logs_command  # noqa: E402  (click only; boto3 loads inside)

main.add_command(logs_command)

from eventual.cli.connect import connect as connect_command  # noqa: E402  (click; websockets inside)

main.add_command(connect_command)
