"""A service's requirements.txt: installed from manylinux wheels by real pip, offline from local wheels."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

from eventual.constructs import ServiceDefinitionError
from eventual.constructs.asset import LambdaPlatform, build_asset, install_requirements, types_requirements
from eventual.constructs.plan import ServiceOptions, ServicePlan, plan_service
from eventual.sockets import sockets_of
from tests.constructs.synth import write_service

ARM = LambdaPlatform(python_version="3.14", architecture="arm64")
X86 = LambdaPlatform(python_version="3.14", architecture="x86_64")


def make_wheel(
    folder: Path, name: str, tag: str, version: str = "1.0", requires: tuple[str, ...] = ()
) -> None:
    """A minimal valid wheel holding one module, ``<name>/__init__.py``."""
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"Requires-Dist: {r}\n" for r in requires)
    files = {
        f"{name}/__init__.py": f"NAME = {name!r}\n",
        f"{name}-{version}.dist-info/METADATA": metadata,
        f"{name}-{version}.dist-info/WHEEL": f"Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: {tag}\n",
    }
    record = [
        f"{path},sha256={base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b'=').decode()},"
        f"{len(text.encode())}"
        for path, text in files.items()
    ]
    files[f"{name}-{version}.dist-info/RECORD"] = (
        "\n".join([*record, f"{name}-{version}.dist-info/RECORD,,"]) + "\n"
    )
    with zipfile.ZipFile(folder / f"{name}-{version}-{tag}.whl", "w") as wheel:
        for path, text in files.items():
            wheel.writestr(path, text)


@pytest.fixture
def index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A local wheel folder as pip's only index: a pure wheel and an x86_64-only one."""
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    make_wheel(wheels, "puredep", "py3-none-any")
    make_wheel(wheels, "x86dep", "cp314-cp314-manylinux_2_17_x86_64.manylinux2014_x86_64")
    make_wheel(wheels, "newglibcdep", "cp314-cp314-manylinux_2_28_aarch64")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheels))
    monkeypatch.setenv("EVENTUAL_CACHE_DIR", str(tmp_path / "cache"))
    return wheels


def test_wheels_for_lambdas_platform_install_into_the_asset(index: Path, tmp_path: Path) -> None:
    entry = write_service(
        tmp_path / "project", "svc_reqs", "X = 1\n", {"requirements.txt": "puredep\nnewglibcdep\n"}
    )
    requirements = tmp_path / "project" / "svc_reqs" / "requirements.txt"
    asset = build_asset(entry, project_root=tmp_path / "project", platform=ARM, requirements=requirements)
    assert {"puredep/__init__.py", "newglibcdep/__init__.py", "svc_reqs/service.py"} <= set(asset.files)
    assert not any(f.startswith("bin/") or f.endswith(".pyc") for f in asset.files)
    # installed once: the second build reuses the cached install and gives the same asset
    assert (
        build_asset(entry, project_root=tmp_path / "project", platform=ARM, requirements=requirements)
        == asset
    )


def test_a_requirement_without_a_wheel_for_the_platform_is_named(index: Path, tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("puredep\nx86dep==1.0\n")
    with pytest.raises(ServiceDefinitionError, match=r"requirement 'x86dep==1\.0' .* no wheel .*aarch64"):
        install_requirements(requirements, ARM)
    assert (install_requirements(requirements, X86) / "x86dep" / "__init__.py").is_file()


def test_listing_eventual_itself_is_refused(index: Path, tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("boto3\nEventual_Py>=0.1\n")
    with pytest.raises(ServiceDefinitionError, match="eventual-py"):
        install_requirements(requirements, ARM)


# -- typed messages: pydantic ships where a socket declares types -------------------------------

PYDANTIC = version("pydantic")
TYPED_SERVICE = """
from pydantic import BaseModel

from eventual import route, socket


class Chat(BaseModel):
    text: str


chat = socket("{name}", {"$default": route(lambda request, context: context["message"], message=Chat)})
"""
UNTYPED_SERVICE = """
from eventual import socket

echo = socket("untyped-echo", {"$default": lambda request, context: request.body})
"""


@pytest.fixture
def pydantic_index(index: Path) -> Path:
    """pydantic at the version installed here, whose compiled core has an aarch64 wheel only, as a
    stand-in for PyPI's (which has both): the asset gets the wheels of the functions' architecture."""
    make_wheel(index, "pydantic", "py3-none-any", PYDANTIC, requires=("pydantic_core",))
    make_wheel(index, "pydantic_core", "cp314-cp314-manylinux_2_17_aarch64.manylinux2014_aarch64", "2.0")
    return index


def plan_of(project: Path, module: str, source: str, requirements: str | None = None) -> ServicePlan:
    files = {} if requirements is None else {"requirements.txt": requirements}
    entry = write_service(project, module, source.replace("{name}", module.replace("_", "-")), files)
    return plan_service(sockets_of(entry), ServiceOptions(name="svc", entry=entry))


def shipped(plan: ServicePlan) -> tuple[str, ...]:
    """What the construct installs into the asset besides the requirements (Service.code_for)."""
    return types_requirements((p.socket for p in plan.sockets.values()), plan.requirements)


def test_a_typed_service_ships_pydantic_pinned_to_what_synth_validated_with(
    pydantic_index: Path, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    plan = plan_of(project, "svc_typed", TYPED_SERVICE)
    assert shipped(plan) == (f"pydantic=={PYDANTIC}",)
    asset = build_asset(plan.entry, project_root=project, platform=ARM, extra_requirements=shipped(plan))
    assert {"pydantic/__init__.py", "pydantic_core/__init__.py", "svc_typed/service.py"} <= set(asset.files)
    # x86_64 functions need x86_64 wheels of the compiled core, which this index lacks
    with pytest.raises(ServiceDefinitionError, match=r"requirement 'pydantic.core' of pydantic==.* x86_64"):
        build_asset(plan.entry, project_root=project, platform=X86, extra_requirements=shipped(plan))


def test_an_untyped_service_ships_no_pydantic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "project"
    monkeypatch.setenv("EVENTUAL_CACHE_DIR", str(tmp_path / "cache"))
    plan = plan_of(project, "svc_untyped", UNTYPED_SERVICE)
    assert shipped(plan) == ()
    asset = build_asset(plan.entry, project_root=project, platform=ARM)
    assert not [f for f in asset.files if f.startswith("pydantic")]


def test_a_requirements_txt_that_lists_pydantic_keeps_its_own_pin(tmp_path: Path) -> None:
    project = tmp_path / "project"
    plan = plan_of(project, "svc_pinned", TYPED_SERVICE, requirements="Pydantic>=2.11,<3\n")
    assert shipped(plan) == ()
    assert plan.requirements is not None and plan.requirements.name == "requirements.txt"
