"""Declaration-time checks: a socket's name (:mod:`eventual.names`) and what it will call,
its handlers, middleware and authorizer.

A handler that takes the wrong arguments imports fine and fails on every event, and only
``cdk deploy`` and a client would find out. ``inspect.signature`` finds out at declaration: the
dev server, the test client and synth all import the entry, so all three refuse it alike, with
a message that names the function, where it is, what it takes and what it must take.

The checks run when a socket is declared (``socket(...)``, ``socket.use(...)``), except while
the Lambda entry imports the entry module (:func:`eventual.sockets.set_declaration_checks`):
``inspect`` costs a cold start about 3 ms, and a deployed socket was checked at synth already.
:func:`check_socket` runs them on demand, for sockets made without ``socket(...)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from eventual.middleware import MiddlewareSpec, describe, steps_for
from eventual.names import check_socket_name

if TYPE_CHECKING:
    import inspect

    from eventual.sockets import Socket

_ANY = object()


def check_socket(sock: Socket) -> Socket:
    """Check the name, every handler, middleware and the authorizer of ``sock``; return it."""
    check_socket_name(sock.name)
    for route_key, handler in sock.handlers.items():
        check_handler(sock.name, route_key, handler)
    for spec in sock.middlewares:
        check_middleware(spec)
    if sock.options.authorizer is not None:
        check_authorizer(sock.name, sock.options.authorizer)
    check_types(sock)
    return sock


def check_types(sock: Socket) -> None:
    """Every declared type is one pydantic can validate and describe, and pydantic is installed:
    found at declaration rather than at the first message (this loads pydantic, for typed sockets
    only)."""
    from eventual.errors import ConfigurationError

    declared = [(f"route {key!r}", t) for key, r in sock.types.items() for t in (r.message, r.reply) if t]
    declared += [("pushes", t) for t in sock.pushes]
    for where, message_type in declared:
        try:
            message_type.adapter()
        except ConfigurationError as error:
            raise ConfigurationError(f"socket {sock.name!r}, {where}: {error}") from None


def check_handler(socket_name: str, route_key: str, handler: Callable[..., Any]) -> None:
    """A handler is called as ``handler(request, context)``."""
    _check(
        handler,
        lambda signature: signature.bind(_ANY, _ANY),
        f"socket {socket_name!r}: the {route_key!r} handler",
        "(request, context)",
        "it is called as handler(request, context) for each event of its route",
    )


def check_middleware(spec: MiddlewareSpec) -> None:
    """A middleware is called with keywords: ``middleware(request=, context=, next=)``."""
    steps = {"": spec} if callable(spec) else {f"{key} ": fn for key, fn in steps_for(spec).items()}
    for event_type, step in steps.items():
        _check(
            step,
            lambda signature: signature.bind(request=_ANY, context=_ANY, next=_ANY),
            f"the {event_type}middleware",
            "(request, context, next)",
            "it is called with keywords, middleware(request=..., context=..., next=...), so its "
            "parameters must have these names",
        )


def check_authorizer(socket_name: str, authorizer: Callable[..., Any]) -> None:
    """An authorizer is called as ``authorizer(request)`` with the ``$connect`` request."""
    _check(
        authorizer,
        lambda signature: signature.bind(_ANY),
        f"socket {socket_name!r}: the authorizer",
        "(request)",
        "it is called as authorizer(request) with the $connect request, before the connection opens",
    )


def _check(
    fn: Callable[..., Any],
    bind: Callable[[inspect.Signature], object],
    role: str,
    must_take: str,
    how: str,
) -> None:
    import inspect  # here, not at import: see the module's docstring

    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return  # a builtin or extension callable without a signature: nothing to hold it to
    try:
        bind(signature)
    except TypeError:
        raise TypeError(
            f"{role}, {describe(fn)}, takes {parameters(signature)} but must take {must_take}: {how}"
        ) from None


def parameters(signature: inspect.Signature) -> str:
    """``(a, b=..., *args, c, **kw)``: the parameter list without annotations or defaults' values."""
    import inspect

    shown: list[str] = []
    keyword_only_marked = False
    for parameter in signature.parameters.values():
        kind = parameter.kind
        if kind is inspect.Parameter.VAR_POSITIONAL:
            shown.append(f"*{parameter.name}")
            keyword_only_marked = True
            continue
        if kind is inspect.Parameter.VAR_KEYWORD:
            shown.append(f"**{parameter.name}")
            continue
        if kind is inspect.Parameter.KEYWORD_ONLY and not keyword_only_marked:
            shown.append("*")
            keyword_only_marked = True
        default = "=..." if parameter.default is not inspect.Parameter.empty else ""
        shown.append(f"{parameter.name}{default}")
        if kind is inspect.Parameter.POSITIONAL_ONLY and _last_positional_only(signature, parameter):
            shown.append("/")
    return f"({', '.join(shown)})"


def _last_positional_only(signature: inspect.Signature, parameter: inspect.Parameter) -> bool:
    import inspect

    kinds = [p.kind for p in signature.parameters.values()]
    index = list(signature.parameters).index(parameter.name)
    return inspect.Parameter.POSITIONAL_ONLY not in kinds[index + 1 :]
