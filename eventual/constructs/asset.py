"""The Lambda asset: ``eventual``'s core and runtime, the service's code, its wheels. No Docker.

Staging walks only what ships: the ``eventual`` package's own files and ``runtime/``, the
entry's top-level package (or single module) and a pip ``--target`` folder. It never walks the
project root, so a virtualenv, ``cdk.out`` or ``node_modules`` there costs nothing. The zip is
written byte-for-byte reproducibly (sorted entries, fixed timestamps and modes) and named by a
hash of its contents, so unchanged code means an unchanged asset and no redeploy.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import eventual
from eventual.constructs.errors import ServiceDefinitionError
from eventual.constructs.imports import check_imports

if TYPE_CHECKING:
    from eventual.constructs.plan import ServicePlan
    from eventual.sockets import Socket

REQUIREMENTS = "requirements.txt"
RUNTIME_SUBPACKAGES = ("runtime",)
"""The subpackages of ``eventual`` that run in Lambda; ``constructs``, ``cli`` and ``local`` stay home."""

_SKIPPED_DIRS = frozenset({"__pycache__", "node_modules", "cdk.out", "tests", "test", "site-packages"})
_SKIPPED_SUFFIXES = (".pyc", ".pyo")
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_PIP_TIMEOUT_SECONDS = 900


@dataclass(frozen=True)
class LambdaPlatform:
    """What the asset's wheels must run on: a Lambda runtime's Python, CPU and glibc."""

    python_version: str
    """``"3.14"``."""
    architecture: str
    """``"arm64"`` or ``"x86_64"``, Lambda's spelling."""
    glibc_minor: int = 34
    """Amazon Linux 2023 (Python 3.12 and newer) has glibc 2.34; Amazon Linux 2 has 2.26."""

    @property
    def machine(self) -> str:
        return "aarch64" if self.architecture == "arm64" else "x86_64"

    def pip_platforms(self) -> list[str]:
        """Every manylinux tag the runtime accepts, newest first (pip does not expand them itself)."""
        tags = [f"manylinux_2_{minor}_{self.machine}" for minor in range(self.glibc_minor, 16, -1)]
        tags.append(f"manylinux2014_{self.machine}")
        if self.machine == "x86_64":
            tags += ["manylinux2010_x86_64", "manylinux1_x86_64"]
        return tags

    def __str__(self) -> str:
        return f"manylinux {self.machine}, CPython {self.python_version}"


@dataclass(frozen=True)
class LambdaAsset:
    """A staged asset: the zip on disk, its content hash and what it holds."""

    path: Path
    content_hash: str
    """SHA-256 over every entry's name, mode and bytes: the CDK asset hash."""
    files: tuple[str, ...]
    """Archive names, sorted."""

    @property
    def size(self) -> int:
        """Bytes of the zip."""
        return self.path.stat().st_size


@dataclass(frozen=True)
class _Entry:
    name: str
    source: Path
    mode: int


def cache_dir() -> Path:
    """Where staged zips and installed requirements live between synths (``EVENTUAL_CACHE_DIR``).

    Its contents are trusted (a cached zip is not re-read), so it must be this user's alone.
    """
    configured = os.environ.get("EVENTUAL_CACHE_DIR")
    uid = os.getuid() if hasattr(os, "getuid") else None
    path = Path(configured) if configured else Path(tempfile.gettempdir()) / f"eventual-{uid or 'user'}"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = path.stat()
    if uid is not None and (info.st_uid != uid or info.st_mode & 0o022):
        raise ServiceDefinitionError(
            f"the asset cache {path} belongs to another user or others may write to it; remove it or "
            "set EVENTUAL_CACHE_DIR to a folder of your own"
        )
    return path


def build_asset(
    entry: str,
    *,
    project_root: Path,
    platform: LambdaPlatform,
    requirements: Path | None = None,
    extra_requirements: Sequence[str] = (),
    extra_files: Mapping[str, Path] | None = None,
) -> LambdaAsset:
    """Stage the asset for the service whose sockets ``entry`` declares (already imported).

    ``requirements`` (a ``requirements.txt``) and ``extra_requirements`` (what eventual itself needs
    for the service, such as pydantic for typed messages) are installed for ``platform`` from
    wheels only. ``extra_files`` (archive name -> file) ship as they are.
    """
    shipped = list(_eventual_entries())
    service = list(_service_entries(entry, project_root.resolve()))
    entries = [*shipped, *service]
    entries += [_entry(name, source) for name, source in (extra_files or {}).items()]
    installed: list[str] = []
    if requirements is not None or extra_requirements:
        target = install_requirements(requirements, platform, extra_requirements)
        entries += _walk(target, prefix="", skip_dirs=frozenset({"bin", "__pycache__"}))
        installed = top_level_names(target)
    check_imports(
        entry,
        ((e.name, e.source) for e in service),
        shipped_eventual=frozenset(e.name.split("/")[1].removesuffix(".py") for e in shipped),
        requirements=requirements,
        installed=installed,
        python_version=platform.python_version,
    )
    entries.sort(key=lambda e: e.name)
    _refuse_duplicates(entries)
    content_hash = _content_hash(entries)
    path = cache_dir() / "assets" / f"{content_hash}.zip"
    if not path.is_file():
        _write_zip(path, entries)
    return LambdaAsset(path=path, content_hash=content_hash, files=tuple(e.name for e in entries))


