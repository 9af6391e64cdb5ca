"""What boto3 and botocore raise, as one readable line: a ``click.ClickException``, never a traceback.

boto3 is imported by the command that needs it; this module imports botocore only when an error
is being translated, so ``eventual --help`` never pays for it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import click

_CREDENTIAL_ERRORS = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
    }
)
_ACCESS_ERRORS = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})
_AWS_LIBRARIES = ("botocore", "boto3", "urllib3", "s3transfer")
"""Where an exception from a call to AWS comes from. Not every one derives from ``BotoCoreError``:
``ClientError`` and the response parser's ``ResponseParserError`` are plain ``Exception``s."""


@contextmanager
def aws_errors(
    service: str = "CloudFormation",
    needs: str = "listing CloudFormation stacks needs cloudformation:DescribeStacks",
) -> Iterator[None]:
    """Turn whatever a call to ``service`` raises from boto3 or botocore into one line (exit 1);
    ``needs`` says what permission an access-denied error lacks."""
    try:
        yield
    except click.ClickException:
        raise
    except Exception as error:
        if not _from_aws_library(error):
            raise
        raise click.ClickException(_explain(error, service, needs)) from error


def _from_aws_library(error: BaseException) -> bool:
    return any(type(error).__module__.partition(".")[0] == lib for lib in _AWS_LIBRARIES)


def _explain(error: Exception, service: str, needs: str) -> str:
    from botocore import exceptions as bx

    if isinstance(error, bx.ProfileNotFound):
        return f"{error}; check --profile / AWS_PROFILE"
    if isinstance(error, bx.NoRegionError):
        return "no AWS region configured: pass --region, set AWS_REGION, or set a region in your AWS profile"
    if isinstance(error, bx.NoCredentialsError | bx.PartialCredentialsError):
        return (
            "no AWS credentials found: run `aws configure` or `aws sso login`, pass --profile, "
            "or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        )
    if isinstance(error, bx.ConnectionError | bx.HTTPClientError):  # refused, TLS, timeouts, closed
        return f"cannot reach {service}{_endpoint()}: {one_line(error)}"
    if isinstance(error, bx.ClientError):
        return _client_error(error, service, needs)
    if type(error).__name__ == "ResponseParserError":
        return (
            f"{service}{_endpoint()} sent a response botocore could not read: {one_line(error)[:300]}; "
            "is AWS_ENDPOINT_URL an AWS-compatible endpoint?"
        )
    return f"AWS error ({type(error).__name__}): {one_line(error)}"


def _client_error(error: BaseException, service: str, needs: str) -> str:
    response = getattr(error, "response", {}) or {}
    code = response.get("Error", {}).get("Code", "")
    message = one_line(response.get("Error", {}).get("Message", "") or str(error))
    if code in _ACCESS_ERRORS:
        return f"access denied: {needs} ({message})"
    if code in _CREDENTIAL_ERRORS:
        return f"AWS rejected the credentials ({code}): {message}; refresh them or pick another --profile"
    return f"{service} error {code}: {message}"


def _endpoint() -> str:
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    return f" (AWS_ENDPOINT_URL={endpoint})" if endpoint else ""


def one_line(error: object) -> str:
    """The error's message with its line breaks and runs of spaces folded."""
    return " ".join(str(error).split())
