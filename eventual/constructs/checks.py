"""What a plan checks: the entry and the options before it plans a socket, the environments after."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eventual.constructs.asset import REQUIREMENTS
from eventual.constructs.errors import ServiceDefinitionError
from eventual.constructs.limits import TABLE_NAME_MAX, check_environment_size
from eventual.constructs.names import check_socket_name
from eventual.runtime.environment import TABLE_ENV
from eventual.sockets import Socket

if TYPE_CHECKING:
    from eventual.constructs.plan import ServiceOptions, SocketPlan


def check_sockets(sockets: Mapping[str, Socket], options: ServiceOptions) -> None:
    """The entry declares sockets with usable names, and the options name only declared ones."""
    if not sockets:
        raise ServiceDefinitionError(
            f"entry {options.entry!r} declares no sockets; declare one with eventual.socket(...)"
        )
    _require_declared(options.entry, sockets, "socket_function_options", options.socket_function_options)
    _require_declared(options.entry, sockets, "socket_authorizer_options", options.socket_authorizer_options)
    _require_declared(options.entry, sockets, "socket_throttle", options.socket_throttle)
    for socket_name in sockets:
        check_socket_name(socket_name)
    without = sorted(s for s in options.socket_authorizer_options if sockets[s].options.authorizer is None)
    if without:
        raise ServiceDefinitionError(
            f"socket_authorizer_options names {', '.join(map(repr, without))}, declared without an "
            "authorizer; declare it with socket(..., authorizer=fn)"
        )


def _require_declared(
    entry: str, declared: Mapping[str, Socket], what: str, given: Mapping[str, Any]
) -> None:
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise ServiceDefinitionError(
            f"{what} names {', '.join(map(repr, unknown))}, which {entry!r} does not "
            f"declare (it declares {', '.join(map(repr, declared))})"
        )


def requirements_file(entry: str, requirements: Path | None) -> Path | None:
    """``requirements`` if it exists, else ``requirements.txt`` in the entry's package folder, if any."""
    if requirements is not None:
        if not requirements.is_file():
            raise ServiceDefinitionError(f"requirements file {requirements} does not exist")
        return requirements
    package = sys.modules[entry.partition(".")[0]]
    for folder in getattr(package, "__path__", ()):
        candidate = Path(folder) / REQUIREMENTS
        if candidate.is_file():
            return candidate
    return None


def check_environments(
    plans: Mapping[str, SocketPlan], options: ServiceOptions, fan_out: Mapping[str, str]
) -> None:
    """Every socket function's environment fits Lambda's 4 KB (``fan_out``: what fan-out adds)."""
    # Every socket function gets the table's name (and the fan-out queue's URL) when any socket
    # tracks; they are tokens until deploy: count them at their longest.
    tracks = any(p.tracked for p in plans.values())
    table = {TABLE_ENV: "x" * TABLE_NAME_MAX} if tracks else {}
    environments = {s: {**p.function.environment, **table, **fan_out} for s, p in plans.items()}
    domain = options.operating.domain.name if options.operating.domain is not None else None
    check_environment_size(options.name, environments, options.region, options.stage_name or "", domain)
