"""Custom resource: give API Gateway's account a CloudWatch role only if it has none.

Inline code (boto3 from the runtime). Never overwrites a role that exists; never deletes. A role of
this account that no longer exists counts as none (access logs would vanish without an error):
ours replaces it, and the log and the "Replaced" attribute say so.
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
            arn = context.invoked_function_arn.split(":")
            data = ensure_role(event["ResourceProperties"], arn[1], arn[4])
    except Exception as error:  # reported to CloudFormation, which rolls back
        status, reason = "FAILED", f"{type(error).__name__}: {error}"
    respond(event, status, data, reason)


def ensure_role(properties: dict[str, Any], partition: str, account: str) -> dict[str, str]:
    apigateway = boto3.client("apigateway")
    current = apigateway.get_account().get("cloudwatchRoleArn")
    if current and not gone(current, account):
        return {"RoleArn": current, "Set": "false"}
    arn = role_arn(properties["RoleName"], partition)
    patch = [{"op": "replace", "path": "/cloudwatchRoleArn", "value": arn}]
    for attempt in range(ATTEMPTS):
        try:
            apigateway.update_account(patchOperations=patch)
            break
        except apigateway.exceptions.BadRequestException:
            if attempt == ATTEMPTS - 1:
                raise
            time.sleep(5)
    if not current:
        return {"RoleArn": arn, "Set": "true"}
    print(f"WARNING: API Gateway's account CloudWatch role {current} no longer exists; set {arn}")
    return {"RoleArn": arn, "Set": "true", "Replaced": current}


def gone(arn: str, account: str) -> bool:
    """Only a role of this account that IAM says does not exist: any doubt leaves the setting."""
    if arn.split(":")[4:5] != [account]:
        return False
    iam = boto3.client("iam")
    try:
        iam.get_role(RoleName=arn.rsplit("/", 1)[-1])
    except iam.exceptions.NoSuchEntityException:
        return True
    except Exception:  # access denied, throttled: not proof that it is gone
        return False
    return False


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
