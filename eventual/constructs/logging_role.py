"""API Gateway's account-level CloudWatch role, without which a WebSocket stage cannot log.

HTTP APIs log through a service-linked role; WebSocket stages with access logging fail to
deploy ("CloudWatch Logs role ARN must be set in account settings") until the account (per
region) names a role. One per stack, retained on delete like aws-cdk-lib's ``RestApi`` does, so
deleting this stack does not break logging for other APIs in the account.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from constructs import Construct

from eventual.constructs.nag import acknowledge_logging_role

_ID = "EventualApiGatewayAccount"
_ACTIONS = [
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:DescribeLogGroups",
    "logs:DescribeLogStreams",
    "logs:PutLogEvents",
    "logs:GetLogEvents",
    "logs:FilterLogEvents",
]


def api_gateway_account(scope: Construct) -> apigw.CfnAccount:
    """The stack's ``AWS::ApiGateway::Account`` with a CloudWatch role; created on first use."""
    stack = Stack.of(scope)
    existing = stack.node.try_find_child(_ID)
    if existing is not None:
        return existing.node.find_child("Account")  # type: ignore[return-value]
    holder = Construct(stack, _ID)
    log_groups = stack.format_arn(
        service="logs", resource="log-group", resource_name="*", arn_format=ArnFormat.COLON_RESOURCE_NAME
    )
    role = iam.Role(
        holder,
        "CloudWatchRole",
        assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
        description="API Gateway writes access logs to CloudWatch Logs (account setting)",
        inline_policies={
            "Logs": iam.PolicyDocument(
                statements=[iam.PolicyStatement(actions=_ACTIONS, resources=[log_groups])]
            )
        },
    )
    role.apply_removal_policy(RemovalPolicy.RETAIN)
    acknowledge_logging_role(role)
    account = apigw.CfnAccount(holder, "Account", cloud_watch_role_arn=role.role_arn)
    account.node.add_dependency(role)
    return account
