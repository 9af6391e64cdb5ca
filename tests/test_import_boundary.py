"""What ships to Lambda must not drag in the deploy-time or dev-time stacks."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("aws_cdk", "jsii", "constructs", "click", "websockets", "boto3", "botocore")


def modules_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nimport json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    return {name.partition(".")[0] for name in json.loads(out.stdout.splitlines()[-1])}


@pytest.mark.parametrize("module", ["eventual", "eventual.runtime.handler", "examples.service"])
def test_lambda_code_imports_nothing_heavy(module: str) -> None:
    loaded = modules_after(f"import {module}")
    assert loaded.isdisjoint(HEAVY), loaded & set(HEAVY)


def test_boto3_loads_on_first_send_only() -> None:
    code = """
import os, json
os.environ["EVENTUAL_SOCKET_URLS"] = json.dumps({"s": {"wss": "ws://x", "http": "http://127.0.0.1:9/s"}})
from eventual import socket
import eventual.runtime.handler
s = socket("s", {})
assert "boto3" not in sys.modules
from eventual.runtime.management import management_client
management_client("s")
"""
    assert "boto3" in modules_after(code)


def test_cli_group_imports_neither_boto3_nor_cdk() -> None:
    loaded = modules_after("import eventual.cli")
    assert loaded.isdisjoint({"aws_cdk", "jsii", "boto3", "botocore", "websockets"})
