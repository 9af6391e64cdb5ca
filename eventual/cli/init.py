"""``eventual init``: a new project that works at once (tests, ``eventual local``, ``cdk deploy``)."""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

import click

from eventual.cli.scaffold import default_name, package_name, project_files, service_name
from eventual.errors import ConfigurationError


@click.command("init", short_help="Create a new project: a socket, its tests, a page, a CDK app.")
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--name", help="The service's name (ASCII letters, digits, '-'). Default: from DIRECTORY's name."
)
@click.option(
    "--force", is_flag=True, help="Write into a non-empty DIRECTORY, replacing files of the same names."
)
def init(directory: Path, name: str | None, force: bool) -> None:
    """Create a project in DIRECTORY (default: here): pyproject.toml, a package with one socket
    (`echo`, a JSON echo with middleware), web/index.html, tests, app.py and cdk.json.

    Refuses a DIRECTORY that is not empty, unless --force.
    """
    target = directory.resolve()
    try:
        service = service_name(name or default_name(target.name))
        package = package_name(service)
    except ConfigurationError as error:
        hint = "" if name or "--name" in str(error) else " (pass --name NAME)"
        raise click.ClickException(f"{error}{hint}") from None
    _check_empty(target, force)
    written = _write(target, project_files(service, package))
    click.echo(f"Created {service} in {target} ({len(written)} files).")
    click.echo(_next_steps(directory, target))


def _check_empty(target: Path, force: bool) -> None:
    if target.exists() and any(target.iterdir()) and not force:
        raise click.ClickException(
            f"{target} is not empty; pick an empty folder, or pass --force to write into it"
        )


def _write(target: Path, project: dict[PurePosixPath, str]) -> list[Path]:
    written = []
    for relative, text in project.items():
        path = target.joinpath(*relative.parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def _next_steps(directory: Path, target: Path) -> str:
    cd = "" if target == Path.cwd().resolve() else f"  cd {directory}\n"
    return (
        "Next:\n"
        f"{cd}"
        "  python3 -m venv .venv && . .venv/bin/activate\n"
        f"  pip install {installed_from() or 'eventual-py'} && pip install -e '.[dev]'\n"
        "  pytest\n"
        "  eventual local"
    )


def installed_from() -> str | None:
    """Where this eventual-py was installed from, as pip takes it (PEP 610's direct_url.json):
    a folder, or ``git+URL@commit``; ``None`` when unknown."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        text = distribution("eventual-py").read_text("direct_url.json")
    except PackageNotFoundError:
        return None
    if not text:
        return None
    origin = json.loads(text)
    url = str(origin.get("url", ""))
    vcs = origin.get("vcs_info")
    if vcs:
        return f"git+{url}@{vcs.get('commit_id', '')}".rstrip("@")
    if url.startswith("file://"):
        from urllib.request import url2pathname

        return url2pathname(url.removeprefix("file://"))
    return None
