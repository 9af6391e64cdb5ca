"""AWS limits a service can hit, checked at synth instead of minutes into ``cdk deploy``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

import jsii
from aws_cdk import CfnResource, Stack, Token
from constructs import IConstruct, IValidation

from eventual.constructs.errors import ServiceDefinitionError

if TYPE_CHECKING:
    from eventual.constructs.service import Service

STACK_RESOURCES_MAX = 500
"""CloudFormation's limit of resources per stack."""
LAMBDA_ENVIRONMENT_MAX_BYTES = 4096
"""Lambda measures a function's environment as its variables serialized as one JSON object."""

_API_ID = "x" * 10
_LONGEST_REGION = "x" * 14  # ap-southeast-5, us-isob-east-1, ...
_LONGEST_URL_SUFFIX = "amazonaws.com.cn"


def check_environment_size(
    service: str,
    environments: Mapping[str, Mapping[str, str]],
    region: str,
    stage_name: str,
) -> int:
    """Raise if a function's environment, with every socket's URLs in it, would pass 4 KB.

    Returns the largest estimated size, in bytes.

    ``environments`` maps each socket to its function's other variables. URLs are estimated at
    their longest: API ids have 10 characters, an unknown region 14.
    """
    host_region = _LONGEST_REGION if Token.is_unresolved(region) else region
    host = f"{_API_ID}.execute-api.{host_region}.{_LONGEST_URL_SUFFIX}/{stage_name}"
    urls = {name: {"wss": f"wss://{host}", "http": f"https://{host}"} for name in environments}

    def size(env: Mapping[str, str], sockets: list[str]) -> int:
        listed = json.dumps({s: urls[s] for s in sockets}, separators=(",", ":"))
        return len(json.dumps({**env, "EVENTUAL_SOCKET_URLS": listed}, separators=(",", ":")).encode())

    names = list(environments)
    largest = 0
    for socket, env in environments.items():
        measured = size(env, names)
        largest = max(largest, measured)
        if measured <= LAMBDA_ENVIRONMENT_MAX_BYTES:
            continue
        fit = max(k for k in range(len(names) + 1) if size(env, names[:k]) <= LAMBDA_ENVIRONMENT_MAX_BYTES)
        raise ServiceDefinitionError(
            f"service {service!r}: the function of socket {socket!r} would get an environment of about "
            f"{measured} bytes (EVENTUAL_SOCKET_URLS lists all {len(names)} sockets' URLs), over Lambda's "
            f"limit of {LAMBDA_ENVIRONMENT_MAX_BYTES}; at most {fit} sockets fit in one service with these "
            "names and variables: split the sockets into several services"
        )
    return largest


def count_resources(scope: IConstruct) -> int:
    """CloudFormation resources under ``scope`` (all of them: L1s are what templates hold)."""
    return sum(1 for c in scope.node.find_all() if isinstance(c, CfnResource))


@jsii.implements(IValidation)
class ResourceLimit:
    """At synth: the service's stack must stay within CloudFormation's 500 resources."""

    def __init__(self, service: Service) -> None:
        self._service = service

    def validate(self) -> list[str]:
        service = self._service
        stack = Stack.of(service)
        total = count_resources(stack)
        if total <= STACK_RESOURCES_MAX:
            return []
        sockets = list(service.sockets.values())
        counts = [count_resources(endpoint) for endpoint in sockets]
        per_socket = max(counts)  # a socket with an authorizer takes more: count the largest
        others = total - sum(counts)
        fit = max(0, (STACK_RESOURCES_MAX - others) // per_socket)
        return [
            f"stack {stack.stack_name!r} would have {total} resources, over CloudFormation's limit of "
            f"{STACK_RESOURCES_MAX}; service {service.name!r} takes up to {per_socket} per socket and the "
            f"rest of the stack {others}, so at most {fit} of its {len(sockets)} sockets fit: move sockets "
            "or other resources to another stack"
        ]
