"""What each function of a synthesized service may call, read from its template alone.

The rule it checks (issue 12, item 1): every socket function of a service may list, broadcast to
and send on every socket of that service, tracked or not, in the cloud as under ``eventual local``;
the authorizer functions and the HTTP API's function may do none of it. A service that tracks
connections has a fan-out worker too (issue 15): it may only post to connections of every socket and
forget gone ones, and the socket functions may queue broadcasts for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eventual.constructs.authorizer import HANDLER as AUTHORIZER_HANDLER
from eventual.constructs.connections import CONNECTIONS_ACTIONS
from eventual.constructs.fanout_plan import HANDLER as FAN_OUT_HANDLER
from eventual.constructs.plan import DOCUMENT_HANDLER, HANDLER
from eventual.runtime.environment import FANOUT_QUEUE_ENV, TABLE_ENV
from tests.constructs.synth import actions, ref, resolve, resources

SOCKET_HANDLER = HANDLER
LEAST_PRIVILEGE = (AUTHORIZER_HANDLER, DOCUMENT_HANDLER)
"""The functions of a service that reach no connection: authorizers and the HTTP API's."""
MANAGE_CONNECTIONS = "execute-api:ManageConnections"
SEND_MESSAGE = "sqs:SendMessage"


@dataclass(frozen=True)
class FunctionGrants:
    """One function, as the template grants it."""

    logical_id: str
    handler: str
    environment: dict[str, Any]
    statements: list[dict[str, Any]]

    def allowed(self, action: str) -> set[str]:
        """The resources (rendered) an ``Allow`` statement grants ``action`` on."""
        return {
            str(resolve(resource))
            for s in self.statements
            if s["Effect"] == "Allow" and action in actions(s)
            for resource in resources(s)
        }

    def touches(self, prefix: str) -> bool:
        """Whether any statement names an action starting with ``prefix`` (``dynamodb:``)."""
        return any(a.startswith(prefix) for s in self.statements for a in actions(s))


def functions_of(template: dict[str, Any]) -> dict[str, FunctionGrants]:
    """Every Lambda function of the template, with the statements of every policy on its role."""
    resources_ = template["Resources"]
    found = {}
    for logical_id, resource in resources_.items():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        props = resource["Properties"]
        role = props["Role"]["Fn::GetAtt"][0]
        found[logical_id] = FunctionGrants(
            logical_id=logical_id,
            handler=props.get("Handler", ""),
            environment=props.get("Environment", {}).get("Variables", {}),
            statements=_statements_of(resources_, role),
        )
    return found


def websocket_stages(template: dict[str, Any], method: str = "*") -> set[str]:
    """The ``@connections`` resource of every WebSocket stage, as a grant renders it (for ``method``:
    ``*``, any; ``POST``, sending only)."""
    resources_ = template["Resources"]
    websocket_apis = {
        k
        for k, r in resources_.items()
        if r["Type"] == "AWS::ApiGatewayV2::Api" and r["Properties"].get("ProtocolType") == "WEBSOCKET"
    }
    return {
        f"arn:aws:execute-api:us-east-1:123456789012:<{r['Properties']['ApiId']['Ref']}>/"
        f"{r['Properties']['StageName']}/{method}/@connections/*"
        for r in resources_.values()
        if r["Type"] == "AWS::ApiGatewayV2::Stage" and r["Properties"]["ApiId"]["Ref"] in websocket_apis
    }


def connections_table(template: dict[str, Any]) -> str | None:
    """The logical id of the template's one DynamoDB table, if it has one."""
    tables = [k for k, r in template["Resources"].items() if r["Type"] == "AWS::DynamoDB::Table"]
    assert len(tables) <= 1, tables
    return tables[0] if tables else None


def fan_out_queues(template: dict[str, Any]) -> tuple[str, str] | None:
    """The logical ids of the fan-out queue and its dead-letter queue, if the template has them."""
    queues = {k: r for k, r in template["Resources"].items() if r["Type"] == "AWS::SQS::Queue"}
    if not queues:
        return None
    ((queue, props),) = [
        (k, r["Properties"]) for k, r in queues.items() if "RedrivePolicy" in r["Properties"]
    ]
    dead_letter = props["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
    assert set(queues) == {queue, dead_letter}, queues
    return queue, dead_letter


def assert_socket_functions_hold_what_their_code_may_call(template: dict[str, Any]) -> list[FunctionGrants]:
    """Every socket function: ``@connections`` on every WebSocket stage and, if the service tracks,
    the runtime's table actions and the table's name, and ``SendMessage`` on the fan-out queue and
    its URL; the fan-out worker (only if the service tracks): ``POST @connections`` on every stage and
    ``DeleteItem``; every other function: none of it.

    Returns the socket functions, for callers to check more of them."""
    stages = websocket_stages(template)
    table = connections_table(template)
    functions = functions_of(template)
    sockets = [f for f in functions.values() if f.handler == SOCKET_HANDLER]
    assert stages and len(sockets) == len(stages)
    queues = fan_out_queues(template)
    assert (table is None) == (queues is None)  # a tracked service fans out; an untracked one cannot
    for function in sockets:
        assert function.allowed(MANAGE_CONNECTIONS) >= stages, function.logical_id
        if table is None:
            assert not function.touches("dynamodb:") and TABLE_ENV not in function.environment
            assert not function.touches("sqs:") and FANOUT_QUEUE_ENV not in function.environment
            continue
        for action in CONNECTIONS_ACTIONS:
            assert function.allowed(action) == {f"<{table}.Arn>"}, (function.logical_id, action)
        assert function.environment[TABLE_ENV] == ref(table), function.logical_id
        assert queues is not None
        assert function.allowed(SEND_MESSAGE) == {f"<{queues[0]}.Arn>"}, function.logical_id
        assert function.environment[FANOUT_QUEUE_ENV] == ref(queues[0]), function.logical_id
    _assert_the_worker_only_posts_and_forgets(functions, table, template)
    others = [f for f in functions.values() if f.handler in LEAST_PRIVILEGE]
    assert others  # the HTTP API's function at least
    for other in others:
        assert not other.touches("dynamodb:") and not other.touches("execute-api:"), other.logical_id
        assert not other.touches("sqs:") and FANOUT_QUEUE_ENV not in other.environment, other.logical_id
        assert TABLE_ENV not in other.environment, other.logical_id
    return sockets


def _assert_the_worker_only_posts_and_forgets(
    functions: dict[str, FunctionGrants], table: str | None, template: dict[str, Any]
) -> None:
    workers = [f for f in functions.values() if f.handler == FAN_OUT_HANDLER]
    if table is None:
        assert workers == []
        return
    (worker,) = workers
    assert worker.allowed(MANAGE_CONNECTIONS) == websocket_stages(template, "POST")
    assert worker.allowed("dynamodb:DeleteItem") == {f"<{table}.Arn>"}
    assert {a for s in worker.statements for a in actions(s) if a.startswith("dynamodb:")} == {
        "dynamodb:DeleteItem"
    }
    assert not worker.allowed(SEND_MESSAGE) and worker.environment[TABLE_ENV] == ref(table)


def _statements_of(resources_: dict[str, Any], role: str) -> list[dict[str, Any]]:
    inline = resources_[role]["Properties"].get("Policies", [])
    attached = [
        p["Properties"]
        for p in resources_.values()
        if p["Type"] == "AWS::IAM::Policy" and ref(role) in p["Properties"].get("Roles", [])
    ]
    return [s for p in [*inline, *attached] for s in p["PolicyDocument"]["Statement"]]
