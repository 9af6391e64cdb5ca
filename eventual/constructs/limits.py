"""AWS limits a service can hit, checked at synth instead of minutes into ``cdk deploy``.

Pure: the plan (:mod:`eventual.constructs.plan`) checks them before any construct exists.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from eventual.constructs.errors import ServiceDefinitionError

STACK_RESOURCES_MAX = 500
"""CloudFormation's limit of resources per stack."""
LAMBDA_ENVIRONMENT_MAX_BYTES = 4096
"""Lambda measures a function's environment as its variables serialized as one JSON object."""
TABLE_NAME_MAX = 255
"""DynamoDB's limit: the longest name CloudFormation can give the table (for environment estimates)."""

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
