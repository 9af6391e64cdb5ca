"""Synth refuses an asset that cannot import: every module the entry's package imports must ship.

A service that imports a package installed only in the developer's virtualenv synthesizes, deploys,
and then fails at its first cold start. So staging reads the imports of the entry's own files
(``ast``, no import) and checks each top-level name against what Lambda will have on its path:

- the standard library (``sys.stdlib_module_names``) and the entry's package itself;
- ``eventual``'s modules that ship in the asset (its core and ``runtime``; not ``constructs``,
  ``cli``, ``local`` or ``testing``);
- what the Lambda Python runtime provides: "Your code runs in an environment that includes the SDK
  for Python (Boto3)" (AWS Lambda Developer Guide, "Building Lambda functions with Python",
  https://docs.aws.amazon.com/lambda/latest/dg/lambda-python.html; the runtimes are listed in
  "Lambda runtimes", https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html), that is
  boto3 and what it needs: botocore, s3transfer, jmespath, python-dateutil, urllib3, six;
- what the requirements install: the top-level modules pip put in the asset's target folder, and
  the import names of the distributions ``requirements.txt`` lists (``packages_distributions()``
  where installed here, else the normalized distribution name).

Not counted: imports under ``if TYPE_CHECKING:`` (never run), and imports in a ``try`` whose
``except`` catches ``ImportError`` (optional by design). Relative imports are the package's own.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from eventual.constructs.errors import ServiceDefinitionError

LAMBDA_PROVIDED = frozenset({"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six"})
"""boto3 and its dependencies, as the Python runtimes hold them in ``/var/runtime``."""
REMOVED_FROM_STDLIB = {
    (3, 12): frozenset({"asynchat", "asyncore", "distutils", "imp", "smtpd"}),
    (3, 13): frozenset(
        {"aifc", "audioop", "cgi", "cgitb", "chunk", "crypt", "imghdr", "lib2to3", "mailcap", "msilib", "nis"}
        | {"nntplib", "ossaudiodev", "pipes", "sndhdr", "spwd", "sunau", "telnetlib", "uu", "xdrlib"}
    ),
}
"""Modules synth's Python may have that the function's does not (PEP 594, PEP 632, "What's New")."""
_OPTIONAL_GUARDS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})
_REQUIREMENT = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclass(frozen=True)
class Import:
    """One import statement's top-level module, and where it is."""

    module: str
    """Dotted, as written (``a.b`` for ``import a.b``)."""
    file: str
    """The archive name of the file (``svc/service.py``)."""
    line: int

    @property
    def top(self) -> str:
        return self.module.partition(".")[0]


def check_imports(
    entry: str,
    files: Iterable[tuple[str, Path]],
    *,
    shipped_eventual: frozenset[str],
    requirements: Path | None,
    installed: Iterable[str] = (),
    python_version: str | None = None,
) -> None:
    """Raise :class:`ServiceDefinitionError` naming every import of ``files`` (archive name, source)
    the asset cannot satisfy, and where to add it.

    ``shipped_eventual``: the submodules of ``eventual`` in the asset; ``installed``: the top-level
    names pip installed from ``requirements``; ``python_version``: the function's (``"3.14"``)."""
    own = entry.partition(".")[0]
    provided = {own, *LAMBDA_PROVIDED, *installed}
    stdlib = sys.stdlib_module_names - removed_before(python_version)
    missing: dict[str, list[Import]] = {}
    for found in _imports_of(tuple(files)):
        if found.top == "eventual":
            if not _eventual_shipped(found.module, shipped_eventual):
                missing.setdefault(found.module, []).append(found)
        elif found.top not in provided and found.top not in stdlib:
            missing.setdefault(found.top, []).append(found)
    if missing and requirements is not None:
        # Only now: reading every installed distribution's metadata costs more than the rest.
        listed = _requirement_imports(requirements)
        missing = {name: found for name, found in missing.items() if name not in listed}
    if missing:
        raise ServiceDefinitionError(_message(entry, missing, requirements))


def removed_before(python_version: str | None) -> frozenset[str]:
    """The standard library modules gone by ``python_version`` (``"3.14"``)."""
    if python_version is None:
        return frozenset()
    version = tuple(int(part) for part in python_version.split(".")[:2])
    return frozenset().union(*(names for since, names in REMOVED_FROM_STDLIB.items() if version >= since))


