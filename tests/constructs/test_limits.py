"""Lambda's 4 KB environment, estimated at synth from the longest URLs the sockets can get."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from eventual.constructs import ServiceDefinitionError
from eventual.constructs.limits import LAMBDA_ENVIRONMENT_MAX_BYTES, TABLE_NAME_MAX, check_environment_size
from eventual.runtime.environment import TABLE_ENV
from tests.constructs.synth import Synth, declare, resolve, write_service


def test_environment_estimate_is_never_below_what_cloudformation_will_set(example: Synth) -> None:
    functions = [
        f
        for f in example.resources("AWS::Lambda::Function").values()
        if "EVENTUAL_SOCKET_NAME" in f["Properties"].get("Environment", {}).get("Variables", {})
    ]
    longest_id = "x" * 10  # API Gateway ids have 10 characters
    real = max(
        len(
            json.dumps(
                resolve(f["Properties"]["Environment"]["Variables"], lambda _: longest_id),
                separators=(",", ":"),
            )
        )
        for f in functions
    )
    envs = {
        n: {
            "EVENTUAL_SERVICE_NAME": "my-service",
            "EVENTUAL_SOCKET_NAME": n,
            "EVENTUAL_ENTRY": "examples.service",
            # every socket function of a service that tracks gets the table's name, at its longest
            TABLE_ENV: "x" * TABLE_NAME_MAX,
        }
        for n in example.service.sockets
    }
    estimated = check_environment_size("my-service", envs, "us-east-1", "prod")
    assert estimated >= real


def test_too_many_sockets_for_a_4kb_environment_says_how_many_fit(tmp_path: Path) -> None:
    import aws_cdk as cdk

    from eventual.constructs import Service

    names = [f"socket-{i:02}" for i in range(40)]
    envs = {n: {"EVENTUAL_SOCKET_NAME": n} for n in names}
    with pytest.raises(ServiceDefinitionError, match=r"at most (\d+) sockets fit") as raised:
        check_environment_size("svc", envs, "us-east-1", "prod")
    fit_count = int(re.search(r"at most (\d+)", str(raised.value))[1])  # type: ignore[index]
    assert (
        check_environment_size("svc", dict(list(envs.items())[:fit_count]), "us-east-1", "prod")
        <= LAMBDA_ENVIRONMENT_MAX_BYTES
    )
    with pytest.raises(ServiceDefinitionError):
        check_environment_size("svc", dict(list(envs.items())[: fit_count + 1]), "us-east-1", "prod")

    entry = write_service(tmp_path, "svc_many", declare(*names))
    with pytest.raises(ServiceDefinitionError, match="over Lambda's limit of 4096"):
        Service(cdk.Stack(cdk.App(), "S"), "Svc", name="svc", entry=entry, project_root=tmp_path)
