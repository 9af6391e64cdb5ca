"""``eventual local``: the service's sockets on a local server that behaves like API Gateway.

The dev server (and websockets) is imported inside the command, so ``eventual --help`` never
pays for it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from eventual.errors import ConfigurationError
from eventual.project import DEFAULT_LOCAL_PORT, Project, find_project

_SECONDS = click.FloatRange(min=0, min_open=True)


@click.command("local", short_help="Run the service's sockets on a local dev server.")
@click.option(
    "--entry",
    metavar="MODULE",
    help="Module declaring the sockets. Default: `entry` of [tool.eventual] in pyproject.toml.",
)
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_LOCAL_PORT, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--idle-timeout",
    type=_SECONDS,
    default=600.0,
    show_default=True,
    help="Seconds without a client frame before a connection closes (API Gateway: 10 minutes).",
)
@click.option(
    "--max-duration",
    type=_SECONDS,
    default=7200.0,
    show_default=True,
    help="Seconds a connection may stay open (API Gateway: 2 hours).",
)
@click.option(
    "--reload/--no-reload", default=True, show_default=True, help="Reload handlers on code changes."
)
@click.option("--quiet", is_flag=True, help="Do not print a line per event.")
def local(
    entry: str | None,
    port: int,
    host: str,
    idle_timeout: float,
    max_duration: float,
    reload: bool,
    quiet: bool,
) -> None:
    """Serve the service's sockets at ws://HOST:PORT/__ws/<socket>, like API Gateway does.

    Handlers run through the same runtime as in Lambda; `send` reaches clients through the
    server's own management API (http://HOST:PORT/__ws/<socket>/@connections/<id>).
    """
    from eventual.local import Limits
    from eventual.local.run import serve

    try:
        serve(
            _project(entry),
            host=host,
            port=port,
            limits=Limits(idle_timeout=idle_timeout, max_duration=max_duration),
            reload=reload,
            echo=click.echo,
            echo_error=lambda line: click.echo(line, err=True),
            quiet=quiet,
        )
    except ConfigurationError as error:
        raise click.ClickException(str(error)) from None


def _project(entry: str | None) -> Project:
    """The project's [tool.eventual] table; ``--entry`` overrides its entry or stands in for it."""
    try:
        project = find_project()
    except ConfigurationError as error:
        if entry is None:
            raise ConfigurationError(f"{error}, or pass --entry MODULE") from None
        cwd = Path.cwd()
        return Project(root=cwd, service=cwd.name, entry=entry)
    return replace(project, entry=entry) if entry else project
