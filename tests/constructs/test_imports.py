"""Synth refuses an asset that cannot import: the entry's third-party imports must ship or be provided."""

from __future__ import annotations

from pathlib import Path

import pytest

from eventual.constructs import ServiceDefinitionError
from eventual.constructs.asset import LambdaPlatform, build_asset
from eventual.constructs.imports import check_imports
from tests.constructs.synth import write_service
from tests.constructs.test_requirements import make_wheel

ARM = LambdaPlatform(python_version="3.14", architecture="arm64")
SHIPPED = frozenset({"sockets", "middleware", "runtime"})


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENTUAL_CACHE_DIR", str(tmp_path / "cache"))


def stage(root: Path, package: str, body: str, files: dict[str, str] | None = None) -> str:
    """Write the service, then stage its asset as synth does; returns the entry."""
    entry = write_service(root, package, body, files)
    requirements = root / package / "requirements.txt"
    build_asset(
        entry, project_root=root, platform=ARM, requirements=requirements if requirements.exists() else None
    )
    return entry


def check(root: Path, package: str, body: str, requirements: str | None = None) -> None:
    """``check_imports`` alone on a service (no pip): for distributions this venv has installed."""
    entry = write_service(root, package, body, {"requirements.txt": requirements} if requirements else None)
    folder = root / package
    files = [(f"{package}/{p.name}", p) for p in sorted(folder.glob("*.py"))]
    listed = folder / "requirements.txt"
    check_imports(entry, files, shipped_eventual=SHIPPED, requirements=listed if requirements else None)


LAZY_REQUESTS = (
    "from eventual import socket\ns = socket('{name}', {{}})\n\n\ndef fetch():\n    import requests\n"
)


def test_a_package_only_the_venv_has_is_refused_with_where_and_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ServiceDefinitionError) as raised:
        stage(tmp_path, "svc_imp_requests", LAZY_REQUESTS.format(name="imp-a"))
    message = str(raised.value)
    assert "imports requests (svc_imp_requests/service.py:6)" in message
    assert str(tmp_path / "svc_imp_requests" / "requirements.txt") in message
    assert "fail to import" in message


def test_a_distribution_listed_in_requirements_passes_by_its_import_name(tmp_path: Path) -> None:
    check(tmp_path, "svc_imp_listed", LAZY_REQUESTS.format(name="imp-b"), "requests>=2  # HTTP\n")
    # PyYAML installs module yaml: the name comes from the installed distribution's metadata.
    check(tmp_path, "svc_imp_yaml", "def f():\n    import yaml\n", "PyYAML==6.*\n")
    with pytest.raises(ServiceDefinitionError, match="imports yaml"):
        check(tmp_path, "svc_imp_other", "def f():\n    import yaml\n", "requests\n")


def test_a_requirement_installed_from_a_wheel_passes_at_synth(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    make_wheel(wheels, "wheelonly", "py3-none-any")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheels))
    body = "from eventual import socket\ns = socket('imp-c', {})\n\n\ndef f():\n    import wheelonly\n"
    stage(tmp_path / "with", "svc_imp_wheel", body, {"requirements.txt": "wheelonly\n"})
    with pytest.raises(ServiceDefinitionError, match="imports wheelonly"):
        stage(tmp_path / "without", "svc_imp_nowheel", body.replace("imp-c", "imp-d"))


def test_stdlib_boto3_eventual_own_and_relative_imports_pass(tmp_path: Path) -> None:
    body = (
        "from __future__ import annotations\n"
        "import json, os.path\n"
        "import boto3\n"
        "from botocore.exceptions import ClientError\n"
        "from dateutil import parser\n"
        "from eventual import socket\n"
        "from eventual.middleware import Next\n"
        "from eventual.runtime import handler\n"
        "from . import helpers\n"
        "from .helpers import VALUE\n"
        "from svc_imp_ok.helpers import VALUE as AGAIN\n"
        "s = socket('imp-e', {})\n"
    )
    stage(tmp_path, "svc_imp_ok", body, {"helpers.py": "VALUE = 1\n", "sub/__init__.py": "import zlib\n"})


def test_type_checking_and_optional_imports_are_not_counted(tmp_path: Path) -> None:
    body = (
        "from typing import TYPE_CHECKING\n"
        "import typing\n"
        "if TYPE_CHECKING:\n"
        "    import mypy_boto3_dynamodb\n"
        "    from requests import Session\n"
        "if typing.TYPE_CHECKING:\n"
        "    import moto\n"
        "else:\n"
        "    import json\n"
        "try:\n"
        "    import ujson as fastjson\n"
        "except ImportError:\n"
        "    fastjson = None\n"
        "from eventual import socket\n"
        "s = socket('imp-f', {})\n"
    )
    stage(tmp_path, "svc_imp_typing", body)
    with pytest.raises(ServiceDefinitionError, match=r"imports requests \(svc_imp_else/service.py:5\)"):
        check(
            tmp_path,
            "svc_imp_else",
            "import typing\nif typing.TYPE_CHECKING:\n    pass\nelse:\n    import requests\n",
        )


def test_imports_that_do_not_ship_are_named_each_with_its_own_advice(tmp_path: Path) -> None:
    (tmp_path / "shared.py").write_text("X = 1\n")  # in the project, but outside the entry's package
    with pytest.raises(ServiceDefinitionError) as raised:
        check(tmp_path, "svc_imp_sibling", "import shared\nimport requests\nimport cdk_nag\n")
    assert "cdk_nag (svc_imp_sibling/service.py:3); requests (svc_imp_sibling/service.py:2); shared (" in str(
        raised.value
    )
    with pytest.raises(ServiceDefinitionError, match=r"eventual\.testing .*does not ship to Lambda"):
        check(tmp_path, "svc_imp_testing", "from eventual.testing import SocketTestClient\n")


@pytest.mark.filterwarnings("ignore:'cgi' is deprecated:DeprecationWarning")
def test_modules_the_functions_python_no_longer_has_are_refused(tmp_path: Path) -> None:
    entry = write_service(tmp_path, "svc_imp_removed", "import cgi\n")
    files = [("svc_imp_removed/service.py", tmp_path / "svc_imp_removed" / "service.py")]
    check_imports(entry, files, shipped_eventual=SHIPPED, requirements=None, python_version="3.11")
    with pytest.raises(ServiceDefinitionError, match="imports cgi"):
        check_imports(entry, files, shipped_eventual=SHIPPED, requirements=None, python_version="3.14")


def test_synth_refuses_the_service(tmp_path: Path) -> None:
    import aws_cdk as cdk

    from eventual.constructs import Service

    entry = write_service(tmp_path, "svc_imp_synth", LAZY_REQUESTS.format(name="imp-g"))
    with pytest.raises(ServiceDefinitionError, match="imports requests"):
        Service(cdk.Stack(cdk.App(), "S"), "Svc", name="svc", entry=entry, project_root=tmp_path)
