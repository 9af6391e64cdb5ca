from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import eventual.runtime.handler as handler
from eventual import ConfigurationError
from eventual.deployment import set_process_default
from eventual.runtime.environment import configuration_from
from tests.apigw_events import connect_event, message_event

EXAMPLE_ENV = {
    "EVENTUAL_SERVICE_NAME": "my-service",
    "EVENTUAL_SOCKET_NAME": "mySocket",
    "EVENTUAL_ENTRY": "examples.service",
}


@pytest.fixture
def cold_start(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts as a fresh Lambda container would."""
    monkeypatch.setattr(handler, "_loaded", None)
    for name, value in EXAMPLE_ENV.items():
        monkeypatch.setenv(name, value)
    previous = set_process_default(None)
    yield
    set_process_default(previous)


@pytest.mark.usefixtures("cold_start")
def test_handle_serves_the_configured_socket_of_the_entry() -> None:
    assert handler.handle(connect_event(), None) == {"statusCode": 200}
    response = handler.handle(message_event('{"foo": "x", "bar": "y"}'), None)
    assert json.loads(response["body"]) == {"received": {"foo": "x", "bar": "y"}}


@pytest.mark.usefixtures("cold_start")
def test_entry_is_loaded_once_per_cold_start(monkeypatch: pytest.MonkeyPatch) -> None:
    loads: list[object] = []
    real = handler.load_socket

    def counting(configuration: object) -> object:
        loads.append(configuration)
        return real(configuration)  # type: ignore[arg-type]

    monkeypatch.setattr(handler, "load_socket", counting)
    for _ in range(3):
        handler.handle(message_event("{}"), None)
    assert len(loads) == 1


@pytest.mark.usefixtures("cold_start")
def test_example_answers_malformed_json_itself(caplog: pytest.LogCaptureFixture) -> None:
    response = handler.handle(message_event("not json"), None)
    assert response == {"statusCode": 400, "body": '{"error":"message is not JSON"}'}
    assert caplog.records == []


@pytest.mark.parametrize(
    ("environ", "match"),
    [
        ({"EVENTUAL_ENTRY": "examples.service"}, "EVENTUAL_SOCKET_NAME is not set"),
        ({"EVENTUAL_SOCKET_NAME": "mySocket"}, "EVENTUAL_ENTRY is not set"),
        (
            {"EVENTUAL_SOCKET_NAME": "mySocket", "EVENTUAL_ENTRY": "examples.nope"},
            "cannot import entry module 'examples.nope'",
        ),
        (
            {"EVENTUAL_SOCKET_NAME": "other", "EVENTUAL_ENTRY": "examples.service"},
            r"declares no socket named 'other' \(it declares: chat, lobby, mySocket, rtc-socket\)",
        ),
    ],
)
def test_misconfiguration_names_the_problem(environ: dict[str, str], match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        handler.load_socket(configuration_from(environ))


def test_entry_that_fails_inside_its_own_import_names_the_cause(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "broken_entry.py").write_text("import does_not_exist_anywhere\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ConfigurationError, match=r"broken_entry.*does_not_exist_anywhere"):
        handler.load_socket(
            configuration_from({"EVENTUAL_SOCKET_NAME": "x", "EVENTUAL_ENTRY": "broken_entry"})
        )


def test_misconfigured_handle_fails_at_cold_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(handler, "_loaded", None)
    monkeypatch.delenv("EVENTUAL_SOCKET_NAME", raising=False)
    with pytest.raises(ConfigurationError):
        handler.handle(message_event("x"), None)
