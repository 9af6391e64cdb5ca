"""CDK constructs: the only part of eventual that imports aws_cdk.

``Service(scope, id, name=..., entry=...)`` deploys every socket the entry module declares.
"""

from eventual.constructs.asset import LambdaAsset, LambdaPlatform
from eventual.constructs.authorizer import AuthorizerOptions
from eventual.constructs.endpoint import SocketEndpoint
from eventual.constructs.errors import ServiceDefinitionError
from eventual.constructs.service import FunctionOptions, Service, newest_python_runtime

__all__ = [
    "AuthorizerOptions",
    "FunctionOptions",
    "LambdaAsset",
    "LambdaPlatform",
    "Service",
    "ServiceDefinitionError",
    "SocketEndpoint",
    "newest_python_runtime",
]
