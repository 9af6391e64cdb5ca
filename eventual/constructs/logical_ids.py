"""Logical ids that follow physical names, so renaming a construct never collides with itself."""

from __future__ import annotations

from aws_cdk import CfnResource
from constructs import IConstruct

from eventual.constructs.names import stable_logical_id


def pin_logical_id(construct: IConstruct, kind: str, physical_name: str) -> None:
    """Give the resource of ``construct`` (named ``physical_name``) a logical id from that name.

    CloudFormation replaces a resource whose logical id changes by creating the new one first:
    with a fixed name, the creation fails ("already exists"). Pinned, renaming or moving the
    construct leaves the named resources where they are.
    """
    resource: CfnResource = construct.node.default_child  # type: ignore[assignment]
    resource.override_logical_id(stable_logical_id(kind, physical_name))
