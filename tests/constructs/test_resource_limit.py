"""CloudFormation's 500 resources per stack, checked at synth."""

from __future__ import annotations

from pathlib import Path

import pytest

from eventual.constructs.limits import STACK_RESOURCES_MAX
from eventual.constructs.resource_limit import count_resources
from tests.constructs.synth import write_service


def test_a_stack_past_500_resources_fails_synth_saying_how_many_sockets_fit(tmp_path: Path) -> None:
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
    # function, API, integration, 3 routes, a route response, one invoke permission, stage; an
    # authorizer adds its function, authorizer and permission
    assert (plain, guarded) == (9, 12)
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
