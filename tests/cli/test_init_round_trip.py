"""The ``eventual init`` round trip, as a new user takes it: a fresh venv, ``pip install`` this
repository by path and the new project, its tests, ``eventual local`` with a real client, and a
synth. Slow (about a minute): ``pytest -m "not slow"`` leaves it out.

The fresh venv installs this repository and the project for real (their metadata, package data
and entry points, built by pip), but it borrows the dependencies (boto3, aws-cdk-lib, pytest...)
from the environment running the tests through a ``.pth`` file: downloading and unpacking
aws-cdk-lib anew would triple the time and test PyPI rather than this repository.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import site
import subprocess
import sys
import time
import urllib.request
import venv
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from websockets.sync.client import connect

REPO = Path(__file__).resolve().parents[2]
RUNNING = re.compile(r"running on http://localhost:(\d+)")

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def run(*command: str | Path, cwd: Path, timeout: float = 300) -> str:
    done = subprocess.run(
        [str(part) for part in command], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=_env()
    )
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def fresh_venv(where: Path) -> Path:
    """A new venv whose dependencies are this environment's; its ``bin`` folder."""
    venv.create(where, with_pip=True)
    [purelib] = (where / "lib").glob("python3*/site-packages")
    (purelib / "borrowed-dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return where / "bin"


def clean_copy(where: Path) -> Path:
    """This checkout's sources, so that pip's in-tree build leaves nothing in it."""
    skip = shutil.ignore_patterns(
        ".git", ".venv", "node_modules", "cdk.out", "build", "*.egg-info", "__pycache__", ".*_cache"
    )
    return Path(shutil.copytree(REPO, where, ignore=skip))


@contextmanager
def eventual_local(bin: Path, project: Path) -> Iterator[int]:
    process = subprocess.Popen(
        [bin / "eventual", "local", "--port", "0", "--no-reload"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_env(),
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if found := RUNNING.search(line):
                yield int(found.group(1))
                break
        else:
            raise AssertionError("eventual local stopped before serving")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(20)


def synth(bin: Path, project: Path) -> None:
    """``npx cdk synth`` with the CDK CLI this repository pins (``make test`` installs it), through
    the project's cdk.json; ``python app.py`` where it is not installed."""
    cli = REPO / "node_modules"
    if not (cli / ".bin" / "cdk").exists():
        run(bin / "python", "app.py", cwd=project)
        return
    (project / "node_modules").symlink_to(cli)
    path = f"{bin}{os.pathsep}{os.environ['PATH']}"
    quiet = ("--quiet", "--no-notices")  # and no telemetry: nothing leaves this machine
    run(
        "env",
        f"PATH={path}",
        "CDK_DISABLE_CLI_TELEMETRY=true",
        "npx",
        "--no-install",
        "cdk",
        "synth",
        *quiet,
        cwd=project,
    )


def test_init_install_test_serve_and_synth(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    started, times = time.monotonic(), {}

    def lap(step: str) -> None:
        times[step] = round(time.monotonic() - started - sum(times.values()), 1)

    bin = fresh_venv(tmp_path / "venv")
    run(bin / "pip", "install", "-q", "--no-compile", clean_copy(tmp_path / "eventual-py"), cwd=tmp_path)
    lap("venv + pip install eventual-py")
    project = tmp_path / "presence"
    run(bin / "eventual", "init", project, cwd=tmp_path)
    run(bin / "pip", "install", "-q", "--no-compile", "-e", ".[dev]", cwd=project)
    lap("eventual init + pip install -e .[dev]")
    assert "5 passed" in run(bin / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=project)
    lap("pytest")
    with eventual_local(bin, project) as port, connect(f"ws://localhost:{port}/__ws/echo") as client:
        client.send('{"hello": "world"}')
        assert json.loads(client.recv(timeout=10))["echo"] == {"hello": "world"}
        with urllib.request.urlopen(
            f"http://localhost:{port}/__eventual/asyncapi.json", timeout=10
        ) as answer:
            schemas = json.loads(answer.read())["components"]["schemas"]
        assert sorted(schemas) == ["Greeted", "Greeting", "InvalidMessage"]  # the typed greeter
    lap("eventual local")
    synth(bin, project)
    template = json.loads((project / "cdk.out/presence.template.json").read_text())
    assert any(r["Type"] == "AWS::ApiGatewayV2::Api" for r in template["Resources"].values())
    [asset] = (project / "cdk.out").glob("asset.*.zip")  # the project's one asset, with pydantic's arm64 core
    with zipfile.ZipFile(asset) as archive:
        assert any(
            n.startswith("pydantic_core/") and n.endswith("aarch64-linux-gnu.so") for n in archive.namelist()
        )
    lap("synth")
    with capsys.disabled():
        print(f"\neventual init round trip: {times} = {sum(times.values()):.1f} s", file=sys.stderr)
