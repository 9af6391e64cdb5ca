"""The installed ``eventual`` executable: help, version, import costs, and a run against moto_server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from eventual import __version__
from tests.cli.stacks import SERVICE, create_stack, expected_listing, stack_outputs

EVENTUAL = str(Path(sys.executable).parent / "eventual")


def eventual(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [EVENTUAL, *args], capture_output=True, text=True, timeout=60, env={**os.environ, **(env or {})}
    )


def modules_loaded_by(*args: str, env: dict[str, str] | None = None) -> set[str]:
    """Top-level modules imported by one run of the CLI with ``args``."""
    probe = (
        "import json, sys\n"
        "from eventual.cli import main\n"
        f"try:\n    main({list(args)!r})\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )
    return {name.partition(".")[0] for name in json.loads(run.stdout.splitlines()[-1])}


@pytest.fixture
def deployed(moto_server: str, service_template: dict[str, Any]) -> dict[str, str]:
    """The example service's stack in moto_server; its outputs by Description."""
    import boto3

    create_stack("MyServiceStack", service_template, endpoint_url=moto_server)
    return stack_outputs(boto3.client("cloudformation", endpoint_url=moto_server), "MyServiceStack")


def test_get_service_against_moto_server(moto_server: str, deployed: dict[str, str]) -> None:
    run = eventual("get", "service", env={"AWS_ENDPOINT_URL": moto_server})
    assert (run.returncode, run.stderr) == (0, "")
    assert run.stdout.splitlines() == expected_listing(deployed)

    as_json = eventual("get", "service", "--json", env={"AWS_ENDPOINT_URL": moto_server})
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout)["sockets"] == {
        line.strip().split(" - ")[0]: line.split(" - ")[1] for line in run.stdout.splitlines()[5:]
    }

    unknown = eventual("get", "service", "--service", "nope", env={"AWS_ENDPOINT_URL": moto_server})
    assert unknown.returncode == 1
    assert unknown.stderr == f"Error: no service named 'nope' in us-east-1; services found: {SERVICE}\n"


def test_get_service_imports_no_cdk(moto_server: str, deployed: dict[str, str]) -> None:
    loaded = modules_loaded_by("get", "service", env={"AWS_ENDPOINT_URL": moto_server})
    assert "botocore" in loaded  # it did reach CloudFormation
    assert loaded.isdisjoint({"aws_cdk", "jsii", "constructs"}), loaded


@pytest.mark.parametrize("args", [["--help"], ["get", "--help"], ["get", "service", "--help"], ["--version"]])
def test_help_and_version_import_no_aws_sdk(args: list[str]) -> None:
    loaded = modules_loaded_by(*args)
    assert "click" in loaded
    assert loaded.isdisjoint({"boto3", "botocore", "aws_cdk", "jsii", "constructs"}), loaded


def test_help_reads_like_a_click_cli() -> None:
    top = eventual("--help")
    assert top.returncode == 0 and top.stderr == ""
    assert top.stdout.startswith("Usage: eventual [OPTIONS] COMMAND [ARGS]...")
    assert "  get  " in top.stdout and "--version" in top.stdout
    assert eventual("-h").stdout == top.stdout

    service = eventual("get", "service", "--help")
    assert service.stdout.startswith("Usage: eventual get service [OPTIONS]")
    for option in ("--service NAME", "--json", "--region REGION", "--profile PROFILE", "--local", "--port"):
        assert option in service.stdout
    assert "EVENTUAL_DEFAULT_SERVICE" in service.stdout
    # The listing in `eventual get --help` is the first line of the command's help, not cut mid-word.
    listing = eventual("get", "--help").stdout
    assert "\n  asyncapi  Print a service's AsyncAPI document.\n" in listing
    assert "\n  service   Print a deployed service's endpoints.\n" in listing


def test_version() -> None:
    run = eventual("--version")
    assert (run.returncode, run.stdout) == (0, f"eventual, version {__version__}\n")


def test_unknown_command_is_a_usage_error() -> None:
    run = eventual("get", "servce")
    assert run.returncode == 2
    assert "No such command 'servce'" in run.stderr
    assert "Traceback" not in run.stderr
