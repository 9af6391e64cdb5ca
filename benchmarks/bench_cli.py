"""The CLI's costs: ``eventual get service`` against 50 stacks, and ``eventual --help``.

- ``get service`` with moto_server holding 50 service stacks, against a minimal boto3 script
  reading the same outputs (budget <= 1.3x); it must not import aws_cdk or jsii.
- ``eventual --help`` against ``python -c "import click"`` (budget <= 2x); it must not import boto3.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from benchmarks.harness import Figure, best_of
from tests.cli.moto import start_moto_server, stop
from tests.cli.stacks import SERVICE, SOCKETS, create_stack, example_service_template

STACKS = 50
BIN = Path(sys.executable).parent
EVENTUAL = str(BIN / "eventual")

MINIMAL_BOTO3 = f"""
import boto3
cloudformation = boto3.client("cloudformation")
for page in cloudformation.get_paginator("describe_stacks").paginate():
    for stack in page["Stacks"]:
        for output in stack.get("Outputs", []):
            if output.get("Description", "").startswith("eventual {SERVICE} "):
                print(output["Description"], output["OutputValue"])
"""

MODULES_AFTER = """
import json, sys
from eventual.cli import main
try:
    main({args!r})
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""


def _run(argv: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"{argv[:3]} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def _loaded(args: list[str], env: dict[str, str], heavy: set[str]) -> int:
    """How many of ``heavy`` the CLI imports when run with ``args``."""
    out = _run([sys.executable, "-c", MODULES_AFTER.format(args=args)], env)
    loaded = {name.partition(".")[0] for name in json.loads(out.splitlines()[-1])}
    return len(loaded & heavy)


def _fill(url: str) -> None:
    client = {
        "endpoint_url": url,
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
    }
    for index in range(STACKS):
        name = SERVICE if index == 0 else f"service-{index:02d}"
        create_stack(f"Stack{index:02d}", example_service_template(name), **client)


def run() -> list[Figure]:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        env.pop(name, None)
    server, url = start_moto_server()
    try:
        env["AWS_ENDPOINT_URL"] = url
        _fill(url)
        get_service = [EVENTUAL, "get", "service", "--service", SERVICE]
        baseline = [sys.executable, "-c", MINIMAL_BOTO3]
        listing = _run(get_service, env)
        # api, bus, log group, the service's functions; per socket its URL and its functions
        baseline_lines = _run(baseline, env).splitlines()
        if listing.count(" - wss://") != len(SOCKETS) or len(baseline_lines) != 4 + 2 * len(SOCKETS):
            raise RuntimeError(f"unexpected output from moto_server:\n{listing}")
        cli_time = best_of(lambda: _run(get_service, env), repeat=7)
        boto3_time = best_of(lambda: _run(baseline, env), repeat=7)
        cdk_modules = _loaded(["get", "service", "--service", SERVICE], env, {"aws_cdk", "jsii"})
    finally:
        stop(server)

    help_env = {name: value for name, value in env.items() if name != "AWS_ENDPOINT_URL"}
    help_time = best_of(lambda: _run([EVENTUAL, "--help"], help_env), repeat=15)
    click_time = best_of(lambda: _run([sys.executable, "-c", "import click"], help_env), repeat=15)
    boto_modules = _loaded(["--help"], help_env, {"boto3", "botocore"})
    help_ratio = help_time / click_time
    return [
        Figure(f"get service, {STACKS} stacks in moto_server", cli_time * 1000, "ms"),
        Figure("minimal boto3 script, same outputs", boto3_time * 1000, "ms"),
        Figure("get service / minimal boto3", cli_time * 1000, "ms", ratio=cli_time / boto3_time, budget=1.3),
        Figure("aws_cdk/jsii imported by get service", cdk_modules, "modules", budget=0),
        Figure("eventual --help", help_time * 1000, "ms"),
        Figure('python -c "import click"', click_time * 1000, "ms"),
        Figure("eventual --help / import click", help_time * 1000, "ms", ratio=help_ratio, budget=2),
        Figure("boto3/botocore imported by --help", boto_modules, "modules", budget=0),
    ]
