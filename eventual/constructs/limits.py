"""AWS limits a service can hit, checked at synth instead of minutes into ``cdk deploy``.

Pure: the plan (:mod:`eventual.constructs.plan`) checks them before any construct exists.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from eventual.constructs.errors import ServiceDefinitionError

STACK_RESOURCES_MAX = 500
"""CloudFormation's limit of resources per stack."""
LAMBDA_ENVIRONMENT_MAX_BYTES = 4096
"""Lambda measures a function's environment as its variables serialized as one JSON object."""
TABLE_NAME_MAX = 255
"""DynamoDB's limit: the longest name CloudFormation can give the table (for environment estimates)."""

ROUTES_PER_API_MAX = 300
"""API Gateway's "Routes per API" quota for WebSocket APIs ("Quotas for configuring and running a
WebSocket API in API Gateway"): 300 by default. It can be raised per API through Service Quotas,
but a template past the default fails to deploy until it is."""
ROUTE_KEY_MAX = 128
"""AWS documents no length for a WebSocket route key (its quotas list routes per API; its API model
types a route key as a plain string). The plan holds keys to 128 characters: the bound API
Gateway's API model sets on the names and keys it does bound (an API's, an authorizer's, a stage's:
``StringWithLengthBetween1And128``), so a key the cloud might refuse fails at synth, not minutes
into a deploy. A key that long is a message property value, not a name anyone types."""

_API_ID = "x" * 10
_LONGEST_REGION = "x" * 14  # ap-southeast-5, us-isob-east-1, ...
_LONGEST_URL_SUFFIX = "amazonaws.com.cn"


def check_environment_size(
    service: str,
    environments: Mapping[str, Mapping[str, str]],
    region: str | None,
    stage_name: str,
    domain: str | None = None,
) -> int:
    """Raise if a function's environment, with every socket's URLs in it, would pass 4 KB.

    Returns the largest estimated size, in bytes.

    ``environments`` maps each socket to its function's other variables. URLs are estimated at
    their longest: API ids have 10 characters, an unknown region (``None``) 14. With a custom
    ``domain``, clients' URLs are ``wss://<domain>/<socket>``; the management API's stays execute-api's.
    """
    host = f"{_API_ID}.execute-api.{region or _LONGEST_REGION}.{_LONGEST_URL_SUFFIX}/{stage_name}"
    urls = {
        name: {"wss": f"wss://{domain}/{name}" if domain else f"wss://{host}", "http": f"https://{host}"}
        for name in environments
    }

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


def check_routes(socket: str, route_keys: Sequence[str]) -> None:
    """Raise if a socket's API would pass API Gateway's routes per API, or a key the length above."""
    if len(route_keys) > ROUTES_PER_API_MAX:
        raise ServiceDefinitionError(
            f"socket {socket!r} has {len(route_keys)} routes; API Gateway allows {ROUTES_PER_API_MAX} per "
            "WebSocket API by default ($connect, $disconnect and $default count): group message routes "
            "under fewer keys, or split the socket"
        )
    for key in route_keys:
        if len(key) > ROUTE_KEY_MAX:
            raise ServiceDefinitionError(
                f"socket {socket!r}: route key {key[:20]!r}... has {len(key)} characters; eventual holds "
                f"route keys to {ROUTE_KEY_MAX}, as API Gateway bounds its other keys and names"
            )
