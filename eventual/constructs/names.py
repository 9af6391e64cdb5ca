"""AWS names for a service's resources: validated early, distinct by construction, shortened
deterministically.

A name AWS would reject fails ``cdk deploy`` minutes in; here it fails at synth, or is made to fit.
Names join the service, the stage and the socket with ``--`` (:mod:`eventual.stages`), which no
part contains, so two services, stages or sockets never share one; two resources of one service
that would (socket ``chat-authorizer`` beside ``chat``'s authorizer) are refused at synth.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from eventual.constructs.errors import ServiceDefinitionError
from eventual.names import socket_name_problem
from eventual.stages import SEPARATOR, service_name_problem, stage_problem

FUNCTION_NAME_MAX = 64
API_NAME_MAX = 128
LOGICAL_ID_MAX = 255
RESERVED_SERVICE_NAMES = {
    "default": "EventBridge reserves it for the account's default event bus (CreateEventBus: \"You can't "
    'use the name default for a custom event bus")',
}
"""Names AWS refuses for what a service name names, and why."""

_STAGE_NAME = re.compile(r"[A-Za-z0-9_-]{1,128}")
_NOT_IN_LOGICAL_ID = re.compile(r"[^A-Za-z0-9]")
_NOT_IN_FUNCTION_NAME = re.compile(r"[^A-Za-z0-9_-]")
_PART = re.compile(r"[A-Za-z0-9_]+(?:-[A-Za-z0-9_]+)*")
"""A name part that cannot blur into its neighbours: no ``--`` in it, no ``-`` at either end."""
_NOT_IN_PART = re.compile(r"[^A-Za-z0-9_]+")
_DIGEST_CHARS = 8


def check_service_name(name: str) -> str:
    """A service name names the stack, the event bus, the log group and every function
    (:func:`eventual.stages.service_name_problem`)."""
    problem = service_name_problem(name)
    if problem is not None:
        raise ServiceDefinitionError(problem)
    if name in RESERVED_SERVICE_NAMES:
        raise ServiceDefinitionError(
            f"service name {name!r} is reserved: {RESERVED_SERVICE_NAMES[name]}; choose another name"
        )
    return name


def check_socket_name(name: str) -> str:
    """The core's rule (:func:`eventual.names.socket_name_problem`), which ``socket()`` applies at
    declaration: one rule, whether the dev server or synth meets the name first."""
    problem = socket_name_problem(name)
    if problem is not None:
        raise ServiceDefinitionError(problem)
    return name


def check_stage_name(name: str) -> str:
    """An API Gateway stage name: the last segment of a socket's ``wss://`` URL."""
    if not _STAGE_NAME.fullmatch(name):
        raise ServiceDefinitionError(f"stage name {name!r} is not valid: 1-128 letters, digits, '-' or '_'")
    return name


def check_stage(stage: str) -> str:
    """A deployment stage (``dev``, ``pr-123``) is part of the stack's name and every resource's
    (:func:`eventual.stages.stage_problem`, the rule ``app.py`` and ``eventual get service`` apply)."""
    problem = stage_problem(stage)
    if problem is not None:
        raise ServiceDefinitionError(problem)
    return stage


def stable_logical_id(kind: str, physical_name: str) -> str:
    """A logical id that follows a resource's physical name, not the construct's path.

    A resource with a fixed name must keep its logical id when the construct is renamed or
    moved: a new logical id makes CloudFormation create the replacement before it deletes the
    original, and the replacement's name is taken. The digest keeps ``a-b`` and ``ab`` apart.
    """
    digest = hashlib.sha256(physical_name.encode()).hexdigest()[:_DIGEST_CHARS].upper()
    readable = _NOT_IN_LOGICAL_ID.sub("", physical_name)[: LOGICAL_ID_MAX - len(kind) - _DIGEST_CHARS]
    return f"{kind}{readable}{digest}"


def fit(name: str, limit: int, *, invalid: re.Pattern[str] | None = None) -> str:
    """``name`` itself if AWS accepts it; otherwise a deterministic variant that fits.

    Replaced characters or a cut-off tail add a digest of the full name, so two names that differ
    only where the variant lost information still get different results.
    """
    cleaned = invalid.sub("-", name) if invalid else name
    if cleaned == name and len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:_DIGEST_CHARS]
    return f"{cleaned[: limit - _DIGEST_CHARS - 1]}-{digest}"


def name_part(name: str) -> str:
    """``name`` as the last part of a resource's name: itself if it is letters, digits and ``_``
    with single ``-`` between them; otherwise its runs of those joined by ``-``, and a digest of the
    whole, so that ``a.b`` and ``a-b`` stay apart and no part holds the ``--`` that separates parts."""
    if _PART.fullmatch(name):
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:_DIGEST_CHARS]
    cleaned = _NOT_IN_PART.sub("-", name).strip("-")
    return f"{cleaned}-{digest}" if cleaned else digest


def function_name(prefix: str, part: str) -> str:
    """``<prefix>--<part>`` (``my-service--dev--chat``), made to fit Lambda's 64 characters of
    ``[A-Za-z0-9_-]``; ``prefix`` is :func:`eventual.stages.name_prefix`'s."""
    return fit(f"{prefix}{SEPARATOR}{name_part(part)}", FUNCTION_NAME_MAX, invalid=_NOT_IN_FUNCTION_NAME)


def api_name(prefix: str, part: str | None = None) -> str:
    """``<prefix>--<part>`` (a socket's WebSocket API), or the prefix alone (the service's HTTP
    API), made to fit API Gateway's 128 characters."""
    name = prefix if part is None else f"{prefix}{SEPARATOR}{name_part(part)}"
    return fit(name, API_NAME_MAX)


def require_unique(kind: str, names: Iterable[tuple[str, str]]) -> None:
    """Raise if two sockets ended up with one AWS name (``(socket, aws_name)`` pairs)."""
    seen: dict[str, str] = {}
    for socket, aws_name in names:
        other = seen.setdefault(aws_name, socket)
        if other != socket:
            raise ServiceDefinitionError(
                f"sockets {other!r} and {socket!r} both get the {kind} {aws_name!r}; rename one"
            )
