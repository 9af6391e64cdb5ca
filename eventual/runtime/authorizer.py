"""``$connect`` authorizers: one decision, used by the Lambda REQUEST authorizer and the dev server.

An authorizer is ``fn(request) -> dict`` (sync or async) that sees the ``$connect`` request's
headers and query. A dict allows the connection and becomes its identity (``request.identity``
on every later event, as API Gateway passes it: values as strings, plus ``principalId``).
``None`` or raising :class:`eventual.Unauthorized` refuses with 401; raising
:class:`eventual.Forbidden` refuses with 403.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eventual.errors import AuthorizationDenied, Unauthorized
from eventual.middleware import is_awaitable
from eventual.requests import ConnectRequest
from eventual.runtime.apigateway import MalformedEvent, request_from_event
from eventual.sockets import Socket

Identity = dict[str, str | int | float | bool]

DEFAULT_IDENTITY_SOURCE = ("route.request.header.Host",)
"""The identity source of an authorizer that names none: a header every handshake carries, so API
Gateway invokes the authorizer on every ``$connect`` and the socket's function alone decides (see
:mod:`eventual.constructs.authorizer` for why not none at all). RFC 6455, 4.1: the opening handshake
"MUST contain a |Host| header field"; RFC 9112, 3.2: so must every HTTP/1.1 request."""

_CONTEXT_VALUE_TYPES = (str, int, float, bool)
_INFINITY = float("inf")


def authorize(sock: Socket, request: ConnectRequest) -> Identity:
    """Run ``sock``'s authorizer; return the identity or raise :class:`AuthorizationDenied`."""
    authorizer = sock.options.authorizer
    if authorizer is None:
        return {}
    result = authorizer(request)
    if is_awaitable(result):
        from eventual.runtime.loop import run_awaitable

        result = run_awaitable(result)
    if result is None or result is False:
        raise Unauthorized()
    return validate_identity(sock.name, result)


def validate_identity(socket_name: str, identity: Any) -> Identity:
    """API Gateway passes an authorizer's context only as a flat map of strings, numbers and bools."""
    if not isinstance(identity, Mapping):
        raise TypeError(
            f"socket {socket_name!r}: an authorizer returns a dict (the identity) or None, "
            f"not {type(identity).__name__}"
        )
    for key, value in identity.items():
        if not isinstance(key, str) or not isinstance(value, _CONTEXT_VALUE_TYPES):
            raise TypeError(
                f"socket {socket_name!r}: identity value {key!r} is {type(value).__name__}; API "
                "Gateway passes only str, int, float and bool values (encode others as JSON text)"
            )
        if isinstance(value, float) and (value != value or value in (_INFINITY, -_INFINITY)):
            # The authorizer's answer reaches API Gateway as JSON, which has no NaN or Infinity.
            raise ValueError(
                f"socket {socket_name!r}: identity value {key!r} is {value!r}; JSON, which carries "
                "the authorizer's answer to API Gateway, has no NaN or Infinity"
            )
    return dict(identity)


def request_from_authorizer_event(event: Mapping[str, Any]) -> ConnectRequest:
    """The ``$connect`` request inside a WebSocket REQUEST authorizer event."""
    request = request_from_event(event)
    if not isinstance(request, ConnectRequest):
        raise MalformedEvent(f"an authorizer event's route is '$connect', not {request.route_key!r}")
    return request


def policy(event: Mapping[str, Any], identity: Identity) -> dict[str, Any]:
    """The IAM policy answer that allows the connection and hands API Gateway the identity."""
    principal = str(identity.get("principalId") or identity.get("sub") or "eventual-user")
    return {
        "principalId": principal,
        "policyDocument": _policy_document(event, "Allow"),
        "context": identity,
    }


RESULT_MAX_BYTES = 8 * 1024
"""API Gateway's "AWS Lambda authorizer result size" quota for WebSocket APIs: 8 KB, which cannot be
raised ("Quotas for configuring and running a WebSocket API in API Gateway")."""


class AuthorizerResultTooLarge(Exception):
    """The authorizer's answer passes API Gateway's 8 KB: it refuses the connection."""


def check_result_size(answer: Mapping[str, Any]) -> None:
    """Raise :class:`AuthorizerResultTooLarge` if ``answer`` passes the quota, measured as the
    Lambda Python runtime puts it on the wire (``json.dumps``, UTF-8: awslambdaric's
    ``lambda_runtime_marshaller.to_json``). AWS documents no answer for a result over the quota;
    it is the authorizer's result API Gateway cannot take, so it fails as such: 500
    (:func:`authorizer_failed`), logged where it runs."""
    import json

    size = len(json.dumps(answer, ensure_ascii=False).encode())
    if size > RESULT_MAX_BYTES:
        raise AuthorizerResultTooLarge(
            f"its result (the policy and the identity as context) is {size} bytes; API Gateway takes "
            f"{RESULT_MAX_BYTES} at most and refuses the connection with 500: return a smaller identity"
        )


