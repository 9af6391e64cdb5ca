"""API Gateway's account-level CloudWatch role, set only where the account has none.

HTTP APIs log through a service-linked role; a WebSocket stage with access logging fails to deploy
("CloudWatch Logs role ARN must be set in account settings") until the account, per region, names
a role. That setting belongs to the account, not to a stack: an ``AWS::ApiGateway::Account`` in
every stack re-points it at each deploy (the last deploy wins, over an organisation's baseline)
and leaves a retained role behind at each delete.

So a custom resource reads the setting first and sets it only when it is empty
(:mod:`eventual.constructs.account_logging_handler`): to the role ``eventual-apigateway-cloudwatch``
with AWS's managed policy for it (``AmazonAPIGatewayPushToCloudWatchLogs``), created once per
account if missing and shared by every region and stack after it. A setting that names a role of
this account IAM no longer has counts as empty: API Gateway cannot assume it, so every stage's
access logs would vanish without an error; ours replaces it, and the function's log says which role
it replaced. It never overwrites a role that exists (or that it cannot see) and never deletes one:
when a stack goes, the setting keeps serving the account's other APIs, and no stack leaves a role
of its own behind. CDK's own ``RestApi`` offers no better default: under the
recommended flag ``@aws-cdk/aws-apigateway:disableCloudWatchRole`` it sets no role at all (a
WebSocket stage with access logs then fails on a fresh account), and with ``cloudWatchRole: true``
it adds the ``CfnAccount`` every stack overwrites, its role retained at each delete
(``cloudWatchRoleRemovalPolicy`` defaults to ``RETAIN``).
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import CustomResource, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from eventual.constructs.functions import ARM_64, PYTHON_RUNTIME
from eventual.constructs.nag import acknowledge_account_logging_handler

ROLE_NAME = "eventual-apigateway-cloudwatch"
"""The role the handler creates, once per account, when an account region has none set."""
MANAGED_POLICY = "service-role/AmazonAPIGatewayPushToCloudWatchLogs"
_ID = "EventualApiGatewayAccount"
_HANDLER_SOURCE = Path(__file__).with_name("account_logging_handler.py")


def account_logging_role(scope: Construct) -> CustomResource:
    """The stack's custom resource that sets the account's CloudWatch role if none is; made on first use."""
    stack = Stack.of(scope)
    existing = stack.node.try_find_child(_ID)
    if existing is not None:
        return existing.node.find_child("Setting")  # type: ignore[return-value]
    holder = Construct(stack, _ID)
    role = iam.Role(
        holder,
        "HandlerRole",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description="eventual: sets API Gateway's account CloudWatch role where none is set",
    )
    _grant_handler(stack, role)
    log_group = logs.LogGroup(
        holder, "HandlerLogs", retention=logs.RetentionDays.ONE_MONTH, removal_policy=RemovalPolicy.DESTROY
    )
    log_group.grant_write(role)
    handler = lambda_.Function(
        holder,
        "Handler",
        code=lambda_.Code.from_inline(_HANDLER_SOURCE.read_text(encoding="utf-8")),
        handler="index.handler",
        runtime=PYTHON_RUNTIME,
        architecture=ARM_64,
        memory_size=128,
        timeout=Duration.seconds(120),  # waits up to a minute for a new role to become usable
        role=role,
        log_group=log_group,
        description="eventual: sets API Gateway's account CloudWatch role where none is set",
    )
    return CustomResource(
        holder,
        "Setting",
        service_token=handler.function_arn,
        resource_type="Custom::ApiGatewayAccountLogging",
        properties={"RoleName": ROLE_NAME},
    )


def _grant_handler(stack: Stack, role: iam.Role) -> None:
    """Read and set the one account setting; make and pass the one role it may set."""
    account_setting = stack.format_arn(service="apigateway", account="", resource="/account")
    logging_role = stack.format_arn(service="iam", region="", resource="role", resource_name=ROLE_NAME)
    managed_policy = stack.format_arn(
        service="iam", region="", account="aws", resource="policy", resource_name=MANAGED_POLICY
    )
    role.add_to_policy(
        iam.PolicyStatement(actions=["apigateway:GET", "apigateway:PATCH"], resources=[account_setting])
    )
    role.add_to_policy(iam.PolicyStatement(actions=["iam:CreateRole"], resources=[logging_role]))
    # Whether the role the setting names still exists, whatever its name and path.
    any_role = stack.format_arn(service="iam", region="", resource="role", resource_name="*")
    role.add_to_policy(iam.PolicyStatement(actions=["iam:GetRole"], resources=[any_role]))
    acknowledge_account_logging_handler(role)
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["iam:AttachRolePolicy"],
            resources=[logging_role],
            conditions={"ArnEquals": {"iam:PolicyARN": managed_policy}},
        )
    )
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["iam:PassRole"],
            resources=[logging_role],
            conditions={"StringEquals": {"iam:PassedToService": "apigateway.amazonaws.com"}},
        )
    )
