"""Service and stage names: exactly those a stack and every resource name take (issue 19 item 14)."""

from __future__ import annotations

import re

import pytest

from eventual.errors import ConfigurationError
from eventual.stages import service_name_problem, stack_name, stage_problem


@pytest.mark.parametrize("stage", ["default", "dev", "prod", "pr-123", "PR-1", "1", "a-b-c", "x" * 32])
def test_stages_that_make_valid_stack_names_are_accepted(stage: str) -> None:
    assert stage_problem(stage) is None
    name = stack_name("my-service", stage)
    # CloudFormation's rule for stack names ("CreateStack": StackName)
    assert re.fullmatch(r"[A-Za-z][-A-Za-z0-9]*", name) and len(name) <= 128


@pytest.mark.parametrize(
    ("stage", "why"),
    [
        ("pr_1", "is not valid"),  # CloudFormation stack names take no '_'
        ("x" * 33, "at most 32 characters"),
        ("dev--1", "no '_' or '--'"),
        ("-dev", "is not valid"),
        ("dev-", "is not valid"),
        ("dev/1", "is not valid"),
        ("dév", "is not valid"),
        ("", "is not valid"),
        ("local", "is reserved: it names the dev server"),
        (None, "is not valid"),
    ],
)
def test_other_stages_are_refused_saying_why(stage: object, why: str) -> None:
    problem = stage_problem(stage)
    assert problem is not None and why in problem and repr(stage) in problem
    with pytest.raises(ConfigurationError, match=why):
        stack_name("my-service", stage)  # type: ignore[arg-type]


@pytest.mark.parametrize("service", ["my-service", "a", "Chat2", "x" * 63])
def test_service_names_that_make_stack_names_are_accepted(service: str) -> None:
    assert service_name_problem(service) is None
    assert stack_name(service) == service


@pytest.mark.parametrize("service", ["x" * 64, "my_service", "a--b", "a-", "-a", "9lives", "", "my service"])
def test_other_service_names_are_refused(service: str) -> None:
    problem = service_name_problem(service)
    assert problem is not None and "is not valid" in problem and "at most 63" in problem
    with pytest.raises(ConfigurationError):
        stack_name(service, "dev")


def test_stacks_of_stages_are_named_apart_from_every_service() -> None:
    """The issue's case: service ``my-service-dev`` and stage ``dev`` of ``my-service`` had one stack
    name, so deploying one would have updated the other's stack in place."""
    assert stack_name("my-service") == "my-service"
    assert stack_name("my-service", "dev") == "my-service--dev"
    assert stack_name("my-service-dev") == "my-service-dev"
    assert stack_name("my-service", "dev") != stack_name("my-service-dev")
