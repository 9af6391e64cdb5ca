"""The files of a new project (``eventual init``): templates shipped in the package, filled in.

``templates/project/`` mirrors the project: each ``NAME.tmpl`` becomes ``NAME`` (``gitignore``
becomes ``.gitignore``), the folder ``__package__`` becomes the project's package, and
``{{service}}`` and ``{{package}}`` are replaced. ``cdk.json`` is built here, with the feature
flags the CDK recommends for a new app (``templates/cdk-feature-flags.json``, copied from
aws-cdk-lib's ``recommended-feature-flags.json``).
"""

from __future__ import annotations

import json
import keyword
import re
import sys
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import PurePosixPath

from eventual.errors import ConfigurationError
from eventual.stages import SERVICE_NAME_MAX, service_name_problem

TEMPLATES = files("eventual.cli") / "templates"
SUFFIX = ".tmpl"
RESERVED_PACKAGES = frozenset({"eventual", "tests", "web", "app", "examples"})


def service_name(name: str) -> str:
    """``name`` if a service may bear it, else :class:`ConfigurationError` saying why: synth's own
    rule (:func:`eventual.constructs.names.check_service_name`: the characters of
    :func:`eventual.stages.service_name_problem`, and the names AWS reserves), so that a project
    ``init`` writes always synthesizes; a name that breaks the characters' rule gets a suggestion."""
    if service_name_problem(name) is not None:
        suggestion = _slug(_ascii(name))
        instead = f"; try --name {suggestion}" if service_name_problem(suggestion) is None else ""
        raise ConfigurationError(
            f"{name!r} cannot name a service: use letters and digits, with single '-' between them, "
            f"starting with a letter, at most {SERVICE_NAME_MAX} characters (it names the "
            f"CloudFormation stack){instead}"
        )
    from eventual.constructs.errors import ServiceDefinitionError
    from eventual.constructs.names import check_service_name  # the construct's rule, not a copy

    try:
        check_service_name(name)
    except ServiceDefinitionError as error:
        raise ConfigurationError(str(error)) from None
    return name


def default_name(directory_name: str) -> str:
    """A service name from a folder's name: lower case, runs of other characters as one '-'.

    Only separators and punctuation may go: a folder whose name holds letters or digits beyond
    ASCII (``ÜberChat``) would lose them (``berchat``), so it is refused, with a suggestion."""
    lost = sorted({c for c in directory_name if c.isalnum() and not c.isascii()})
    if lost:
        suggestion = _slug(_ascii(directory_name))
        instead = f"--name {suggestion}" if service_name_problem(suggestion) is None else "--name NAME"
        raise ConfigurationError(
            f"the folder name {directory_name!r} would make the service name "
            f"{_slug(directory_name)!r}, without {', '.join(map(repr, lost))}: service names take "
            f"ASCII letters, digits and '-'; pass {instead}"
        )
    return _slug(directory_name)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _ascii(text: str) -> str:
    """``text`` with accents dropped (``Über`` -> ``Uber``), and what has no ASCII form left out."""
    import unicodedata

    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def package_name(service: str) -> str:
    """The project's Python package: the service name in lower case, '-' as '_'."""
    package = service.lower().replace("-", "_")
    if keyword.iskeyword(package) or package in RESERVED_PACKAGES or package in sys.stdlib_module_names:
        raise ConfigurationError(
            f"the service {service!r} would make a package {package!r}, which clashes with "
            f"{'a Python keyword' if keyword.iskeyword(package) else 'an existing module'}; pick another name"
        )
    return package


def project_files(service: str, package: str) -> dict[PurePosixPath, str]:
    """Every file of the new project, by path relative to its folder."""
    found = {
        _target(path, package): text.replace("{{service}}", service).replace("{{package}}", package)
        for path, text in _templates(TEMPLATES / "project", PurePosixPath())
    }
    found[PurePosixPath("cdk.json")] = cdk_json(package)
    return dict(sorted(found.items()))


def cdk_json(package: str) -> str:
    """``cdk.json``: the app, what ``cdk watch`` watches, and the recommended feature flags."""
    flags = json.loads((TEMPLATES / "cdk-feature-flags.json").read_text(encoding="utf-8"))
    config = {
        "app": "python app.py",
        "watch": {
            "include": ["app.py", f"{package}/**"],
            "exclude": ["**/__pycache__", "tests/**", "cdk.out"],
        },
        "context": flags,
    }
    return json.dumps(config, indent=2) + "\n"


def _templates(folder: Traversable, relative: PurePosixPath) -> list[tuple[PurePosixPath, str]]:
    found: list[tuple[PurePosixPath, str]] = []
    for entry in folder.iterdir():
        if entry.is_dir():
            found += _templates(entry, relative / entry.name)
        elif entry.name.endswith(SUFFIX):
            found.append((relative / entry.name, entry.read_text(encoding="utf-8")))
    return found


def _target(template: PurePosixPath, package: str) -> PurePosixPath:
    parts = [package if part == "__package__" else part for part in template.parts]
    name = parts[-1].removesuffix(SUFFIX)
    parts[-1] = ".gitignore" if name == "gitignore" else name
    return PurePosixPath(*parts)
