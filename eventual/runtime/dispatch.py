"""One event through one socket: the path shared by Lambda, the dev server and the test client."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from eventual.deployment import Deployment
from eventual.middleware import is_awaitable
from eventual.requests import SocketRequest
from eventual.routes import ROUTES
from eventual.runtime.apigateway import MalformedEvent, error_response, request_from_event, response_for
from eventual.sockets import Socket

if TYPE_CHECKING:
    from eventual.runtime.apigateway import LambdaResponse


def dispatch(
    sock: Socket,
    event: Mapping[str, Any],
    deployment: Deployment,
    *,
    lambda_context: Any = None,
) -> LambdaResponse:
    """Run ``sock``'s middleware and handler for one API Gateway WebSocket event, with
    ``deployment`` current (what ``send``/``broadcast``/``connections`` reach).

    A handler exception never escapes: it is logged as one JSON line and answered the way
    API Gateway answers a failed integration (500, no traceback in the body). So is an event API
    Gateway would not send (:class:`~eventual.runtime.apigateway.MalformedEvent`): nothing runs.
    """
    try:
        request = checked_request(sock, event)
    except MalformedEvent as problem:
        return refuse(sock, event, problem, lambda_context)
    # Lambda's clock, so that a broadcast hands the rest of a room to its queue in time.
    with deployment.activate(getattr(lambda_context, "get_remaining_time_in_millis", None)):
        try:
            result = _start(sock, request, deployment)
            if is_awaitable(result):
                from eventual.runtime.loop import run_awaitable

                result = run_awaitable(result)
            return _finish(sock, request, deployment, result)
        except Exception as error:
            log_failure(sock, event, error, lambda_context)
            return error_response(request.connection_id, request.request_id)


async def dispatch_async(sock: Socket, event: Mapping[str, Any], deployment: Deployment) -> LambdaResponse:
    """:func:`dispatch` on the running loop, awaiting an ``async def`` handler there (the dev
    server runs async handlers so, with no thread in between)."""
    try:
        request = checked_request(sock, event)
    except MalformedEvent as problem:
        return refuse(sock, event, problem)
    with deployment.activate():
        try:
            result = _start(sock, request, deployment)
            while is_awaitable(result):
                result = await result
            return _finish(sock, request, deployment, result)
        except Exception as error:
            log_failure(sock, event, error)
            return error_response(request.connection_id, request.request_id)


def checked_request(sock: Socket, event: Mapping[str, Any]) -> SocketRequest:
    """The event's request; :class:`MalformedEvent` for an event API Gateway would not send
    this socket (its shape, or a route the socket does not have)."""
    request = request_from_event(event)
    if request.route_key not in ROUTES and request.route_key not in sock.message_routes:
        raise MalformedEvent(
            f"routeKey {request.route_key!r} is not a route of socket {sock.name!r} (its message "
            f"routes: {', '.join(sock.message_routes) or 'none'}): the deployed API and this code "
            "differ; deploy again"
        )
    return request


def _start(sock: Socket, request: SocketRequest, deployment: Deployment) -> Any:
    if request.type == "disconnect":
        # Untracked before the handler runs: the connection is gone already, and a handler
        # that fails (or broadcasts a farewell) must not leave it behind.
        sock.forget(request.connection_id, deployment)
    context = {"socket": sock.name, "service": deployment.service}
    return sock.dispatcher(request.route_key)(request, context)


def _finish(sock: Socket, request: SocketRequest, deployment: Deployment, result: Any) -> LambdaResponse:
    response = response_for(request.type, result)
    if request.type == "connect" and sock.options.track_connections:
        _track(sock, deployment, request, response)
    return response


def _track(sock: Socket, deployment: Deployment, request: SocketRequest, response: LambdaResponse) -> None:
    if response["statusCode"] < 300:
        # API Gateway's own time of the connection, which connection_info reports too.
        connected_at = (request.event.get("requestContext") or {}).get("connectedAt")
        identity = request.identity
        if identity and "integrationLatency" in identity:
            # API Gateway's timing of the authorizer call, not part of who connected.
            identity = {key: value for key, value in identity.items() if key != "integrationLatency"}
        deployment.connections.put(sock.name, request.connection_id, identity, connected_at)


def log_failure(
    sock: Socket,
    event: Mapping[str, Any],
    error: BaseException,
    lambda_context: Any = None,
    *,
    what: str = "handler",
) -> None:
    """Log a failure of user code as one JSON line (:func:`eventual.runtime.failures.log_failure`)."""
    from eventual.runtime import failures  # only a failure pays for compiling it

    failures.log_failure(sock, event, error, lambda_context, what=what)


def refuse(
    sock: Socket,
    event: Any,
    problem: MalformedEvent,
    lambda_context: Any = None,
    *,
    response: LambdaResponse | None = None,
) -> LambdaResponse:
    """Log a malformed event and answer it (:func:`eventual.runtime.failures.refuse`)."""
    from eventual.runtime import failures

    return failures.refuse(sock, event, problem, lambda_context, response=response)
