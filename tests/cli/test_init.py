"""``eventual init``: the files of a new project, its names, and the folders it refuses."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path, PurePosixPath

import pytest
from click.testing import CliRunner

from eventual.cli import main
from eventual.cli.scaffold import default_name, project_files
from eventual.project import find_project

REPO = Path(__file__).resolve().parents[2]
FILES = [
    ".gitignore",
    "README.md",
    "app.py",
    "cdk.json",
    "my_app/__init__.py",
    "my_app/service.py",
    "my_app/web/index.html",
    "package.json",
    "pyproject.toml",
    "tests/test_service.py",
]


def run_init(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["init", *args])
    return result.exit_code, result.output


def written(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_init_writes_a_project_named_after_its_folder(tmp_path: Path) -> None:
    code, output = run_init(str(tmp_path / "My App"))
    assert code == 0, output
    assert written(tmp_path / "My App") == FILES
    assert "Created my-app in" in output and "pytest" in output and "eventual local" in output
    project = find_project(tmp_path / "My App")
    assert (project.service, project.entry) == ("my-app", "my_app.service")
    pyproject = tomllib.loads((tmp_path / "My App/pyproject.toml").read_text())
    assert pyproject["project"]["dependencies"] == ["eventual-py[types]>=0.1"]
    assert "{{" not in "".join(project_files("my-app", "my_app").values())


def test_name_option_and_names_that_cannot_be_services(tmp_path: Path) -> None:
    assert run_init(str(tmp_path / "x"), "--name", "presence")[0] == 0
    assert find_project(tmp_path / "x").entry == "presence.service"
    code, output = run_init(str(tmp_path / "y"), "--name", "9lives")
    assert code == 1 and "'9lives' cannot name a service" in output
    # What synth refuses since '--' joins service, stage and socket (eventual/stages.py).
    for refused, suggestion in (("a--b", "a-b"), ("chat-", "chat"), ("my_app", "my-app")):
        code, output = run_init(str(tmp_path / "z"), "--name", refused)
        assert code == 1 and f"{refused!r} cannot name a service" in output
        assert output.strip().endswith(f"; try --name {suggestion}")
        assert not (tmp_path / "z").exists()
    code, output = run_init(str(tmp_path / "json"))
    assert code == 1 and "clashes with an existing module" in output and "--name" in output
    assert default_name("  Hello, World! ") == "hello-world"


def test_init_refuses_a_folder_that_is_not_empty_unless_forced(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    code, output = run_init(str(tmp_path), "--name", "my-app")
    assert code == 1 and "is not empty" in output and "--force" in output
    assert written(tmp_path) == ["notes.txt"]
    assert run_init(str(tmp_path), "--name", "my-app", "--force")[0] == 0
    assert written(tmp_path) == sorted([*FILES, "notes.txt"])
    code, output = run_init(str(tmp_path / "notes.txt"), "--name", "my-app", "--force")
    assert code == 2 and "is a file" in output  # click's own check of DIRECTORY


def test_cdk_json_has_the_feature_flags_of_the_installed_aws_cdk_lib() -> None:
    import aws_cdk

    [bundle] = (Path(aws_cdk.__file__).parent / "_jsii").glob("aws-cdk-lib@*.jsii.tgz")
    with tarfile.open(bundle) as archive:
        member = archive.extractfile("package/recommended-feature-flags.json")
        assert member is not None
        recommended = json.load(member)
    cdk_json = json.loads(project_files("my-app", "my_app")[PurePosixPath("cdk.json")])
    assert cdk_json["app"] == "python app.py"
    assert cdk_json["context"] == recommended


def test_package_json_pins_the_cdk_cli_this_repository_pins() -> None:
    ours = json.loads((REPO / "package.json").read_text())["devDependencies"]
    theirs = json.loads(project_files("my-app", "my_app")[PurePosixPath("package.json")])
    assert theirs["devDependencies"] == {"aws-cdk": ours["aws-cdk"]}  # not our AsyncAPI tooling


def test_the_python_it_writes_passes_ruff(tmp_path: Path) -> None:
    assert run_init(str(tmp_path), "--name", "my-app")[0] == 0
    ruff = [sys.executable, "-m", "ruff"]
    rules = ["--isolated", "--line-length", "110", "--target-version", "py311"]
    lint = [*ruff, "check", *rules, "--select", "E,F,W,I,B,UP,SIM,RUF", "."]
    checked = subprocess.run(lint, capture_output=True, text=True, cwd=tmp_path)  # eventual: third-party
    assert checked.returncode == 0, checked.stdout
    formatted = subprocess.run([*ruff, "format", *rules, "--check", "."], capture_output=True, cwd=tmp_path)
    assert formatted.returncode == 0, formatted.stdout


@pytest.mark.parametrize(
    ("direct_url", "source"),
    [
        ({"url": "file:///src/eventual-py", "dir_info": {}}, "/src/eventual-py"),
        (
            {"url": "https://example.org/eventual-py.git", "vcs_info": {"vcs": "git", "commit_id": "abc"}},
            "git+https://example.org/eventual-py.git@abc",
        ),
        ({"url": "https://example.org/eventual_py-0.1.0.whl", "archive_info": {}}, None),
        (None, None),
    ],
)
def test_next_steps_say_where_eventual_py_came_from(
    monkeypatch: pytest.MonkeyPatch, direct_url: dict[str, object] | None, source: str | None
) -> None:
    class Distribution:
        def read_text(self, name: str) -> str | None:
            return None if direct_url is None else json.dumps(direct_url)

    monkeypatch.setattr("importlib.metadata.distribution", lambda name: Distribution())
    assert importlib.import_module("eventual.cli.init").installed_from() == source


def test_a_name_synth_would_refuse_is_refused_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 19, item 5: ``--name default`` wrote a project whose synth fails (EventBridge reserves
    the name). init applies the construct's own check, so it refuses what synth refuses."""
    code, output = run_init(str(tmp_path / "a"), "--name", "default")
    assert code == 1
    assert output.startswith("Error: service name 'default' is reserved: EventBridge reserves it")
    assert len(output.strip().splitlines()) == 1 and "Traceback" not in output
    assert not (tmp_path / "a").exists()
    code, output = run_init(str(tmp_path / "default"))  # named after its folder: the same rule
    assert code == 1 and "'default' is reserved" in output and "--name NAME" in output
    import eventual.constructs.names

    reserved = {**eventual.constructs.names.RESERVED_SERVICE_NAMES, "mine": "taken, for this test"}
    monkeypatch.setattr(eventual.constructs.names, "RESERVED_SERVICE_NAMES", reserved)
    code, output = run_init(str(tmp_path / "b"), "--name", "mine")
    assert code == 1 and "service name 'mine' is reserved: taken, for this test" in output


def test_a_folder_name_init_would_mangle_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    """``ÜberChat`` used to become the service ``berchat``, silently."""
    code, output = run_init(str(tmp_path / "ÜberChat"))
    assert code == 1 and "Traceback" not in output and len(output.strip().splitlines()) == 1
    assert "the folder name 'ÜberChat' would make the service name 'berchat', without 'Ü'" in output
    assert output.strip().endswith("pass --name uberchat")
    assert not (tmp_path / "ÜberChat").exists()
    code, output = run_init(str(tmp_path / "聊天"))
    assert code == 1 and "without '天', '聊'" in output and output.strip().endswith("pass --name NAME")
    code, output = run_init(str(tmp_path / "x"), "--name", "Über-Chat")
    assert code == 1 and output.strip().endswith("; try --name uber-chat")
    assert run_init(str(tmp_path / "ÜberChat"), "--name", "uberchat")[0] == 0
    assert find_project(tmp_path / "ÜberChat").service == "uberchat"
    assert default_name("My App_2") == "my-app-2"  # separators go, as before
