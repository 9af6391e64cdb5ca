"""Custom resource: give API Gateway's account a CloudWatch role only if it has none.

Runs in Lambda as inline code (boto3 from the runtime). Never overwrites a role; never deletes.
"""

import contextlib
import json
import time
import urllib.request
from typing import Any

import boto3

POLICY = "arn:{}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
ATTEMPTS = 12  # a new role takes seconds before API Gateway may assume it


def handler(event: dict[str, Any], context: Any) -> None:
    status, data, reason = "SUCCESS", {}, ""
    try:
        if event["RequestType"] != "Delete":  # the setting serves every API: deleting leaves it
            data = ensure_role(event["ResourceProperties"], context.invoked_function_arn.split(":")[1])
    except Exception as error:  # reported to CloudFormation, which rolls back
        status, reason = "FAILED", f"{type(error).__name__}: {error}"
    respond(event, status, data, reason)


def ensure_role(properties: dict[str, Any], partition: str) -> dict[str, str]:
    apigateway = boto3.client("apigateway")
    current = apigateway.get_account().get("cloudwatchRoleArn")
    if current:
        return {"RoleArn": current, "Set": "false"}
    arn = role_arn(properties["RoleName"], partition)
    patch = [{"op": "replace", "path": "/cloudwatchRoleArn", "value": arn}]
    for attempt in range(ATTEMPTS):
        try:
            apigateway.update_account(patchOperations=patch)
            return {"RoleArn": arn, "Set": "true"}
        except apigateway.exceptions.BadRequestException:
            if attempt == ATTEMPTS - 1:
                raise
            time.sleep(5)
    raise AssertionError("unreachable")


def role_arn(name: str, partition: str) -> str:
    iam = boto3.client("iam")
    # Made already for another region, or by a deploy that failed after this step: reuse it.
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=json.dumps(TRUST),
            Description="API Gateway writes access logs to CloudWatch Logs (account setting, by eventual)",
        )
    iam.attach_role_policy(RoleName=name, PolicyArn=POLICY.format(partition))  # idempotent
    return str(iam.get_role(RoleName=name)["Role"]["Arn"])


def respond(event: dict[str, Any], status: str, data: dict[str, str], reason: str) -> None:
    body = {
        "Status": status,
        "Reason": reason or "see the function's log",
        "PhysicalResourceId": event.get("PhysicalResourceId") or "eventual-apigateway-account-logging",
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "Data": data,
    }
    request = urllib.request.Request(event["ResponseURL"], json.dumps(body).encode(), method="PUT")
    request.add_header("content-type", "")
    with urllib.request.urlopen(request, timeout=30):
        pass
