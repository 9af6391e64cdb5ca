"""``[tool.eventual]``: finding the project from anywhere inside it, and loading its sockets."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from eventual.errors import ConfigurationError
from eventual.project import Project, find_project, load_sockets, local_socket_url

REPO = Path(__file__).resolve().parent.parent


def test_nearest_pyproject_with_the_table_wins(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.eventual]\nservice = "outer"\nentry = "outer.app"\n')
    inner = tmp_path / "pkg"
    (inner / "sub").mkdir(parents=True)
    (inner / "pyproject.toml").write_text('[project]\nname = "no-eventual-table"\n')
    assert find_project(inner / "sub") == Project(root=tmp_path, service="outer", entry="outer.app")
    (inner / "pyproject.toml").write_text('[tool.eventual]\nservice = "inner"\nentry = " inner.app "\n')
    assert find_project(inner / "sub") == Project(root=inner, service="inner", entry="inner.app")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[tool.eventual]\nentry = "a"\n', "needs `service`"),
        ('[tool.eventual]\nservice = "s"\nentry = 3\n', "needs `entry`"),
        ("[tool.eventual\n", "cannot read"),
        ('[tool]\neventual = "x"\n', "must be a table"),
    ],
)
def test_bad_table_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "pyproject.toml").write_text(text)
    with pytest.raises(ConfigurationError, match=message) as caught:
        find_project(tmp_path)
    assert str(tmp_path / "pyproject.toml") in str(caught.value)


def test_no_project(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"no pyproject.toml with a \[tool.eventual\] table"):
        find_project(tmp_path)


def test_this_repository_is_the_example_service() -> None:
    project = find_project(REPO / "examples")
    assert (project.root, project.service, project.entry) == (REPO, "my-service", "examples.service")
    assert list(load_sockets(project)) == ["chat", "lobby", "mySocket", "rtc-socket"]


def test_load_sockets_takes_what_the_entry_binds_not_what_else_is_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``lobby/extra.py`` is in the entry's package and imported (by a test, say) but not by the entry."""
    package = tmp_path / "lobbypkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "service.py").write_text('from eventual import socket\n\nlobby = socket("lobby", {})\n')
    (package / "extra.py").write_text('from eventual import socket\n\nextra = socket("extra", {})\n')
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    for name in ("lobbypkg", "lobbypkg.service", "lobbypkg.extra"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    __import__("lobbypkg.extra")
    sockets = load_sockets(Project(root=tmp_path, service="lobby", entry="lobbypkg.service"))
    assert list(sockets) == ["lobby"]
    assert sockets["lobby"] is sys.modules["lobbypkg.service"].lobby


def test_unimportable_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    project = Project(root=tmp_path, service="s", entry="no_such_module_here")
    with pytest.raises(ConfigurationError, match="ModuleNotFoundError"):
        load_sockets(project)


def test_local_socket_url() -> None:
    assert local_socket_url("rtc-socket") == "ws://localhost:3111/__ws/rtc-socket"
    assert local_socket_url("a", host="127.0.0.1", port=8000) == "ws://127.0.0.1:8000/__ws/a"
