"""A socket's ``$connect`` Lambda authorizer: its name and identity sources, checked at synth.

API Gateway answers 401 itself, without invoking the authorizer, to a ``$connect`` that lacks one
of the authorizer's identity sources (:func:`eventual.runtime.authorizer.missing_identity_source`).
Browsers cannot set headers on a WebSocket, so credentials usually travel in the query string; a
default such as aws-cdk-lib's ``route.request.header.Authorization`` would have API Gateway refuse
every browser before the function runs, and the cloud would refuse what the dev server accepts.

Nor is the default an empty list: the API reference calls ``identitySource`` optional for a REQUEST
authorizer, but the API's own model lists it among ``CreateAuthorizer``'s required members, and no
AWS document says a WebSocket authorizer takes ``IdentitySource: []``. So the default is
:data:`eventual.runtime.authorizer.DEFAULT_IDENTITY_SOURCE`, the ``Host`` header: every handshake
carries it (RFC 6455, 4.1; API Gateway's own example authorizer input shows it), so API Gateway
invokes the authorizer on every ``$connect`` and the socket's ``authorizer=`` function alone
decides. The dev server and the test client apply the same source, by the same rule.

Setting identity sources (``["route.request.querystring.token"]``) makes API Gateway answer 401
itself to a ``$connect`` that lacks one of them: cheaper under a flood of anonymous connects, and
it must name exactly what the authorizer function needs. (Those are the construct's options, which
``eventual local`` and the test client do not see: there the authorizer runs, and refuses.)

There is no result cache: API Gateway caches Lambda authorizer results for REST and HTTP APIs
only (``AuthorizerResultTtlInSeconds`` is "supported only for HTTP API Lambda authorizers"); a
WebSocket API runs its authorizer on every ``$connect``.

Pure: the options arrive as plain fields (:func:`eventual.constructs.options.authorizer_fields`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from eventual.constructs.errors import ServiceDefinitionError
from eventual.constructs.names import fit
from eventual.runtime.authorizer import DEFAULT_IDENTITY_SOURCE

HANDLER = "eventual.runtime.handler.authorize"
AUTHORIZER_NAME_MAX = 128
CACHE_FIELDS = frozenset({"results_cache_ttl", "result_cache_ttl", "authorizer_result_ttl_in_seconds"})
"""Option names a user may reach for from REST or HTTP APIs; refused with the reason."""
NOT_FOR_AUTHORIZER = frozenset(
    {
        "role",
        "events",
        "initial_policy",
        "reserved_concurrent_executions",
        "retry_attempts",
        "max_event_age",
        "on_failure",
        "on_success",
        "dead_letter_queue",
        "dead_letter_queue_enabled",
        "dead_letter_topic",
    }
)
"""Socket function options the authorizer function does not share: its role (least privilege), the
socket function's event sources and extra policy statements; its reserved concurrency (the cap the
user set for the socket would be reserved twice from the account's pool, and an account with less
headroom fails to deploy); and the asynchronous-invocation settings (retries, event age,
destinations, dead-letter queue), since API Gateway invokes an authorizer synchronously: they
would only create queues, invoke configurations and grants that never act. It has a name and a
description of its own, too."""
_IDENTITY_SOURCE = re.compile(
    r"route\.request\.(?:header|querystring)\.[A-Za-z0-9._-]+"
    r"|stageVariables\.[A-Za-z0-9._-]+"
    r"|context\.[A-Za-z0-9._-]+"
)
"""What API Gateway accepts as a WebSocket identity source (its own error message says so)."""


def refuse_cache_options(socket: str, options: Mapping[str, Any]) -> None:
    """A result-cache option (REST and HTTP APIs only) raises, saying why, before it reads as a typo."""
    cached = sorted(CACHE_FIELDS & set(options))
    if cached:
        raise ServiceDefinitionError(
            f"socket {socket!r}: {cached[0]!r}: API Gateway caches authorizer results for REST and HTTP "
            "APIs only; a WebSocket API runs its $connect authorizer on every connect. Remove it (a "
            "cache inside your authorizer function, keyed by the credential, is the alternative)"
        )


def identity_source(socket: str, fields: Mapping[str, Any]) -> tuple[str, ...]:
    """The checked identity sources of ``socket``'s authorizer (default: the ``Host`` header)."""
    sources = fields.get("identity_source", DEFAULT_IDENTITY_SOURCE)
    if isinstance(sources, str):
        raise ServiceDefinitionError(
            f"socket {socket!r}: identity_source is a list of sources, got the string {sources!r}"
        )
    if not sources:
        raise ServiceDefinitionError(
            f"socket {socket!r}: identity_source is empty; AWS documents no WebSocket authorizer "
            "without identity sources. Leave it out: the default, route.request.header.Host, is in "
            "every handshake, so the authorizer runs on every $connect"
        )
    for source in sources:
        if not isinstance(source, str) or not _IDENTITY_SOURCE.fullmatch(source):
            raise ServiceDefinitionError(
                f"socket {socket!r}: identity source {source!r} is not one API Gateway accepts for a "
                "WebSocket API: use route.request.header.<name>, route.request.querystring.<name>, "
                "stageVariables.<name> or context.<name> (HTTP APIs' $request... form does not apply)"
            )
    return tuple(sources)


def authorizer_name(socket: str, fields: Mapping[str, Any]) -> str:
    """``authorizer_name`` if set and short enough, else ``<socket>-authorizer`` made to fit."""
    name: str = fields.get("authorizer_name") or fit(f"{socket}-authorizer", AUTHORIZER_NAME_MAX)
    if len(name) > AUTHORIZER_NAME_MAX:
        raise ServiceDefinitionError(
            f"socket {socket!r}: authorizer_name is {len(name)} characters; API Gateway allows "
            f"{AUTHORIZER_NAME_MAX}"
        )
    return name
