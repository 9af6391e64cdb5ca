"""The project's own configuration: ``[tool.eventual]`` in the nearest ``pyproject.toml``.

``eventual local`` and ``eventual get service --local`` both start here::

    [tool.eventual]
    service = "my-service"
    entry = "examples.service"   # the module that declares the service's sockets
"""

from __future__ import annotations

import importlib
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from eventual.errors import ConfigurationError
from eventual.sockets import Socket, sockets_of

PYPROJECT = "pyproject.toml"


@dataclass(frozen=True)
class Project:
    """One project's ``[tool.eventual]`` table and where it was found."""

    root: Path
    """The directory holding the ``pyproject.toml``; the entry module is imported from here."""
    service: str
    entry: str

    @property
    def pyproject(self) -> Path:
        return self.root / PYPROJECT


def find_project(start: Path | None = None) -> Project:
    """The nearest ``pyproject.toml`` with a ``[tool.eventual]`` table, from ``start`` (default: cwd) up.

    Raises :class:`ConfigurationError` when there is none or when it is incomplete.
    """
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        path = directory / PYPROJECT
        if not path.is_file():
            continue
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {}).get("eventual")
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise ConfigurationError(f"cannot read {path}: {error}") from error
        if table is None:
            continue
        return _project(directory, path, table)
    raise ConfigurationError(
        f"no {PYPROJECT} with a [tool.eventual] table in {here} or above; add one with "
        '`service = "<name>"` and `entry = "<module declaring your sockets>"`'
    )


def _project(root: Path, path: Path, table: object) -> Project:
    if not isinstance(table, dict):
        raise ConfigurationError(f"{path}: [tool.eventual] must be a table")
    values: dict[str, str] = {}
    for key in ("service", "entry"):
        value = table.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ConfigurationError(f"{path}: [tool.eventual] needs `{key}` as a non-empty string")
        values[key] = value.strip()
    return Project(root=root, service=values["service"], entry=values["entry"])


def load_sockets(project: Project) -> dict[str, Socket]:
    """Import the project's entry module (from its root) and return its sockets, by name.

    Raises :class:`ConfigurationError` when the module cannot be imported; the message names the
    original error.
    """
    root = str(project.root)
    if root not in sys.path:
        sys.path.insert(0, root)
    try:
        importlib.import_module(project.entry)
    except Exception as error:  # user code: any error means "this entry is unusable"
        raise ConfigurationError(
            f"cannot import entry {project.entry!r} from {project.root}: {type(error).__name__}: {error}"
        ) from error
    return sockets_of(project.entry)


DEFAULT_LOCAL_HOST = "localhost"
DEFAULT_LOCAL_PORT = 3111
"""Where ``eventual local`` serves unless told otherwise."""


def local_socket_url(name: str, *, host: str = DEFAULT_LOCAL_HOST, port: int = DEFAULT_LOCAL_PORT) -> str:
    """A socket's URL on the dev server: ``ws://HOST:PORT/__ws/<name>``."""
    return f"ws://{host}:{port}/__ws/{name}"
