"""Fixtures for the CLI: Service stacks in moto (in-process and as a moto_server on loopback)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.stacks import moto_ready, standin_template

Deploy = Callable[..., str]


@pytest.fixture(scope="session")
def service_template() -> dict[str, Any]:
    """The example service's template, with its API Gateway v2 references resolved for moto."""
    return moto_ready(standin_template())


@pytest.fixture
def cloudformation() -> Iterator[Any]:
    """A CloudFormation client inside ``mock_aws`` (us-east-1, fake credentials from conftest)."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        yield boto3.client("cloudformation")


@pytest.fixture
def deploy(cloudformation: Any) -> Deploy:
    """Create a stack in moto; ``status=`` then sets what CloudFormation would report mid-deployment.

    moto completes every deployment at once, so in-progress, failed and rolled-back states are
    set on its stack record: the outputs stay those of the last good deployment, as in AWS.
    """

    def create(name: str, template: dict[str, Any], status: str | None = None) -> str:
        stack_id: str = cloudformation.create_stack(StackName=name, TemplateBody=json.dumps(template))[
            "StackId"
        ]
        if status is not None:
            from moto.cloudformation.models import cloudformation_backends
            from moto.core import DEFAULT_ACCOUNT_ID

            cloudformation_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].stacks[stack_id].status = status
        return stack_id

    return create


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_moto_server() -> tuple[subprocess.Popen[bytes], str]:
    """``moto_server`` on a free loopback port, ready to answer; the caller stops it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"moto_server exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/moto-api/", timeout=1):
                return server, url
        except OSError:
            time.sleep(0.1)
    stop(server)
    raise RuntimeError("moto_server did not answer within 30 s")


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=5)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=5)


@pytest.fixture(scope="session")
def moto_server_url() -> Iterator[str]:
    server, url = start_moto_server()
    try:
        yield url
    finally:
        stop(server)


@pytest.fixture
def moto_server(moto_server_url: str) -> str:
    """The session's moto_server, emptied for this test."""
    request = urllib.request.Request(f"{moto_server_url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass
    return moto_server_url
