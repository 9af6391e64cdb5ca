"""Lambda functions built from their plans: the Python runtime, the CPU, the props."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs

from eventual.constructs.asset import LambdaPlatform
from eventual.constructs.errors import ServiceDefinitionError
from eventual.constructs.plan import FunctionPlan, RoleChoice

# Read once: every attribute read of a jsii enum is a round trip to the kernel.
ARM_64 = lambda_.Architecture.ARM_64
NO_TRACING = lambda_.Tracing.DISABLED
JSON_LOGS: dict[str, Any] = {
    "logging_format": lambda_.LoggingFormat.JSON,
    "application_log_level_v2": lambda_.ApplicationLogLevel.INFO,
    "system_log_level_v2": lambda_.SystemLogLevel.INFO,
}
"""Lambda's JSON log format: each line of ``logging`` is a JSON object with its ``level`` and the
invocation's ``requestId`` (and any ``extra=`` fields), Lambda's own lines (start, report) are
JSON too; ``print`` output stays plain text. ``eventual logs`` reads both."""
_LOG_OPTIONS = frozenset({"log_format", "application_log_level", "system_log_level", *JSON_LOGS})
"""Function options that choose the log format themselves: given any, eventual sets none."""
PYTHON_RUNTIME = lambda_.Runtime.PYTHON_3_14
"""Every function's runtime unless ``Service(runtime=...)`` says otherwise. Pinned, not the newest
aws-cdk-lib knows, so upgrading the library never moves a function's runtime (and its wheels):
moving is a change of its own, which a test asks for when aws-cdk-lib offers a newer Python."""


@dataclass(frozen=True)
class FunctionParts:
    """What a service's functions share: the roles a plan chooses among, the log group, runtime, code."""

    roles: Mapping[RoleChoice, iam.IRole]
    log_group: logs.ILogGroup
    runtime: lambda_.Runtime
    code_for: Callable[[lambda_.Architecture], lambda_.Code]

    def role_of(self, plan: FunctionPlan) -> iam.IRole:
        """The role the function's options name, else the service's role the plan chose."""
        own: iam.IRole | None = plan.options.get("role")
        return own if own is not None else self.roles[plan.role]


def function_props(plan: FunctionPlan, parts: FunctionParts) -> dict[str, Any]:
    """``aws_lambda.Function`` keyword arguments: arm64, the service's log group and JSON logs unless
    the options say otherwise, then what the plan decides."""
    logs = {} if _LOG_OPTIONS.intersection(plan.options) else JSON_LOGS
    props: dict[str, Any] = {"architecture": ARM_64, "log_group": parts.log_group, **logs, **plan.options}
    props |= {
        "function_name": plan.function_name,
        "description": plan.description,
        "memory_size": plan.memory_size,
        "timeout": _duration(plan.timeout_seconds),
        "role": parts.role_of(plan),
        "environment": dict(plan.environment),
        "code": parts.code_for(props["architecture"]),
        "handler": plan.handler,
        "runtime": parts.runtime,
    }
    return props


def traced(plan: FunctionPlan) -> bool:
    """Whether the options turn X-Ray tracing on."""
    return plan.options.get("tracing") not in (None, NO_TRACING)


@functools.cache
def _duration(seconds: float) -> Duration:
    """One ``Duration`` per value: they are immutable, and each costs a jsii round trip."""
    return Duration.seconds(seconds)


def newest_python_runtime() -> lambda_.Runtime:
    """The newest ``PYTHON_3_N`` runtime this aws-cdk-lib knows."""
    minors = [int(m[1]) for a in dir(lambda_.Runtime) if (m := re.fullmatch(r"PYTHON_3_(\d+)", a))]
    return getattr(lambda_.Runtime, f"PYTHON_3_{max(minors)}")  # type: ignore[no-any-return]


def lambda_platform(runtime: lambda_.Runtime, architecture: lambda_.Architecture) -> LambdaPlatform:
    """The platform pip must install wheels for, from a ``python3.N`` runtime."""
    match = re.fullmatch(r"python(3\.(\d+))", runtime.name)
    if not match:
        raise ServiceDefinitionError(f"runtime {runtime.name!r} is not a Python runtime")
    glibc_minor = 34 if int(match[2]) >= 12 else 26  # Amazon Linux 2023 from python3.12 on
    return LambdaPlatform(python_version=match[1], architecture=architecture.name, glibc_minor=glibc_minor)