def asyncapi_file(plan: ServicePlan) -> Path:
    """The service's AsyncAPI document (:mod:`eventual.asyncapi`) as a file to ship, its URLs left
    for the HTTP API's function to fill; the authorizers' identity sources as the plan has them."""
    from eventual.asyncapi import asyncapi_document
    from eventual.service_document import encode

    sockets = {name: p.socket for name, p in plan.sockets.items()}
    sources = {name: p.authorizer.identity_source for name, p in plan.sockets.items() if p.authorizer}
    text = encode(asyncapi_document(plan.name, plan.stage, sockets, identity_sources=sources))
    path = cache_dir() / "documents" / f"{hashlib.sha256(text.encode()).hexdigest()}.json"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.partial")
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    return path


# -- what ships ---------------------------------------------------------------------------------


def _eventual_entries() -> Iterator[_Entry]:
    package = Path(eventual.__file__).parent
    for child in sorted(package.iterdir()):
        if child.is_file() and _wanted_file(child.name):
            yield _entry(f"eventual/{child.name}", child)
    for sub in RUNTIME_SUBPACKAGES:
        yield from _walk(package / sub, prefix=f"eventual/{sub}/")


def _service_entries(entry: str, project_root: Path) -> Iterator[_Entry]:
    """The entry's top-level package (its files and subpackages) or single module, from the project root."""
    top = entry.partition(".")[0]
    if top == "eventual":
        raise ServiceDefinitionError(
            f"entry {entry!r} is inside eventual itself; declare sockets in your own module"
        )
    module = sys.modules.get(top)
    if module is None:
        raise ServiceDefinitionError(f"entry {entry!r} is not imported; import it before staging its asset")
    locations = [Path(p) for p in getattr(module, "__path__", ())] or [Path(module.__file__ or "")]
    for location in locations:
        resolved = location.resolve()
        if not resolved.is_relative_to(project_root):
            raise ServiceDefinitionError(
                f"entry {entry!r} was imported from {location}, outside the project root {project_root}; "
                "run the CDK app from the folder that holds your service's code"
            )
        if location.is_dir():
            yield from _walk(location, prefix=f"{top}/", packages_only=True)
        else:
            yield _entry(location.name, location)


def _walk(
    root: Path, *, prefix: str, skip_dirs: frozenset[str] = _SKIPPED_DIRS, packages_only: bool = False
) -> Iterator[_Entry]:
    """Files under ``root``, pruning skipped folders before descending into them.

    ``packages_only``: descend only into Python packages (folders with ``__init__.py``), so a
    service's web front end or notes stay out while data files beside its modules ship.
    """
    for directory, dirnames, filenames in os.walk(root):
        here = Path(directory)
        dirnames[:] = sorted(
            d
            for d in dirnames
            if d not in skip_dirs
            and not d.startswith(".")
            and not d.endswith(".egg-info")
            and not (here / d / "pyvenv.cfg").exists()
            and (not packages_only or (here / d / "__init__.py").is_file())
        )
        relative = here.relative_to(root).as_posix()
        base = prefix if relative == "." else f"{prefix}{relative}/"
        for filename in sorted(filenames):
            if _wanted_file(filename):
                yield _entry(base + filename, here / filename)


def _wanted_file(name: str) -> bool:
    return not name.startswith(".") and not name.endswith(_SKIPPED_SUFFIXES)


def _entry(name: str, source: Path) -> _Entry:
    executable = os.stat(source).st_mode & 0o111
    return _Entry(name, source, 0o755 if executable else 0o644)


def _refuse_duplicates(entries: list[_Entry]) -> None:
    for before, after in itertools.pairwise(entries):
        if before.name == after.name:
            raise ServiceDefinitionError(
                f"two files would be {after.name!r} in the Lambda asset ({before.source} and "
                f"{after.source}): a requirement installs a module named like your code or eventual's"
            )


def _content_hash(entries: list[_Entry]) -> str:
    digest = hashlib.sha256()
    for e in entries:
        digest.update(f"{e.name}\0{e.mode:o}\0".encode())
        digest.update(hashlib.sha256(e.source.read_bytes()).digest())
    return digest.hexdigest()


