"""``eventual get service --local``: the dev server's endpoints for the project, without AWS."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from eventual.cli import main


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["get", "service", "--local", *args])


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A project with two sockets, entered from a subdirectory; nothing of it outlives the test."""
    entry = f"chat_{uuid.uuid4().hex[:8]}"
    (tmp_path / "pyproject.toml").write_text(f'[tool.eventual]\nservice = "chat"\nentry = "{entry}"\n')
    (tmp_path / f"{entry}.py").write_text(
        'from eventual import socket\nlobby = socket("lobby", {})\nroom = socket("Room-1", {})\n'
    )
    (tmp_path / "src" / "deep").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "src" / "deep")
    monkeypatch.setattr(sys, "path", list(sys.path))
    # AWS would fail loudly if anything reached it.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    yield tmp_path
    sys.modules.pop(entry, None)


@pytest.mark.usefixtures("project")
def test_lists_the_projects_sockets_as_eventual_local_serves_them() -> None:
    result = run()
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "Eventual Dev Server: http://localhost:3111 (start it with `eventual local`)",
        "Sockets are available at:",
        "Room-1 - ws://localhost:3111/__ws/Room-1",
        "lobby - ws://localhost:3111/__ws/lobby",
    ]


@pytest.mark.usefixtures("project")
def test_port_and_json() -> None:
    result = run("--port", "4000", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "service": "chat",
        "stage": "local",
        "domain": None,
        "api_endpoint": "http://localhost:4000",
        "event_bus_arn": None,
        "log_group": None,
        "sockets": {"Room-1": "ws://localhost:4000/__ws/Room-1", "lobby": "ws://localhost:4000/__ws/lobby"},
        "stack": None,
        "stack_status": None,
        "region": None,
        "not_ready": {},
    }


def test_no_project_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run()
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: no pyproject.toml with a [tool.eventual] table")
    assert len(result.stderr.splitlines()) == 1


def test_broken_entry_is_one_line(project: Path) -> None:
    entry = next(project.glob("chat_*.py"))
    entry.write_text("from eventual import socket\nraise RuntimeError('boom')\n")
    result = run()
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr.splitlines() == [
        f"Error: cannot import entry {entry.stem!r} from {project}: RuntimeError: boom"
    ]
