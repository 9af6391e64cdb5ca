"""CloudFormation's 500 resources per stack, checked when the app synthesizes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import jsii
from aws_cdk import CfnResource, Stack
from constructs import IConstruct, IValidation

from eventual.constructs.limits import STACK_RESOURCES_MAX

if TYPE_CHECKING:
    from eventual.constructs.service import Service


def count_resources(scope: IConstruct) -> int:
    """CloudFormation resources under ``scope`` (all of them: L1s are what templates hold)."""
    return sum(1 for c in scope.node.find_all() if isinstance(c, CfnResource))


@jsii.implements(IValidation)
class ResourceLimit:
    """At synth: the service's stack must stay within CloudFormation's 500 resources.

    A validation rather than a check in ``Service``: the rest of the stack is only complete
    when the app synthesizes.
    """

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
