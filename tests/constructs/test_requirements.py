"""A service's requirements.txt: installed from manylinux wheels by real pip, offline from local wheels."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

import pytest

from eventual.constructs import ServiceDefinitionError
from eventual.constructs.asset import LambdaPlatform, build_asset, install_requirements
from tests.constructs.synth import write_service

ARM = LambdaPlatform(python_version="3.14", architecture="arm64")
X86 = LambdaPlatform(python_version="3.14", architecture="x86_64")


def make_wheel(folder: Path, name: str, tag: str) -> None:
    """A minimal valid wheel holding one module, ``<name>/__init__.py``."""
    files = {
        f"{name}/__init__.py": f"NAME = {name!r}\n",
        f"{name}-1.0.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n",
        f"{name}-1.0.dist-info/WHEEL": f"Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: {tag}\n",
    }
    record = [
        f"{path},sha256={base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b'=').decode()},"
        f"{len(text.encode())}"
        for path, text in files.items()
    ]
    files[f"{name}-1.0.dist-info/RECORD"] = "\n".join([*record, f"{name}-1.0.dist-info/RECORD,,"]) + "\n"
    with zipfile.ZipFile(folder / f"{name}-1.0-{tag}.whl", "w") as wheel:
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
