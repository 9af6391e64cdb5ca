"""Fixtures for the CLI: Service stacks in moto (in-process and as a moto_server on loopback)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.cli.moto import reset, start_moto_server, stop
from tests.cli.stacks import create_stack, example_service_template

Deploy = Callable[..., str]


@pytest.fixture(scope="session")
def service_template() -> dict[str, Any]:
    """The example service's template, with its API Gateway v2 references resolved for moto."""
    return example_service_template()


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
        stack_id = create_stack(name, template)
        if status is not None:
            from moto.cloudformation.models import cloudformation_backends
            from moto.core import DEFAULT_ACCOUNT_ID

            cloudformation_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].stacks[stack_id].status = status
        return stack_id

    return create


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
    reset(moto_server_url)
    return moto_server_url