def _write_zip(path: Path, entries: list[_Entry]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=path.parent, suffix=".partial")
    try:
        with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
            for e in entries:
                info = zipfile.ZipInfo(e.name, date_time=_ZIP_EPOCH)
                info.create_system = 3  # unix, so the mode below is honoured
                info.external_attr = (0o100000 | e.mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, e.source.read_bytes())
        os.replace(partial, path)  # atomic: a concurrent synth sees the whole zip or none
    except BaseException:
        os.unlink(partial)
        raise


# -- requirements -------------------------------------------------------------------------------

_NO_WHEEL = re.compile(r"No matching distribution found for (\S+)")
_REQUIREMENT_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def install_requirements(
    requirements: Path | None, platform: LambdaPlatform, extra: Sequence[str] = ()
) -> Path:
    """``pip install --target`` the requirements file and ``extra`` requirement specifiers for
    ``platform`` (wheels only); cached by content.

    A requirement with no wheel for the platform raises :class:`ServiceDefinitionError` naming it.
    """
    text = requirements.read_text(encoding="utf-8") if requirements is not None else ""
    if requirements is not None:
        _refuse_eventual(text, requirements)
    pip_env = sorted((k, v) for k, v in os.environ.items() if k.startswith("PIP_"))
    key_parts = (text, tuple(extra), str(platform), platform.pip_platforms(), pip_env)
    key = hashlib.sha256(repr(key_parts).encode()).hexdigest()
    target = cache_dir() / "requirements" / key
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(dir=target.parent, suffix=".partial"))
    try:
        _pip_install(requirements, extra, partial, platform)
        try:
            os.replace(partial, target)
        except OSError:  # another synth installed the same requirements first
            if not target.is_dir():
                raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return target


def types_requirements(sockets: Iterable[Socket], requirements: Path | None) -> tuple[str, ...]:
    """pydantic, pinned to the version synth validated the types with, where a socket declares
    types (``message=``, ``route(...)``, ``pushes=``); nothing where none does, or where the
    service's ``requirements.txt`` lists pydantic itself (its pin wins)."""
    if not any(sock.typed for sock in sockets) or listed(requirements, "pydantic"):
        return ()
    from importlib.metadata import version

    return (f"pydantic=={version('pydantic')}",)


def listed(requirements: Path | None, distribution: str) -> bool:
    """Whether ``requirements`` names ``distribution`` (then its pin wins over eventual's)."""
    if requirements is None:
        return False
    wanted = _normalized(distribution)
    for line in requirements.read_text(encoding="utf-8").splitlines():
        match = _REQUIREMENT_NAME.match(line)
        if match and _normalized(match[1]) == wanted:
            return True
    return False


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def top_level_names(target: Path) -> list[str]:
    """The modules and packages pip installed in ``target``, by import name (``yaml``, ``_cffi_backend``)."""
    names = []
    for child in target.iterdir():
        if child.is_dir() and not child.name.endswith((".dist-info", ".data")) and child.name != "bin":
            names.append(child.name)
        elif child.suffix in (".py", ".so", ".pyd"):
            names.append(child.name.partition(".")[0])
    return names


def _refuse_eventual(text: str, requirements: Path) -> None:
    for line in text.splitlines():
        match = _REQUIREMENT_NAME.match(line)
        if match and _normalized(match[1]) == "eventual-py":
            raise ServiceDefinitionError(
                f"{requirements} lists eventual-py: the asset already holds eventual's runtime, and the "
                "distribution would pull aws-cdk-lib into Lambda; remove that line"
            )


def _pip_install(
    requirements: Path | None, extra: Sequence[str], target: Path, platform: LambdaPlatform
) -> None:
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    command += ["--no-compile", "--only-binary=:all:", "--target", str(target)]
    command += ["--implementation", "cp", "--python-version", platform.python_version]
    for tag in platform.pip_platforms():
        command += ["--platform", tag]
    if requirements is not None:
        command += ["-r", str(requirements)]
    command += list(extra)
    what = " and ".join(filter(None, [str(requirements) if requirements else "", " ".join(extra)]))
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=_PIP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired as error:
        raise ServiceDefinitionError(
            f"installing {what} took over {_PIP_TIMEOUT_SECONDS} s; is the package index reachable?"
        ) from error
    if result.returncode == 0:
        return
    missing = _NO_WHEEL.search(result.stderr)
    if missing:
        raise ServiceDefinitionError(
            f"requirement {missing[1]!r} of {what} has no wheel for Lambda ({platform}); "
            "pick a version that publishes one, or drop it"
        )
    last = [line for line in result.stderr.splitlines() if line.strip()][-3:]
    raise ServiceDefinitionError(f"pip could not install {what}: " + " / ".join(last))
