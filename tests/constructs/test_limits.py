"""AWS's limits, caught at synth: name lengths, URL-safe socket names, 4 KB environments, 500 resources."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventual.constructs import ServiceDefinitionError
from eventual.constructs.connections import TABLE_NAME_MAX
from eventual.constructs.limits import (
    LAMBDA_ENVIRONMENT_MAX_BYTES,
    STACK_RESOURCES_MAX,
    check_environment_size,
    count_resources,
)
from eventual.constructs.names import FUNCTION_NAME_MAX, api_name, fit, function_name
from eventual.runtime.environment import TABLE_ENV
from tests.constructs.synth import Synth, resolve, write_service

FUNCTION_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


def declare(*names: str) -> str:
    return "from eventual import socket\n" + "".join(
        f"s{i} = socket({n!r}, {{}})\n" for i, n in enumerate(names)
    )


@given(st.text("ab-_.~9", min_size=1, max_size=90), st.text("ab-_.~9", min_size=1, max_size=90))
def test_function_names_fit_lambda_and_distinct_sockets_stay_distinct(first: str, second: str) -> None:
    one, two = function_name("svc", first), function_name("svc", second)
    assert FUNCTION_NAME.fullmatch(one) and FUNCTION_NAME.fullmatch(two)
    assert (one == two) == (first == second)
    assert function_name("svc", first) == one  # deterministic


def test_names_that_fit_are_kept_and_long_ones_keep_a_readable_prefix() -> None:
    assert function_name("my-service", "rtc-socket") == "my-service-rtc-socket"
    long = function_name("my-service", "x" * 80)
    assert len(long) == FUNCTION_NAME_MAX and long.startswith("my-service-xxxx")
    assert len(api_name("s" * 100, "t" * 100)) == 128
    assert fit("abc", 3) == "abc" and len(fit("abcd", 3 + 9)) <= 12


def test_long_service_and_socket_names_are_shortened_in_the_stack(
    tmp_path: Path, socket_registry: object
) -> None:
    import aws_cdk as cdk

    from eventual.constructs import Service

    sockets = ["notifications-for-" + "x" * 50 + "-one", "notifications-for-" + "x" * 50 + "-two"]
    entry = write_service(tmp_path, "svc_long_names", declare(*sockets))
    service = Service(
        cdk.Stack(cdk.App(), "S"),
        "Svc",
        name="a-rather-long-service-name",
        entry=entry,
        project_root=tmp_path,
    )
    functions = [service.sockets[s].function.node.default_child.function_name for s in sockets]  # type: ignore[union-attr]
    apis = [service.sockets[s].api.node.default_child.name for s in sockets]  # type: ignore[union-attr]
    assert all(FUNCTION_NAME.fullmatch(f) for f in functions) and len(set(functions)) == 2
    assert apis == [f"a-rather-long-service-name-{s}" for s in sockets]  # 95 characters fit in 128


@pytest.mark.parametrize("bad", ["my socket", "chat/room", "100%", "why?", "..", "späť"])
def test_a_socket_name_that_cannot_be_a_url_path_segment_is_an_error(
    bad: str, tmp_path: Path, socket_registry: object
) -> None:
    import aws_cdk as cdk

    from eventual.constructs import Service

    entry = write_service(tmp_path, f"svc_bad_{abs(hash(bad))}", declare(bad))
    with pytest.raises(ServiceDefinitionError, match="cannot appear in a URL path"):
        Service(cdk.Stack(cdk.App(), "S"), "Svc", name="svc", entry=entry, project_root=tmp_path)


def test_bad_service_and_stage_names_and_empty_entries_are_errors(
    tmp_path: Path, socket_registry: object
) -> None:
    import aws_cdk as cdk

    from eventual.constructs import Service

    stack = cdk.Stack(cdk.App(), "S")
    with pytest.raises(ServiceDefinitionError, match="service name 'my service'"):
        Service(stack, "A", name="my service", entry="examples.service")
    with pytest.raises(ServiceDefinitionError, match="stage name"):
        Service(stack, "B", name="svc", entry="examples.service", stage_name="$default")
    empty = write_service(tmp_path, "svc_empty", "X = 1\n")
    with pytest.raises(ServiceDefinitionError, match="declares no sockets"):
        Service(stack, "C", name="svc", entry=empty, project_root=tmp_path)


def test_environment_estimate_is_never_below_what_cloudformation_will_set(example: Synth) -> None:
    functions = example.resources("AWS::Lambda::Function").values()
    longest_id = "x" * 10  # API Gateway ids have 10 characters
    real = max(
        len(
            json.dumps(
                resolve(f["Properties"]["Environment"]["Variables"], lambda _: longest_id),
                separators=(",", ":"),
            )
        )
        for f in functions
    )
    envs = {
        n: {
            "EVENTUAL_SERVICE_NAME": "my-service",
            "EVENTUAL_SOCKET_NAME": n,
            "EVENTUAL_ENTRY": "examples.service",
            # a tracked socket's function also gets the table's name, at its longest
            **({TABLE_ENV: "x" * TABLE_NAME_MAX} if e.socket.options.track_connections else {}),
        }
        for n, e in example.service.sockets.items()
    }
    estimated = check_environment_size("my-service", envs, "us-east-1", "prod")
    assert estimated >= real


def test_too_many_sockets_for_a_4kb_environment_says_how_many_fit(
    tmp_path: Path, socket_registry: object
) -> None:
    import aws_cdk as cdk

    from eventual.constructs import Service

    names = [f"socket-{i:02}" for i in range(40)]
    envs = {n: {"EVENTUAL_SOCKET_NAME": n} for n in names}
    with pytest.raises(ServiceDefinitionError, match=r"at most (\d+) sockets fit") as raised:
        check_environment_size("svc", envs, "us-east-1", "prod")
    fit_count = int(re.search(r"at most (\d+)", str(raised.value))[1])  # type: ignore[index]
    assert (
        check_environment_size("svc", dict(list(envs.items())[:fit_count]), "us-east-1", "prod")
        <= LAMBDA_ENVIRONMENT_MAX_BYTES
    )
    with pytest.raises(ServiceDefinitionError):
        check_environment_size("svc", dict(list(envs.items())[: fit_count + 1]), "us-east-1", "prod")

    entry = write_service(tmp_path, "svc_many", declare(*names))
    with pytest.raises(ServiceDefinitionError, match="over Lambda's limit of 4096"):
        Service(cdk.Stack(cdk.App(), "S"), "Svc", name="svc", entry=entry, project_root=tmp_path)


def test_a_stack_past_500_resources_fails_synth_saying_how_many_sockets_fit(
    tmp_path: Path, socket_registry: object
) -> None:
    import aws_cdk as cdk

    from eventual.constructs import Service

    entry = write_service(
        tmp_path,
        "svc_big",
        "from eventual import socket\n"
        "plain = socket('big-plain', {})\n"
        "guarded = socket('big-guarded', {}, authorizer=lambda request: {}, track_connections=True)\n",
    )

    def stack_with(padding: int) -> tuple[cdk.App, Service]:
        app = cdk.App()
        stack = cdk.Stack(app, "Big")
        service = Service(stack, "Svc", name="svc", entry=entry, project_root=tmp_path)
        for i in range(padding):
            cdk.CfnWaitConditionHandle(stack, f"Pad{i}")
        return app, service

    app, service = stack_with(0)
    plain, guarded = (count_resources(service.sockets[s]) for s in ("big-plain", "big-guarded"))
    assert (plain, guarded) == (11, 14)  # an authorizer adds its function, authorizer and permission
    base = count_resources(app.node.find_child("Big"))
    over = STACK_RESOURCES_MAX - base + 6
    app, _ = stack_with(over)
    # the rest of the stack is what the sockets leave: it decides how many of the largest fit
    rest = base + over - plain - guarded
    fit_count = (STACK_RESOURCES_MAX - rest) // guarded
    with pytest.raises(
        RuntimeError,
        match=rf"{STACK_RESOURCES_MAX + 6} resources.*up to {guarded} per socket.*at most {fit_count} of its",
    ):
        app.synth()
    app, _ = stack_with(STACK_RESOURCES_MAX - base)
    assert len(app.synth().get_stack_by_name("Big").template["Resources"]) == STACK_RESOURCES_MAX
