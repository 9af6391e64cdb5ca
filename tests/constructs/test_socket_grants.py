"""One rule, checked on the template: every socket function of a service may list, broadcast to
and send on every socket of that service, tracked or not, as it may under ``eventual local``."""

from __future__ import annotations

from pathlib import Path

from eventual.runtime.environment import TABLE_ENV
from tests.constructs.grants import (
    FAN_OUT_HANDLER,
    MANAGE_CONNECTIONS,
    assert_socket_functions_hold_what_their_code_may_call,
    connections_table,
    functions_of,
    websocket_stages,
)
from tests.constructs.synth import Synth, declare, new_app, ref, write_service


def test_a_module_of_the_entrys_package_that_the_entry_never_imports_is_not_deployed(presence: Synth) -> None:
    """``svc_presence.extra`` was imported before synth; only the entry's sockets have an API."""
    assert list(presence.service.sockets) == ["admin", "gate", "guarded", "orders", "presence"]
    apis = presence.resources("AWS::ApiGatewayV2::Api").values()
    websocket_apis = sorted(
        api["Properties"]["Name"] for api in apis if api["Properties"]["ProtocolType"] == "WEBSOCKET"
    )
    assert websocket_apis == [
        "presence--admin",
        "presence--gate",
        "presence--guarded",
        "presence--orders",
        "presence--presence",
    ]


def test_the_presence_apps_untracked_admin_socket_can_read_who_is_online(presence: Synth) -> None:
    service = presence.service
    assert service.plan.tracked == ("presence",)
    assert service.plan.sockets["admin"].tracked is False
    admin = functions_of(presence.template)[presence.logical_id(service.sockets["admin"].function)]
    table = connections_table(presence.template)
    assert table == presence.logical_id(service.connections_table)
    # What presence.connections() needs in Lambda: the table's name, and Query on the table ...
    assert admin.environment[TABLE_ENV] == ref(table)
    assert admin.allowed("dynamodb:Query") == {f"<{table}.Arn>"}
    # ... and presence.connection_info(id) and send: @connections on presence's stage.
    presence_stage = {s for s in websocket_stages(presence.template) if "presence" in s.lower()}
    assert presence_stage and admin.allowed(MANAGE_CONNECTIONS) >= presence_stage


def test_every_socket_function_of_the_presence_app_holds_what_its_code_may_call(presence: Synth) -> None:
    sockets = assert_socket_functions_hold_what_their_code_may_call(presence.template)
    assert len(sockets) == len(presence.service.sockets)  # presence, admin, guarded, gate
    authorizer = presence.service.sockets["presence"].authorizer_function
    guard = functions_of(presence.template)[presence.logical_id(authorizer)]
    assert not guard.touches("dynamodb:") and TABLE_ENV not in guard.environment


def test_the_presence_app_is_cdk_nag_clean_with_nothing_acknowledged_about_the_table(presence: Synth) -> None:
    nag = presence.nag()
    assert nag["conclusion"] == "success" and nag["violations"] == []
    assert not any("dynamodb" in v["ruleName"].lower() for v in nag["suppressedViolations"])
    assert {v["ruleName"].partition("[")[0] for v in nag["suppressedViolations"]} == {
        "AwsSolutions-APIG4",
        "AwsSolutions-IAM5",
    }


def test_every_socket_function_of_gated_and_the_example_holds_what_its_code_may_call(
    gated: Synth, example: Synth
) -> None:
    for synth in (gated, example):
        sockets = assert_socket_functions_hold_what_their_code_may_call(synth.template)
        assert len(sockets) == len(synth.service.sockets)


def test_a_service_that_tracks_nothing_grants_no_table_to_any_function(tmp_path: Path) -> None:
    import aws_cdk as cdk
    from aws_cdk.assertions import Template

    from eventual.constructs import Service

    entry = write_service(tmp_path, "svc_no_table", declare("quiet-a", "quiet-b"))
    stack = cdk.Stack(new_app(), "S")
    Service(stack, "Svc", name="quiet", entry=entry, project_root=tmp_path)
    template = Template.from_stack(stack).to_json()
    assert connections_table(template) is None
    sockets = assert_socket_functions_hold_what_their_code_may_call(template)
    assert len(sockets) == 2 and not any(f.touches("dynamodb:") for f in sockets)
    # nothing to fan out: no queue, no worker, no event source
    types = {r["Type"] for r in template["Resources"].values()}
    assert types.isdisjoint({"AWS::SQS::Queue", "AWS::SQS::QueuePolicy", "AWS::Lambda::EventSourceMapping"})
    assert all(f.handler != FAN_OUT_HANDLER for f in functions_of(template).values())