def deny_policy(event: Mapping[str, Any], error: AuthorizationDenied) -> dict[str, Any]:
    """A Deny policy: API Gateway answers 403. (401 is signalled by raising ``Unauthorized``.)"""
    return {"principalId": "denied", "policyDocument": _policy_document(event, "Deny")}


def _policy_document(event: Mapping[str, Any], effect: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event.get("methodArn", "*")}
        ],
    }


# -- what API Gateway does with the decision (the dev server and the test client reproduce it) ---


class GatewayRefusal(Exception):
    """API Gateway's own answer to a ``$connect`` its authorizer did not allow: a default gateway
    response, whose body never carries the authorizer's own message."""

    def __init__(self, status: int, body: dict[str, Any], error_type: str) -> None:
        super().__init__(f"connection refused with {status}")
        self.status, self.body, self.error_type = status, body, error_type


_UNAUTHORIZED = (401, {"message": "Unauthorized"}, "UnauthorizedException")
_FORBIDDEN = (
    403,
    {"Message": "User is not authorized to access this resource with an explicit deny"},
    "AccessDeniedException",
)
_FAILED = (500, {"message": None}, "AuthorizerConfigurationException")


def authorizer_failed() -> GatewayRefusal:
    """API Gateway's answer when the authorizer fails: raises, returns what it cannot pass, or
    does not answer within its integration timeout."""
    return GatewayRefusal(*_FAILED)


def missing_identity_source(sources: Sequence[str], event: Mapping[str, Any]) -> str | None:
    """The first of an authorizer's identity ``sources`` that ``event`` lacks or has empty, if any.

    API Gateway checks them before it invokes a REQUEST authorizer: "These parameters are used to
    perform runtime validation for Lambda-based authorizers by verifying all of the identity-related
    request parameters are present in the request, not null, and non-empty. Only when this is true
    does the authorizer invoke the authorizer Lambda function. Otherwise, it returns a 401
    Unauthorized response without calling the Lambda function" (API Gateway V2 API reference,
    Authorizer, ``identitySource``). Header names match whatever their case (RFC 9110, 5.1).
    """
    for source in sources:
        kind, _, name = source.partition(".")
        if kind == "route":  # route.request.header.<name> or route.request.querystring.<name>
            _, place, name = name.split(".", 2)
            found = (
                _header(event, name) if place == "header" else _field(event, "queryStringParameters", name)
            )
        elif kind == "stageVariables":
            found = _field(event, "stageVariables", name)
        else:  # context.<name>, possibly dotted (context.identity.sourceIp)
            found = event.get("requestContext")
            for part in name.split("."):
                found = found.get(part) if isinstance(found, Mapping) else None
        if found is None or found == "":
            return source
    return None


def _header(event: Mapping[str, Any], name: str) -> Any:
    lowered = name.lower()
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == lowered:
            return value
    return None


def _field(event: Mapping[str, Any], where: str, name: str) -> Any:
    return (event.get(where) or {}).get(name)


def gateway_context(
    sock: Socket, event: Mapping[str, Any], identity_source: Sequence[str] = DEFAULT_IDENTITY_SOURCE
) -> dict[str, Any]:
    """Run ``sock``'s authorizer on a REQUEST authorizer ``event`` as API Gateway does: the
    connection's ``requestContext.authorizer``, or :class:`GatewayRefusal` (401 without running
    the authorizer when the event lacks one of its ``identity_source``, 401, 403, or 500 when the
    authorizer fails, which is logged).

    The context as API Gateway passes it: the identity's values stringified (``True`` ->
    ``"true"``, ``3`` -> ``"3"``), plus ``principalId`` and ``integrationLatency`` (milliseconds).
    """
    import json
    import time

    from eventual.runtime.dispatch import log_failure

    if missing_identity_source(identity_source, event) is not None:
        raise GatewayRefusal(*_UNAUTHORIZED)
    started = time.perf_counter()
    try:
        identity = authorize(sock, request_from_authorizer_event(event))
        answer = policy(event, identity)
        check_result_size(answer)
    except AuthorizationDenied as denied:
        raise GatewayRefusal(*(_FORBIDDEN if denied.status == 403 else _UNAUTHORIZED)) from None
    except Exception as error:  # a bug in the authorizer, or an identity API Gateway cannot pass
        log_failure(sock, event, error, what="authorizer")
        raise authorizer_failed() from None
    context = {key: v if isinstance(v, str) else json.dumps(v) for key, v in answer["context"].items()}
    latency_ms = round((time.perf_counter() - started) * 1000)
    return {**context, "principalId": answer["principalId"], "integrationLatency": latency_ms}
