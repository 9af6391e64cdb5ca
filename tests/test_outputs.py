"""The outputs' contract, read back: the descriptions a Service writes and what the CLI makes of them."""

from __future__ import annotations

import pytest

from eventual.outputs import FunctionOwner, functions_value, output_description, services_from_outputs


def out(description: str, value: str) -> dict[str, str]:
    return {"Description": description, "OutputValue": value}


def test_functions_outputs_say_which_function_serves_what() -> None:
    roles = {"socket": "svc-dev-chat", "authorizer": "svc-dev-chat-authorizer"}
    outputs = [
        out(output_description("svc", "functions", "chat", stage="dev"), functions_value(roles)),
        out(
            output_description("svc", "functions", stage="dev"),
            "http-api=svc-dev-http-api,fan-out=svc-dev-fan-out",
        ),
        out(output_description("svc", "socket", "chat", stage="dev"), "wss://ws.example.com/chat"),
        out(output_description("svc", "domain", stage="dev"), "ws.example.com"),
    ]
    assert outputs[0]["Description"] == "eventual svc@dev functions chat"
    assert outputs[1]["Description"] == "eventual svc@dev functions"
    (endpoints,) = services_from_outputs(outputs).values()
    assert endpoints.functions == {
        "svc-dev-chat": FunctionOwner("chat", "socket"),
        "svc-dev-chat-authorizer": FunctionOwner("chat", "authorizer"),
        "svc-dev-http-api": FunctionOwner(None, "http-api"),
        "svc-dev-fan-out": FunctionOwner(None, "fan-out"),
    }
    assert [o.label for o in endpoints.functions.values()] == [
        "chat",
        "chat authorizer",
        "http-api",
        "fan-out",
    ]
    assert (endpoints.domain, endpoints.sockets) == ("ws.example.com", {"chat": "wss://ws.example.com/chat"})


def test_a_stack_without_the_newer_outputs_reads_as_before_and_unknown_kinds_are_ignored() -> None:
    (endpoints,) = services_from_outputs(
        [out("eventual svc socket chat", "wss://x/prod"), out("eventual svc dashboards x", "y")]
    ).values()
    assert (endpoints.domain, endpoints.functions, endpoints.sockets) == (None, {}, {"chat": "wss://x/prod"})


def test_a_socket_output_still_needs_its_socket() -> None:
    with pytest.raises(ValueError, match="needs the socket's name"):
        output_description("svc", "socket")
