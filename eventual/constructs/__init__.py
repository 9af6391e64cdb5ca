"""CDK constructs: the only part of eventual that imports aws_cdk.

``Service(scope, id, name=..., entry=...)`` deploys every socket the entry module declares.
What it builds is planned first without the CDK (:mod:`eventual.constructs.plan`), so importing
this package costs nothing until a construct is used: the names below load on first access.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from eventual.constructs.asset import LambdaAsset, LambdaPlatform
from eventual.constructs.errors import ServiceDefinitionError

if TYPE_CHECKING:
    from eventual.constructs.alarms import Alarms
    from eventual.constructs.domain import Domain, domains_from_context
    from eventual.constructs.endpoint import SocketEndpoint
    from eventual.constructs.functions import PYTHON_RUNTIME, newest_python_runtime
    from eventual.constructs.options import AuthorizerOptions, FunctionOptions, ThrottleOptions
    from eventual.constructs.service import Service

_LAZY = {
    "Alarms": "eventual.constructs.alarms",
    "Domain": "eventual.constructs.domain",
    "domains_from_context": "eventual.constructs.domain",
    "PYTHON_RUNTIME": "eventual.constructs.functions",
    "AuthorizerOptions": "eventual.constructs.options",
    "FunctionOptions": "eventual.constructs.options",
    "ThrottleOptions": "eventual.constructs.options",
    "Service": "eventual.constructs.service",
    "SocketEndpoint": "eventual.constructs.endpoint",
    "newest_python_runtime": "eventual.constructs.functions",
}
"""Names whose modules import aws_cdk (about a second, and the jsii kernel's node process)."""

__all__ = [
    "PYTHON_RUNTIME",
    "Alarms",
    "AuthorizerOptions",
    "Domain",
    "FunctionOptions",
    "LambdaAsset",
    "LambdaPlatform",
    "Service",
    "ServiceDefinitionError",
    "SocketEndpoint",
    "ThrottleOptions",
    "domains_from_context",
    "newest_python_runtime",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once loaded, a plain attribute
    return value
