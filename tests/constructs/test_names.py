"""AWS names: valid, deterministic, shortened to fit and still distinct."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventual.constructs.names import FUNCTION_NAME_MAX, api_name, fit, function_name
from eventual.outputs import DEFAULT_STAGE
from eventual.stages import name_prefix, service_name_problem, stack_name, stage_problem
from tests.constructs.synth import declare, write_service

FUNCTION_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


@given(st.text("ab-_.~9", min_size=1, max_size=90), st.text("ab-_.~9", min_size=1, max_size=90))
def test_function_names_fit_lambda_and_distinct_sockets_stay_distinct(first: str, second: str) -> None:
    one, two = function_name("svc", first), function_name("svc", second)
    assert FUNCTION_NAME.fullmatch(one) and FUNCTION_NAME.fullmatch(two)
    assert (one == two) == (first == second)
    assert function_name("svc", first) == one  # deterministic


def test_names_that_fit_are_kept_and_long_ones_keep_a_readable_prefix() -> None:
    assert function_name("my-service", "rtc-socket") == "my-service--rtc-socket"
    long = function_name("my-service", "x" * 80)
    assert len(long) == FUNCTION_NAME_MAX and long.startswith("my-service--xxxx")
    assert len(api_name("s" * 100, "t" * 100)) == 128
    assert fit("abc", 3) == "abc" and len(fit("abcd", 3 + 9)) <= 12


def test_the_http_api_name_is_shortened_like_the_others() -> None:
    """Issue 19 item 14: the HTTP API took the prefix as it was, and API Gateway allows 128."""
    assert api_name("my-service--dev") == "my-service--dev"
    assert len(api_name("s" * 200)) == 128 and api_name("s" * 200) != api_name("s" * 201)


WORD = st.text("ab1", min_size=1, max_size=4)
SERVICE = st.lists(WORD, min_size=1, max_size=3).map(lambda words: "s" + "-".join(words))
STAGE = st.one_of(st.just(DEFAULT_STAGE), st.lists(WORD, min_size=1, max_size=3).map("-".join))
SOCKET = st.text("ab1-_.~", min_size=1, max_size=12).filter(lambda name: name not in (".", ".."))


@given(st.tuples(SERVICE, STAGE, SOCKET), st.tuples(SERVICE, STAGE, SOCKET))
def test_no_two_services_stages_or_sockets_share_a_name(
    first: tuple[str, str, str], second: tuple[str, str, str]
) -> None:
    """Issue 19 item 14, by construction: names join service, stage and socket with '--', which no
    part holds, so they are equal only for one (service, stage, socket)."""
    (service, stage, socket), (other_service, other_stage, other_socket) = first, second
    assert service_name_problem(service) is None and service_name_problem(other_service) is None
    assert stage_problem(stage) is None and stage_problem(other_stage) is None
    same_stage = (service, stage) == (other_service, other_stage)
    assert (stack_name(service, stage) == stack_name(other_service, other_stage)) == same_stage
    one, two = name_prefix(service, stage), name_prefix(other_service, other_stage)
    assert (function_name(one, socket) == function_name(two, other_socket)) == (first == second)
    assert (api_name(one, socket) == api_name(two, other_socket)) == (first == second)
    assert (f"{one}-execution-logs" == f"{two}-execution-logs") == same_stage


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("my-service", DEFAULT_STAGE, "dev-chat"), ("my-service", "dev", "chat")),
        (("my-service-dev", DEFAULT_STAGE, "chat"), ("my-service", "dev", "chat")),
        (("my", DEFAULT_STAGE, "service-chat"), ("my-service", DEFAULT_STAGE, "chat")),
        (("svc", "pr-1", "chat"), ("svc", "pr", "1-chat")),
        (("my-service", DEFAULT_STAGE, "-dev--chat"), ("my-service", "dev", "chat")),
    ],
)
def test_the_names_that_used_to_collide_are_apart(
    first: tuple[str, str, str], second: tuple[str, str, str]
) -> None:
    """The issue's cases (a socket of the default stage against a stage's, a service against a
    stage of another) and their kin: each pair made one function name with '-' as the joint."""
    (service, stage, socket), (other_service, other_stage, other_socket) = first, second
    one, two = name_prefix(service, stage), name_prefix(other_service, other_stage)
    assert function_name(one, socket) != function_name(two, other_socket)
    assert stack_name(service, stage) != stack_name(other_service, other_stage)


def test_long_service_and_socket_names_are_shortened_in_the_stack(tmp_path: Path) -> None:
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
    assert apis == [f"a-rather-long-service-name--{s}" for s in sockets]  # 96 characters fit in 128
