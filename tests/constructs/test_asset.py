"""The Lambda asset: what it holds, that it runs on its own, that it is reproducible."""

from __future__ import annotations

import json
import os
import shutil
import sys
import zipfile
from pathlib import Path

import pytest

import eventual
from eventual.constructs import ServiceDefinitionError
from eventual.constructs.asset import LambdaPlatform, build_asset
from tests.apigw_events import authorizer_event, connect_event, message_event
from tests.constructs.synth import Synth, resolve, run_in_asset, write_service

ARM = LambdaPlatform(python_version="3.14", architecture="arm64")


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENTUAL_CACHE_DIR", str(tmp_path / "cache"))


def shipped_eventual_files() -> set[str]:
    package = Path(eventual.__file__).parent
    top = {f"eventual/{p.name}" for p in package.iterdir() if p.is_file() and p.suffix != ".pyc"}
    runtime = {
        f"eventual/runtime/{p.relative_to(package / 'runtime').as_posix()}"
        for p in (package / "runtime").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    return top | runtime


PYDANTIC_TOPS = {"pydantic", "pydantic_core", "annotated_types", "typing_inspection", "typing_extensions.py"}
"""pydantic and its dependencies: what a service with typed sockets ships besides its own code."""


def is_pydantic(top: str) -> bool:
    names = {t.removesuffix(".py") for t in PYDANTIC_TOPS}
    return top in PYDANTIC_TOPS or (top.endswith(".dist-info") and top.partition("-")[0] in names)


def test_example_asset_holds_eventual_core_runtime_the_service_and_pydantic_only(example: Synth) -> None:
    """The example declares types (examples/lobby.py), so pydantic ships, built for arm64."""
    files = set(example.service.asset.files)
    assert {"examples/__init__.py", "examples/service.py", "eventual-asyncapi.json"} <= files
    assert not any(f.startswith("examples/web/") for f in files)  # the example's web page is no Lambda code
    assert {f for f in files if f.startswith("eventual/")} == shipped_eventual_files()
    tops = {f.split("/")[0] for f in files}
    assert {t for t in tops if not is_pydantic(t)} == {"eventual", "examples", "eventual-asyncapi.json"}
    assert {t for t in tops if not t.endswith(".dist-info")} >= PYDANTIC_TOPS
    [core] = [f for f in files if f.startswith("pydantic_core/_pydantic_core.") and f.endswith(".so")]
    with zipfile.ZipFile(example.service.asset.path) as archive:
        header = archive.read(core)[:20]
    assert header[:4] == b"\x7fELF" and int.from_bytes(header[18:20], "little") == 183  # EM_AARCH64
    assert not any(f.startswith(("eventual/constructs/", "eventual/cli/", "eventual/local/")) for f in files)
    assert not any(f.endswith(".pyc") or "__pycache__" in f for f in files)


def test_staged_zip_is_what_the_template_points_at(example: Synth) -> None:
    (staged,) = example.outdir.glob("asset.*.zip")
    with zipfile.ZipFile(staged) as archive:
        assert archive.namelist() == list(example.service.asset.files)
    assets = json.loads(next(example.outdir.glob("*.assets.json")).read_text())
    (key,) = [v["destinations"] for v in assets["files"].values() if v["source"]["path"] == staged.name]
    object_key = next(iter(key.values()))["objectKey"]
    functions = example.resources("AWS::Lambda::Function").values()
    code = [f["Properties"]["Code"]["S3Key"] for f in functions if "S3Key" in f["Properties"]["Code"]]
    assert len(code) >= len(example.service.sockets) + 1  # the sockets', authorizers' and HTTP API's
    assert set(code) == {object_key}  # one asset shared by every function of the service
    # the account-logging custom resource's handler is inline code, from no asset
    assert [f for f in functions if "ZipFile" in f["Properties"]["Code"]] != []
    with zipfile.ZipFile(staged) as archive:
        ours = sum(i.compress_size for i in archive.infolist() if not is_pydantic(i.filename.split("/")[0]))
    assert ours < 150 * 1024  # eventual's runtime and the service; pydantic's wheels are the rest


def test_staged_asset_runs_with_only_itself_and_boto3_on_sys_path(example: Synth, tmp_path: Path) -> None:
    events = [connect_event("Conn1="), message_event('{"hello": "world"}', connection_id="Conn1=")]
    env = {
        "EVENTUAL_SERVICE_NAME": "my-service",
        "EVENTUAL_SOCKET_NAME": "mySocket",
        "EVENTUAL_ENTRY": "examples.service",
        "EVENTUAL_SOCKET_URLS": json.dumps({"mySocket": {"wss": "wss://x/prod", "http": "https://x/prod"}}),
    }
    connected, answered = run_in_asset(
        example.service.asset.path, tmp_path, env, "eventual.runtime.handler.handle", events
    )
    assert connected == {"statusCode": 200}
    assert answered["statusCode"] == 200
    assert json.loads(answered["body"]) == {"received": {"hello": "world"}}


def test_staged_asset_authorizes_as_the_template_configures_its_authorizer_function(
    gated: Synth, tmp_path: Path
) -> None:
    """The authorizer function exactly as deployed: its handler and environment from the template."""
    endpoint = gated.service.sockets["gated-door"]
    function = gated.template["Resources"][gated.logical_id(endpoint.authorizer_function)]["Properties"]
    env = resolve(function["Environment"]["Variables"])
    assert all(isinstance(value, str) for value in env.values())  # nothing left for deploy to fill in
    events = [
        authorizer_event("Ok1=", query={"token": "letmein"}),
        authorizer_event("Ban1=", query={"token": "banned"}),
        authorizer_event("Anon1="),
    ]
    allowed, forbidden, anonymous = run_in_asset(
        gated.service.asset.path, tmp_path, env, function["Handler"], events
    )
    method_arn = events[0]["methodArn"]
    assert allowed["context"] == {
        "principalId": "ada",
        "name": "Ada",
    }  # the identity, as API Gateway passes it
    assert allowed["principalId"] == "ada"
    assert allowed["policyDocument"]["Statement"] == [
        {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": method_arn}
    ]
    assert forbidden["policyDocument"]["Statement"][0]["Effect"] == "Deny"  # API Gateway answers 403
    assert "context" not in forbidden
    assert anonymous == {"raised": "Exception: Unauthorized"}  # API Gateway answers 401


def test_same_code_same_hash_and_zip_anywhere_and_any_time(tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    entry = write_service(first, "svc_hash_a", "X = 1\n", {"data/table.json": "{}"})
    first_asset = build_asset(entry, project_root=first, platform=ARM)
    first_bytes = first_asset.path.read_bytes()
    shutil.copytree(first, second)
    os.utime(second / "svc_hash_a" / "service.py", (0, 0))  # a fresh clone has other mtimes
    sys.modules["svc_hash_a"].__path__[:] = [str(second / "svc_hash_a")]
    first_asset.path.unlink()
    again = build_asset(entry, project_root=second, platform=ARM)
    assert again.content_hash == first_asset.content_hash
    assert again.path.read_bytes() == first_bytes

    (second / "svc_hash_a" / "service.py").write_text("X = 2\n")
    changed = build_asset(entry, project_root=second, platform=ARM)
    assert changed.content_hash != first_asset.content_hash


def test_staging_skips_junk_and_never_walks_the_project_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = write_service(
        tmp_path,
        "svc_walk",
        "X = 1\n",
        {
            "handlers/__init__.py": "",
            "handlers/chat.py": "Y = 2\n",
            "handlers/greeting.txt": "hello",
            "web/index.html": "<html></html>",
            "web/app.py": "",
            "tests/test_chat.py": "",
            "node_modules/left-pad/index.js": "",
            "cdk.out/manifest.json": "{}",
            ".git/config": "",
            "__pycache__/service.cpython-311.pyc": "",
            "venv/pyvenv.cfg": "",
            "venv/lib/big.py": "",
            "notes.egg-info/PKG-INFO": "",
        },
    )
    for junk in (".venv/pyvenv.cfg", "node_modules/x/index.js", "cdk.out/manifest.json"):
        (tmp_path / junk).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / junk).write_text("")
    walked: list[str] = []
    real_walk = os.walk

    def spy(top: str | os.PathLike[str], *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        for directory, dirnames, filenames in real_walk(top, *args, **kwargs):  # type: ignore[arg-type]
            walked.append(str(directory))
            yield directory, dirnames, filenames

    monkeypatch.setattr(os, "walk", spy)
    asset = build_asset(entry, project_root=tmp_path, platform=ARM)
    service_files = {f for f in asset.files if f.startswith("svc_walk/")}
    assert service_files == {
        "svc_walk/__init__.py",
        "svc_walk/service.py",
        "svc_walk/handlers/__init__.py",
        "svc_walk/handlers/chat.py",
        "svc_walk/handlers/greeting.txt",  # data beside a module ships
    }
    outside = [
        w
        for w in walked
        if Path(w).is_relative_to(tmp_path) and not Path(w).is_relative_to(tmp_path / "svc_walk")
    ]
    assert outside == []
    skipped = ("node_modules", "cdk.out", "tests", ".git", "__pycache__", "venv", "web")
    assert not any(part in skipped for w in walked for part in Path(w).parts[len(tmp_path.parts) :])


def test_zip_entries_are_sorted_with_fixed_times_and_modes(example: Synth) -> None:
    with zipfile.ZipFile(example.service.asset.path) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {(i.external_attr >> 16) & 0o777 for i in infos} <= {0o644, 0o755}


def test_a_single_module_entry_ships_as_one_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "svc_single_module.py").write_text("X = 1\n")
    (tmp_path / "unrelated.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    __import__("svc_single_module")
    asset = build_asset("svc_single_module", project_root=tmp_path, platform=ARM)
    assert {f for f in asset.files if not f.startswith("eventual/")} == {"svc_single_module.py"}


def test_an_entry_imported_from_outside_the_project_root_is_an_error(tmp_path: Path) -> None:
    entry = write_service(tmp_path / "elsewhere", "svc_elsewhere", "X = 1\n")
    with pytest.raises(ServiceDefinitionError, match="outside the project root"):
        build_asset(entry, project_root=tmp_path / "project", platform=ARM)


def test_a_cache_others_may_write_to_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setenv("EVENTUAL_CACHE_DIR", str(shared))
    entry = write_service(tmp_path / "project", "svc_shared_cache", "X = 1\n")
    with pytest.raises(ServiceDefinitionError, match="others may write"):
        build_asset(entry, project_root=tmp_path / "project", platform=ARM)
