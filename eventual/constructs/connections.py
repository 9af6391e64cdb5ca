"""The service's table of open connections, for sockets declared with ``track_connections=True``.

Every socket function of the service may use it, tracked or not (:func:`share_connections`): an
untracked ``admin`` socket may list a tracked ``presence`` socket's connections, as it may locally.

One table per service; the runtime (``eventual.runtime.connections``) owns the item layout, so the
key schema and TTL attribute come from there. Items live at most a little over two hours (API
Gateway's connection limit, then the TTL), so the table is destroyed with the stack rather than
retained: a retained table would only hold connections of APIs that no longer exist.
"""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from eventual.runtime.connections import PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE
from eventual.runtime.environment import TABLE_ENV

CONNECTIONS_ACTIONS = ("dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Query")
"""All the runtime does: ``$connect`` puts, ``$disconnect`` and a gone send delete, and
``connections()`` and ``broadcast()`` query one socket's partition."""


def connections_table(scope: Construct, id: str) -> dynamodb.Table:
    """On-demand, point-in-time recovery on, items expiring on ``expiresAt``, destroyed with the stack."""
    return dynamodb.Table(
        scope,
        id,
        partition_key=dynamodb.Attribute(name=PARTITION_KEY, type=dynamodb.AttributeType.STRING),
        sort_key=dynamodb.Attribute(name=SORT_KEY, type=dynamodb.AttributeType.STRING),
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        time_to_live_attribute=TTL_ATTRIBUTE,
        removal_policy=RemovalPolicy.DESTROY,
    )


def grant_connections(table: dynamodb.ITable, grantee: iam.IGrantable) -> iam.Grant:
    """Let ``grantee`` use ``table`` as the runtime does; a ``Function`` also learns the table's name."""
    grant = table.grant(grantee, *CONNECTIONS_ACTIONS)
    if isinstance(grantee, lambda_.Function):
        grantee.add_environment(TABLE_ENV, table.table_name)
    return grant


def share_connections(
    table: dynamodb.ITable, roles: Iterable[iam.IRole], functions: Iterable[lambda_.Function]
) -> None:
    """Grant ``table`` to each of the socket functions' ``roles`` once, and name it to each function.

    One grant per role, not per function: each grant costs jsii round trips, and a role's policy
    would only repeat the statement."""
    for role in roles:
        table.grant(role, *CONNECTIONS_ACTIONS)
    name = table.table_name  # read once: a property read is a round trip to the jsii kernel
    for function in functions:
        function.add_environment(TABLE_ENV, name)
