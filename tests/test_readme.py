"""The README's first example runs as written and does what the README says."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from eventual.runtime.dispatch import dispatch
from tests.apigw_events import connect_event, message_event

README = Path(__file__).parent.parent / "README.md"


@pytest.mark.usefixtures("socket_registry")
def test_readme_socket_example_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    namespace: dict[str, object] = {"__name__": "readme_example"}
    exec(compile(blocks[0], str(README), "exec"), namespace)
    chat = namespace["chat"]
    assert dispatch(chat, connect_event(query={"token": "let-me-in"}), service="s") == {"statusCode": 200}  # type: ignore[arg-type]
    assert dispatch(chat, connect_event(), service="s")["statusCode"] == 401  # type: ignore[arg-type]
    reply = dispatch(chat, message_event('{"x": 1}'), service="s")  # type: ignore[arg-type]
    assert json.loads(reply["body"]) == {"echo": {"x": 1}}


@pytest.mark.usefixtures("socket_registry")
def test_readme_authorizer_example_decides_like_it_says() -> None:
    from eventual import ConnectRequest, Forbidden, Unauthorized
    from eventual.runtime.authorizer import authorize

    [block] = [
        b for b in re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S) if "authorizer=" in b
    ]
    namespace: dict[str, object] = {"__name__": "readme_room"}
    exec(compile(block, str(README), "exec"), namespace)
    room = namespace["room"]
    assert room.options.track_connections  # type: ignore[attr-defined]

    def request(**query: str) -> ConnectRequest:
        return ConnectRequest("C=", query, {})

    assert authorize(room, request(name="Ada", key="demo")) == {"principalId": "Ada", "name": "Ada"}  # type: ignore[arg-type]
    with pytest.raises(Unauthorized):
        authorize(room, request())  # type: ignore[arg-type]
    with pytest.raises(Forbidden):
        authorize(room, request(name="Ada", key="guess"))  # type: ignore[arg-type]


def test_readme_deploy_example_synthesizes_the_stage_from_the_context(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The construct example, run as `cdk synth -c stage=dev` runs it."""
    import aws_cdk

    [block] = [
        b for b in re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S) if "Service(" in b
    ]
    # The CLI passes -c through the environment, which the jsii kernel reads once, when it starts.
    app = aws_cdk.App
    monkeypatch.setattr(aws_cdk, "App", lambda: app(context={"stage": "dev"}))
    namespace: dict[str, object] = {"__name__": "readme_deploy"}
    exec(compile(block, str(README), "exec"), namespace)
    service = namespace["service"]
    assert namespace["stack"].stack_name == "my-service-dev"  # type: ignore[attr-defined]
    assert service.plan.event_bus_name == "my-service-dev"  # type: ignore[attr-defined]
    assert service.plan.log_group_name == "my-service-dev-execution-logs"  # type: ignore[attr-defined]