def _eventual_shipped(module: str, shipped: frozenset[str]) -> bool:
    parts = module.split(".")
    return len(parts) == 1 or parts[1] in shipped


def _message(entry: str, missing: dict[str, list[Import]], requirements: Path | None) -> str:
    where = "; ".join(f"{name} ({_places(found)})" for name, found in sorted(missing.items()))
    if all(name.startswith("eventual.") for name in missing):
        return (
            f"entry {entry!r} imports {where}, which does not ship to Lambda (only eventual's core and "
            "eventual.runtime do); import it where the socket's code does not run, or not at all"
        )
    target = requirements or _beside(entry)
    add = f"add the distribution(s) to {target}" if target else "pass Service(requirements=...) listing them"
    return (
        f"entry {entry!r} imports {where}: not in the function's standard library, the Lambda Python runtime "
        f"(boto3 and its dependencies) or the service's requirements, so the deployed function would "
        f"fail to import; {add} (one per line; synth installs them into the asset), or remove the import"
    )


def _places(found: list[Import]) -> str:
    shown = ", ".join(f"{i.file}:{i.line}" for i in found[:3])
    return shown + (f" and {len(found) - 3} more" if len(found) > 3 else "")


def _beside(entry: str) -> Path | None:
    """Where ``requirements.txt`` is looked for: the entry's package folder (none for a lone module)."""
    package = sys.modules.get(entry.partition(".")[0])
    folders = list(getattr(package, "__path__", ()))
    return Path(folders[0]) / "requirements.txt" if folders else None


# -- reading imports ----------------------------------------------------------------------------


def _imports_of(files: tuple[tuple[str, Path], ...]) -> Iterator[Import]:
    for name, source in files:
        if name.endswith(".py"):
            stat = source.stat()
            yield from _file_imports(name, source, stat.st_mtime_ns, stat.st_size)


@cache
def _file_imports(name: str, source: Path, mtime_ns: int, size: int) -> tuple[Import, ...]:
    """One file's imports, parsed once per content (an asset per architecture reads it again)."""
    del mtime_ns, size  # part of the cache key only
    try:
        tree = ast.parse(source.read_bytes(), filename=str(source))
    except SyntaxError as error:
        raise ServiceDefinitionError(f"{name}:{error.lineno}: cannot parse: {error.msg}") from error
    return tuple(Import(module, name, line) for module, line in _walk(tree.body))


def _walk(body: Iterable[ast.AST]) -> Iterator[tuple[str, int]]:
    for node in body:
        if isinstance(node, ast.Import):
            yield from ((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                yield node.module, node.lineno
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _walk(node.orelse)
        elif isinstance(node, ast.Try | ast.TryStar) and _guards_imports(node):
            yield from _walk([*node.handlers, *node.orelse, *node.finalbody])
        else:
            yield from _walk(ast.iter_child_nodes(node))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _guards_imports(node: ast.Try | ast.TryStar) -> bool:
    """A ``try`` one of whose handlers catches ``ImportError``: its body's imports are optional."""
    for handler in node.handlers:
        caught = handler.type
        if caught is None:  # a bare except
            return True
        names = caught.elts if isinstance(caught, ast.Tuple) else [caught]
        if any(isinstance(n, ast.Name) and n.id in _OPTIONAL_GUARDS for n in names):
            return True
    return False


# -- requirements -------------------------------------------------------------------------------


def _requirement_imports(requirements: Path | None) -> set[str]:
    """The import names of the distributions ``requirements`` lists."""
    if requirements is None:
        return set()
    from importlib.metadata import packages_distributions

    by_distribution: dict[str, set[str]] = {}
    for module, distributions in packages_distributions().items():
        for distribution in distributions:
            by_distribution.setdefault(_normalize(distribution), set()).add(module)
    names: set[str] = set()
    for line in requirements.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0]
        match = _REQUIREMENT.match(line)
        if match is None or line.lstrip().startswith("-"):
            continue
        distribution = _normalize(match[1])
        names |= by_distribution.get(distribution, set()) | {distribution.replace("-", "_")}
    return names


def _normalize(distribution: str) -> str:
    """PEP 503: lower case, runs of ``-_.`` as one ``-``."""
    return re.sub(r"[-_.]+", "-", distribution).lower()
