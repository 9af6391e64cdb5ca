"""AWS names for a service's resources: validated early, shortened deterministically.

A name AWS would reject fails ``cdk deploy`` minutes in; here it fails at synth, or is made to fit.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from eventual.constructs.errors import ServiceDefinitionError
from eventual.names import socket_name_problem
from eventual.outputs import DEFAULT_STAGE
from eventual.service_document import LOCAL_STAGE

FUNCTION_NAME_MAX = 64
API_NAME_MAX = 128
EVENT_BUS_NAME_MAX = 256
LOGICAL_ID_MAX = 255
RESERVED_SERVICE_NAMES = {
    "default": "EventBridge reserves it for the account's default event bus (CreateEventBus: \"You can't "
    'use the name default for a custom event bus")',
}
"""Names AWS refuses for what a service name names, and why."""

_SERVICE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_STAGE_NAME = re.compile(r"[A-Za-z0-9_-]{1,128}")
_STAGE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")
_NOT_IN_LOGICAL_ID = re.compile(r"[^A-Za-z0-9]")
_NOT_IN_FUNCTION_NAME = re.compile(r"[^A-Za-z0-9_-]")
_DIGEST_CHARS = 8


def check_service_name(name: str) -> str:
    """A service name becomes the event bus name, the log group name and part of every function's name."""
    if not isinstance(name, str) or not _SERVICE_NAME.fullmatch(name):
        raise ServiceDefinitionError(
            f"service name {name!r} is not valid: use letters, digits, '-' and '_', starting with a "
            "letter or digit (it names the event bus, the log group and the functions)"
        )
    if name in RESERVED_SERVICE_NAMES:
        raise ServiceDefinitionError(
            f"service name {name!r} is reserved: {RESERVED_SERVICE_NAMES[name]}; choose another name"
        )
    if len(name) > EVENT_BUS_NAME_MAX:
        raise ServiceDefinitionError(
            f"service name {name[:40]!r}... is {len(name)} characters; the event bus named after it "
            f"allows at most {EVENT_BUS_NAME_MAX}"
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
    """A deployment stage (``dev``, ``prod``, ``pr-123``) becomes part of every physical name."""
    if stage == LOCAL_STAGE:
        raise ServiceDefinitionError(
            f"stage {stage!r} is reserved: it names the dev server (`eventual local`) in service documents"
        )
    if not isinstance(stage, str) or not _STAGE.fullmatch(stage):
        raise ServiceDefinitionError(
            f"stage {stage!r} is not valid: 1-32 letters, digits, '-' and '_', starting with a letter or "
            f"digit (it is part of every name the stage's resources get); {DEFAULT_STAGE!r} is the stage "
            "named after the service alone"
        )
    return stage


def name_prefix(service: str, stage: str) -> str:
    """What every physical name of a stage starts with: ``<service>`` for the default stage, else
    ``<service>-<stage>``, so stages deploy side by side in one account and region."""
    return service if stage == DEFAULT_STAGE else f"{service}-{stage}"


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


def function_name(service: str, socket: str) -> str:
    """``<service>-<socket>``, made to fit Lambda's 64 characters of ``[A-Za-z0-9_-]``."""
    return fit(f"{service}-{socket}", FUNCTION_NAME_MAX, invalid=_NOT_IN_FUNCTION_NAME)


def api_name(service: str, socket: str) -> str:
    """``<service>-<socket>``, made to fit API Gateway's 128 characters."""
    return fit(f"{service}-{socket}", API_NAME_MAX)


def require_unique(kind: str, names: Iterable[tuple[str, str]]) -> None:
    """Raise if two sockets ended up with one AWS name (``(socket, aws_name)`` pairs)."""
    seen: dict[str, str] = {}
    for socket, aws_name in names:
        other = seen.setdefault(aws_name, socket)
        if other != socket:
            raise ServiceDefinitionError(
                f"sockets {other!r} and {socket!r} both get the {kind} {aws_name!r}; rename one"
            )
