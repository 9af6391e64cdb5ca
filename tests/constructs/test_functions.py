"""Functions: a pinned Python runtime, moved on purpose; wheels for the runtime's platform."""

from __future__ import annotations

import re

import pytest


def python_minor(runtime_name: str) -> int:
    match = re.fullmatch(r"python3\.(\d+)", runtime_name)
    assert match, runtime_name
    return int(match[1])


def test_the_pinned_runtime_is_the_newest_python_aws_cdk_lib_offers() -> None:
    """Fails when an aws-cdk-lib upgrade brings a newer Python: move PYTHON_RUNTIME deliberately
    (a new runtime means new wheels for every function), then update this test's expectations."""
    from aws_cdk import aws_lambda

    from eventual.constructs import newest_python_runtime
    from eventual.constructs.functions import PYTHON_RUNTIME

    offered = [
        getattr(aws_lambda.Runtime, n).name for n in dir(aws_lambda.Runtime) if n.startswith("PYTHON_3_")
    ]
    newest = max(offered, key=python_minor)
    assert newest_python_runtime().name == newest
    assert PYTHON_RUNTIME.name == newest, (
        f"aws-cdk-lib offers {newest}; eventual pins {PYTHON_RUNTIME.name}: move PYTHON_RUNTIME on purpose"
    )


@pytest.mark.parametrize(
    ("runtime", "glibc"), [("PYTHON_3_11", 26), ("PYTHON_3_12", 34), ("PYTHON_3_14", 34)]
)
def test_wheels_follow_the_runtimes_amazon_linux(runtime: str, glibc: int) -> None:
    from aws_cdk import aws_lambda

    from eventual.constructs.functions import lambda_platform

    platform = lambda_platform(getattr(aws_lambda.Runtime, runtime), aws_lambda.Architecture.ARM_64)
    assert platform.glibc_minor == glibc and platform.architecture == "arm64"
