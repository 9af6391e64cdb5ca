"""cdk-nag acknowledgments: each names the one resource it covers and says why.

cdk-nag's AwsSolutions pack flags what a WebSocket service cannot avoid: routes API Gateway allows
no authorizer on (APIG4) and grants whose resource is known only at run time (IAM5). Every synth
in this repository runs the pack, so a finding that nobody explained fails it. (The fan-out's
dead-letter queue needs no acknowledgment of SQS3: the rule exempts a queue another queue's
redrive policy names.)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from aws_cdk import Acknowledgment, Stack, Token, Validations
from aws_cdk import aws_iam as iam
from constructs import IConstruct

from eventual.constructs.functions import FunctionParts, traced
from eventual.constructs.plan import FunctionPlan

if TYPE_CHECKING:
    from eventual.constructs.endpoint import SocketEndpoint
    from eventual.constructs.service import Service

CONNECT = "$connect"
_NO_AUTHORIZER = (
    "$connect: the socket's handler and middleware decide who connects (a SocketResponse with a 4xx "
    "status rejects the handshake); declare socket(..., authorizer=fn) to put a Lambda authorizer on "
    "that route. $disconnect and $default: API Gateway allows authorizers on $connect only; they serve "
    "connections $connect accepted."
)
_AFTER_AUTHORIZER = (
    "API Gateway allows authorizers on a WebSocket API's $connect route only, and this socket's $connect "
    "has its Lambda authorizer; {route} serves only connections that authorizer admitted (the identity "
    "it returned reaches every event as requestContext.authorizer)."
)
_XRAY = Acknowledgment(
    id="AwsSolutions::AwsSolutions-IAM5[Resource::*]",
    reason="Tracing is on: X-Ray's PutTraceSegments and PutTelemetryRecords "
    "support no resource-level permissions.",
)


def acknowledge_unauthorized_routes(endpoint: SocketEndpoint) -> None:
    """APIG4 flags every route without an authorizer; say why each one has none."""
    if endpoint.authorizer is None:
        # One acknowledgment on this socket's API covers its three routes.
        Validations.of(endpoint.api).acknowledge(
            Acknowledgment(id="AwsSolutions::AwsSolutions-APIG4", reason=_NO_AUTHORIZER)
        )
        return
    for key, route in endpoint.routes.items():
        if key != CONNECT:
            Validations.of(route).acknowledge(
                Acknowledgment(
                    id="AwsSolutions::AwsSolutions-APIG4", reason=_AFTER_AUTHORIZER.format(route=key)
                )
            )


def acknowledge_public_routes(http_api: IConstruct) -> None:
    """APIG4 on the HTTP API's routes: the service document is public by design."""
    Validations.of(http_api).acknowledge(
        Acknowledgment(
            id="AwsSolutions::AwsSolutions-APIG4",
            reason="GET /__eventual/service and GET / answer the service document: the sockets' public "
            "wss:// URLs, for any page to find its endpoints; they read nothing and change nothing.",
        )
    )


def acknowledge_service_roles(service: Service, parts: FunctionParts) -> None:
    """IAM5 on each role the service made: the ``@connections`` grants, and X-Ray's if traced."""
    plans = service.plan.sockets.values()
    sockets = [plan.function for plan in plans]
    endpoints = list(service.sockets.values())
    _acknowledge_wildcards(service, service.role, _traced(service.role, sockets, parts), endpoints)
    guard = service.authorizer_role
    if guard is not None:
        authorizers = [plan.authorizer.function for plan in plans if plan.authorizer is not None]
        _acknowledge_wildcards(service, guard, _traced(guard, authorizers, parts), [])


def acknowledge_fan_out_role(worker_role: iam.IRole, endpoints: list[SocketEndpoint]) -> None:
    """IAM5 on the fan-out worker's ``POST @connections/*`` grants, one per socket's stage
    (:meth:`SocketEndpoint.grant_post_to_connections`)."""
    policy = worker_role.node.try_find_child("DefaultPolicy")
    if policy is None or not endpoints:
        return
    # One resolve for every API id: each call is a round trip to the jsii kernel.
    api_ids = Stack.of(worker_role).resolve([e.api.api_id for e in endpoints])
    Validations.of(policy).acknowledge(
        *(
            Acknowledgment(
                id=_connections_wildcard(worker_role, api_id["Ref"], e.plan.stage_name, "POST"),
                reason=f"the fan-out worker posts queued broadcasts to connections of socket {e.name!r} "
                "by id, known only at run time; the grant is POST alone (no GET, no DELETE), on that "
                "socket's own API and stage.",
            )
            for e, api_id in zip(endpoints, api_ids, strict=True)
        )
    )


def acknowledge_account_logging_handler(role: iam.Role) -> None:
    """The account-logging custom resource reads any role of the account: the one the setting names."""
    partition, _, account = _environment(role)
    Validations.of(role).acknowledge(
        Acknowledgment(
            id=f"AwsSolutions::AwsSolutions-IAM5[Resource::arn:{partition}:iam::{account}:role/*]",
            reason="iam:GetRole only: API Gateway's account setting may name any role of the account, and "
            "the custom resource checks that it still exists before it leaves it in place.",
        )
    )


def distinct(roles: Iterable[iam.IRole | None]) -> list[iam.IRole]:
    """Each role once, in order (a role shared by several functions is granted once)."""
    return list({id(r): r for r in roles if r is not None}.values())


def _traced(role: iam.IRole, functions: Iterable[FunctionPlan], parts: FunctionParts) -> bool:
    return any(parts.role_of(f) is role and traced(f) for f in functions)


def _acknowledge_wildcards(
    service: Service, role: iam.IRole, is_traced: bool, endpoints: list[SocketEndpoint]
) -> None:
    policy = role.node.try_find_child("DefaultPolicy")
    if policy is None:
        return
    # One resolve for every API id: each call is a round trip to the jsii kernel.
    api_ids = Stack.of(service).resolve([e.api.api_id for e in endpoints]) if endpoints else []
    acknowledgments = [
        Acknowledgment(
            id=_connections_wildcard(service, api_id["Ref"], service.stage_name, "*"),
            reason=f"send/disconnect address connections of socket {endpoint.name!r} by id, "
            "known only at run time; the grant is scoped to that socket's own API and stage.",
        )
        for endpoint, api_id in zip(endpoints, api_ids, strict=True)
    ]
    if is_traced:
        acknowledgments.append(_XRAY)
    if acknowledgments:
        Validations.of(policy).acknowledge(*acknowledgments)


def _connections_wildcard(scope: IConstruct, api_id: str, stage_name: str, method: str) -> str:
    """IAM5's finding on ``@connections/*`` of one API's stage, for ``method`` (``*``: any)."""
    partition, region, account = _environment(scope)
    return (
        f"AwsSolutions::AwsSolutions-IAM5[Resource::arn:{partition}:execute-api:{region}:"
        f"{account}:<{api_id}>/{stage_name}/{method}/@connections/*]"
    )


def _environment(scope: IConstruct) -> tuple[str, str, str]:
    """The partition, region and account as cdk-nag writes them in a finding: the pseudo
    parameter of an environment-agnostic stack (``<AWS::Region>``), the value of a stack given an
    ``env`` (as one with a hosted zone lookup must be)."""
    stack = Stack.of(scope)

    def written(value: str, pseudo: str) -> str:
        return f"<AWS::{pseudo}>" if Token.is_unresolved(value) else value

    return (
        written(stack.partition, "Partition"),
        written(stack.region, "Region"),
        written(stack.account, "AccountId"),
    )
